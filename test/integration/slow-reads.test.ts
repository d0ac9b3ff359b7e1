// A window's status on a slow Temporal server: describes that take seconds (a delay on this client's gRPC
// DescribeWorkflowExecution answers, against the real dev server) give way to what visibility lists, so the read
// answers within its budget; after an operator's change the window's own describe is waited for.
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { ScheduleEntity } from '../../src/service/schedule-entity';
import { WindowService } from '../../src/service/windows';
import { Stack } from '../support/stack';

const DESCRIBE_DELAY_MS = 2_000;

/** Holds every DescribeWorkflowExecution answer back this long; other calls pass untouched. */
function slowDescribes(delayMs: number): Interceptor {
  return (options, next) => {
    const call = next(options);
    if (!options.method_definition.path.endsWith('/DescribeWorkflowExecution')) return new InterceptingCall(call);
    return new InterceptingCall(call, {
      start(metadata, listener, start) {
        start(metadata, {
          onReceiveMessage: (message, pass) => setTimeout(() => pass(message), delayMs),
          onReceiveStatus: (status, pass) => setTimeout(() => pass(status), delayMs + 10),
        });
      },
    });
  };
}

let stack: Stack;
let connection: Connection;
beforeAll(async () => {
  stack = await Stack.start({ machines: 4 });
  connection = await Connection.connect({
    address: stack.env.TEMPORAL_ADDRESS!,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), slowDescribes(DESCRIBE_DELAY_MS)],
  });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

test('describes that take seconds: the window and its machines come from visibility within the budget; after a change the window is described', async () => {
  const machines = [1, 2].map((n) => ({ hostname: `sim-0${n}`, ip: `192.0.2.${n}` }));
  const created = await stack.api('POST', '/api/v1/windows', { machines, drainWithin: '5m', duration: '1m' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const seen = await stack.eventually('both machines looked at, and listed', async () => {
    const res = await stack.api('GET', `/api/v1/windows/${id}`);
    const looked = res.body.machines.every((m: any) => m.remaining.length > 0 && m.outstandingOffers.length > 0);
    return looked ? res.body : undefined;
  });

  const slow = new WindowService(
    new ScheduleEntity(new Client({ connection }), stack.env.MAINT_TASK_QUEUE!, { instance: stack.env.MAINT_INSTANCE!, checkIntervalMs: 1_000 }),
  );
  const t0 = Date.now();
  const read = await slow.get(id);
  expect(Date.now() - t0).toBeLessThan(DESCRIBE_DELAY_MS / 2);
  expect([read.window.id, read.window.state, new Date(read.window.deadlineMs).toISOString()]).toEqual([id, seen.state, seen.deadline]);
  expect(read.machines.map((m) => [m.id.hostname, m.mode, m.remaining.map((t) => t.taskId).sort()])).toEqual(
    seen.machines.map((m: any) => [m.id.hostname, m.mode, m.remaining.map((t: any) => t.taskId).sort()]),
  );

  const t1 = Date.now();
  const fresh = await slow.get(id, { freshWindow: true });
  expect(Date.now() - t1).toBeGreaterThanOrEqual(DESCRIBE_DELAY_MS);
  expect(fresh.window.id).toBe(id);

  expect((await stack.api('POST', `/api/v1/windows/${id}/cancel`)).status).toBe(200);
});
