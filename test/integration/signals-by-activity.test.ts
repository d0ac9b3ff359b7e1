// The activity that sends a machine's signals (activities/signals.ts), against the real dev server: a batch sent again
// under the same request ids (an activity retried after a failure halfway) delivers nothing twice; one receiver's
// signals arrive in the batch's order; a closed run is signalled by its workflow ID instead; a receiver that does not
// exist is reported gone; a receiver signalled by ID is signalled by its run once that is known. The receivers are workflows no worker runs: their histories record the signals all the same.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { knownRunOf, sendSignals, type OutgoingSignal } from '../../activities/signals';
import { eventually } from '../support/eventually';

let connection: Connection;
let client: Client;
beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});
afterAll(() => connection?.close());

const TASK_QUEUE = `no-worker-${randomUUID()}`;

async function receiver(name: string) {
  return client.workflow.start('noSuchWorkflowType', { workflowId: `signals-test/${name}/${randomUUID()}`, taskQueue: TASK_QUEUE });
}

/** The signals a receiver's history holds, as `name:<its argument's JSON>`. */
async function heard(workflowId: string, runId?: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const a = e.workflowExecutionSignaledEventAttributes;
    const data = a?.input?.payloads?.[0]?.data;
    return a && data ? [`${a.signalName}:${Buffer.from(data).toString('utf8')}`] : [];
  });
}

const signal = (workflowId: string, name: string, arg: unknown, runId?: string): OutgoingSignal => ({
  workflowId,
  ...(runId ? { runId } : {}),
  name,
  arg,
  requestId: randomUUID(),
});

test('a batch sent again under the same request ids delivers each signal once, in order', async () => {
  const a = await receiver('a');
  const b = await receiver('b');
  const batch = [signal(a.workflowId, 'first', 1), signal(b.workflowId, 'other', 'x'), signal(a.workflowId, 'second', 2), signal(a.workflowId, 'third', 3)];
  expect(await sendSignals(client, batch)).toEqual(['sent', 'sent', 'sent', 'sent']);
  expect(await sendSignals(client, batch)).toEqual(['sent', 'sent', 'sent', 'sent']); // the retry
  expect(await heard(a.workflowId)).toEqual(['first:1', 'second:2', 'third:3']);
  expect(await heard(b.workflowId)).toEqual(['other:"x"']);
  // New request ids are new signals: the dedup is the request id's, not the content's.
  await sendSignals(client, [signal(a.workflowId, 'first', 1)]);
  expect(await heard(a.workflowId)).toEqual(['first:1', 'second:2', 'third:3', 'first:1']);
});

test('a closed run is signalled by its workflow ID; a receiver that does not exist is gone', async () => {
  const old = await receiver('reset');
  const oldRun = old.firstExecutionRunId;
  await old.terminate('test: replaced');
  const next = await client.workflow.start('noSuchWorkflowType', { workflowId: old.workflowId, taskQueue: TASK_QUEUE });
  const outcomes = await sendSignals(client, [
    signal(old.workflowId, 'progress', 'DOWN', oldRun),
    signal(`signals-test/never-started/${randomUUID()}`, 'progress', 'DOWN'),
  ]);
  expect(outcomes).toEqual(['sent', 'gone']);
  expect(await heard(old.workflowId, next.firstExecutionRunId)).toEqual(['progress:"DOWN"']);
  expect(await heard(old.workflowId, oldRun)).toEqual([]);
  await next.terminate('test: done');
});

test('a receiver signalled by ID is signalled by its run once known, and by ID again when that run has closed', async () => {
  const first = await receiver('shared');
  expect(await sendSignals(client, [signal(first.workflowId, 'notice', 1)])).toEqual(['sent']);
  await eventually(() => knownRunOf(client, first.workflowId) === first.firstExecutionRunId, 'the run learned');
  // As when a shared workflow continues as new: the known run closes, and a new one takes the workflow ID.
  await first.terminate('test: continued');
  const next = await client.workflow.start('noSuchWorkflowType', { workflowId: first.workflowId, taskQueue: TASK_QUEUE });
  expect(await sendSignals(client, [signal(first.workflowId, 'notice', 2), signal(first.workflowId, 'notice', 3)])).toEqual(['sent', 'sent']);
  expect(await heard(first.workflowId, first.firstExecutionRunId)).toEqual(['notice:1']);
  expect(await heard(first.workflowId, next.firstExecutionRunId)).toEqual(['notice:2', 'notice:3']);
  await eventually(() => knownRunOf(client, first.workflowId) === next.firstExecutionRunId, 'the next run learned');
  await next.terminate('test: done');
});
