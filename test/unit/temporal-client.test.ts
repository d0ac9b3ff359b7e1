import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MaintError } from '../../src/domain/errors';
import { callTemporal } from '../../src/temporal/client';

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
