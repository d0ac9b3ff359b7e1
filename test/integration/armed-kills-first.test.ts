// At its deadline a machine goes on from what its armed kills did (armed-kills-first), with real processes on the dev
// server. A look a minute apart (MAINT_CHECK_INTERVAL=1m) makes the machine's last look one from before the deadline:
// the tasks it saw there have gone since, and only the armed kills' fence, after the deadline, sees the machine empty.
import { Client, Connection } from '@temporalio/client';
import type { DeadlineKillResult } from '../../activities/deadline-kill';
import { WorkflowIds } from '../../src/temporal/ids';
import { completedResults } from '../support/activity-results';
import { Stack } from '../support/stack';

let stack: Stack;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  stack = await Stack.start({ machines: 6, checkInterval: '1m', taskGrace: '200ms', env: { MAINT_ARM_DEADLINE_KILLS: 'on' } });
  connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

const SIM_03 = { hostname: 'sim-03', ip: '192.0.2.3' }; // hosts a mover task and a silent one

/** What the machine's own armed kills did, from its history (a cancelled one: absent). */
async function armedKillOutcomes(): Promise<DeadlineKillResult[]> {
  const workflowId = new WorkflowIds(stack.env.MAINT_INSTANCE!).machine(SIM_03);
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return completedResults<DeadlineKillResult>(events, 'killAtDeadline');
}

test('a machine whose tasks left after its last look, before the deadline, goes down drained: no hard drain, nothing killed', async () => {
  const created = await stack.api('POST', '/api/v1/windows', { machines: [SIM_03], drainWithin: '8s', duration: '2s' });
  expect(created.status).toBe(201);
  const deadline = Date.parse(created.body.deadline);
  // Its frameworks end their tasks there shortly before the deadline, long after the machine's one look.
  await new Promise((r) => setTimeout(r, Math.max(deadline - 1_500 - Date.now(), 0)));
  const tasks: { taskId: string; hostname: string }[] = await stack.sim('/tasks');
  const here = tasks.filter((t) => t.hostname === SIM_03.hostname);
  expect(here.length).toBeGreaterThan(0); // silent never moves its task
  for (const t of here) expect((await fetch(`${stack.simUrl}/tasks/${t.taskId}`, { method: 'DELETE' })).status).toBe(200);

  const done = await stack.eventually('the window to complete', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${created.body.id}`);
    return body.state === 'COMPLETED' ? body : undefined;
  });
  const history: { what: string; detail?: string; at: string }[] = done.machines[0].history;
  const hardDrains = history.filter((e) => e.what === 'hard drain');
  // Before armed-kills-first the machine hard-drained here from its look before the deadline: "deadline: killing N".
  expect(hardDrains.map((e) => e.detail)).toEqual(['drained: killing 0 tasks']);
  expect(Date.parse(hardDrains[0].at)).toBeGreaterThanOrEqual(deadline);
  const stats = await stack.sim('/stats');
  expect(stats.killLog.filter((k: { hostname: string }) => k.hostname === SIM_03.hostname)).toEqual([]);
  // It was its armed kills that saw the machine empty, after the deadline.
  const outcomes = await armedKillOutcomes();
  expect(outcomes).toEqual([expect.objectContaining({ fired: false, why: 'nothing runs there', seen: { known: true, tasks: [] } })]);
  const seenAtMs = (outcomes[0] as { seenAtMs?: number }).seenAtMs!;
  expect(seenAtMs).toBeGreaterThanOrEqual(deadline);
});
