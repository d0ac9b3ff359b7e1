import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, MaintError } from '../../src/domain/errors';
import { callTemporal, toMaintError } from '../../src/temporal/client';
import { loggableError } from '../../src/logger';

const notProcessed = () =>
  new WorkflowUpdateFailedError(
    'Workflow Update failed',
    new Error("Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker."),
  );

test('an update no worker took in is sent again; nothing ran, so the request stays all-or-nothing', async () => {
  let calls = 0;
  const result = await callTemporal(async () => {
    calls++;
    if (calls < 3) throw notProcessed();
    return 'done';
  });
  expect([result, calls]).toEqual(['done', 3]);
});

test('it gives up after the attempts it was given', async () => {
  let calls = 0;
  await expect(
    callTemporal(async () => {
      calls++;
      throw notProcessed();
    }, 3),
  ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  expect(calls).toBe(3);
});

test("a refusal by the workflow is not sent again, and comes back in maint's words", async () => {
  let calls = 0;
  const refused = new WorkflowUpdateFailedError(
    'Workflow Update failed',
    ApplicationFailure.create({ type: 'CONFLICT', message: 'machines[0]: machine sim-01 is DOWN', nonRetryable: true }),
  );
  const err = await callTemporal(async () => {
    calls++;
    throw refused;
  }).catch((e: unknown) => e);
  expect(calls).toBe(1);
  expect(err).toBeInstanceOf(MaintError);
  expect(err).toMatchObject({ code: 'CONFLICT', field: 'machines[0]' });
});

test('Temporal timing out, cancelled or unreachable is a 503 UNAVAILABLE, bare or wrapped in a ServiceError', async () => {
  const grpc = (code: number) => Object.assign(new Error(`grpc ${code}`), { code, details: 'context deadline exceeded', metadata: {} });
  // CANCELLED (1): the call outlived the client's deadline while the SDK retried it (bench:fleet's placement reads).
  for (const err of [grpc(4), grpc(14), grpc(1), new ServiceError('Failed to query workflow', { cause: grpc(4) }), new ServiceError('Failed to query Workflow', { cause: grpc(1) })]) {
    const mapped = toMaintError(err);
    expect(mapped).toBeInstanceOf(MaintError);
    expect((mapped as MaintError).code).toBe(ErrorCode.UNAVAILABLE);
  }
  // Another gRPC failure is not maint's to name: it stays what it was (a 500 with its own message).
  const other = new ServiceError('Failed', { cause: grpc(13) });
  expect(toMaintError(other)).toBe(other);
});

test('Temporal shedding load, or an update whose outcome was not awaited to the end, is a 503 that says so', () => {
  const grpc = Object.assign(new Error('grpc 8'), { code: 8, details: 'namespace rate limit exceeded', metadata: {} });
  for (const err of [grpc, new ServiceError('Failed to update workflow', { cause: grpc })]) {
    const mapped = toMaintError(err) as MaintError;
    expect([mapped.code, mapped.message]).toEqual([ErrorCode.UNAVAILABLE, 'Temporal is busy, try again: namespace rate limit exceeded']);
  }
  const timedOut = toMaintError(new WorkflowUpdateRPCTimeoutOrCancelledError('Timeout or cancellation waiting for update')) as MaintError;
  expect(timedOut.code).toBe(ErrorCode.UNAVAILABLE);
  expect(timedOut.message).toMatch(/may have been applied; read the current state/);
});

test('an error with gRPC metadata logs as its class, message, code and causes', () => {
  const grpc = Object.assign(new Error('grpc 13'), { code: 13, metadata: { self: {} as object } });
  (grpc.metadata.self as { loop?: unknown }).loop = grpc; // what pino could not serialize
  const logged = loggableError(new ServiceError('Failed', { cause: grpc })) as Record<string, any>;
  expect(JSON.parse(JSON.stringify(logged))).toMatchObject({ type: 'ServiceError', message: 'Failed', cause: { type: 'Error', message: 'grpc 13', code: 13 } });
  expect(loggableError('a string')).toBe('a string');
});
