// The deadline's kills armed ahead of it (armed-kills), with real processes on the dev server: an activity sleeps
// until the deadline and kills there, unless an extension or a cancel accepted before the deadline called it off.
// The time-skipping tests cannot show this: that server skips workflows' timers, not an activity's sleep.
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DeadlineKillResult, WindowDeadlineKillResult } from '../../activities/deadline-kill';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDeadlineKillActivities } from '../../activities/deadline-kill';
import { machineKey } from '../../src/domain/machine';
import { SimDriver } from '../../src/drivers/sim-driver';
import { WorkflowIds } from '../../src/temporal/ids';
import { completedResults } from '../support/activity-results';
import { Stack } from '../support/stack';

let stack: Stack;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  stack = await Stack.start({ machines: 20, checkInterval: '1s', taskGrace: '200ms', env: { MAINT_ARM_DEADLINE_KILLS: 'on' } });
  connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });

/** The machine workflow's deadline kills: how many were armed, and what each that ended did (cancelled: undefined). */
async function deadlineKills(n: number): Promise<{ armed: number; outcomes: (DeadlineKillResult | 'cancelled')[] }> {
  const workflowId = new WorkflowIds(stack.env.MAINT_INSTANCE!).machine(sim(n));
  const history = await client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    // Not started yet: its window starts it a moment after the window is created (gRPC NOT_FOUND).
    .catch((err: { code?: number }) => (err.code === 5 ? { events: [] } : Promise.reject(err)));
  const events = history.events ?? [];
  const armed = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'killAtDeadline').map((e) => Number(e.eventId)),
  );
  const outcomes: (DeadlineKillResult | 'cancelled')[] = [];
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (done && armed.has(Number(done.scheduledEventId))) {
      outcomes.push(defaultPayloadConverter.fromPayload<DeadlineKillResult>(done.result!.payloads![0]!));
    }
    if (e.activityTaskCanceledEventAttributes && armed.has(Number(e.activityTaskCanceledEventAttributes.scheduledEventId))) {
      outcomes.push('cancelled');
    }
  }
  return { armed: armed.size, outcomes };
}

/** What the window's own deadline kills did, once their activity completed (window-arms-kills). */
async function windowKills(windowId: string): Promise<WindowDeadlineKillResult[]> {
  const workflowId = new WorkflowIds(stack.env.MAINT_INSTANCE!).window(windowId);
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return completedResults<WindowDeadlineKillResult>(events, 'killWindowAtDeadline');
}

/** Tasks the simulator killed on the machine, with when. */
async function killsOn(n: number): Promise<{ taskId: string; at: string }[]> {
  const stats = await stack.sim('/stats');
  return stats.killLog.filter((k: { hostname: string }) => k.hostname === sim(n).hostname);
}

test('armed ahead of the deadline, the kills fire there: the hard drain starts at the deadline, each task killed once', async () => {
  // sim-03 hosts a task of silent, which never answers: it is left at the deadline.
  const created = await stack.api('POST', '/api/v1/windows', { machines: [sim(3)], drainWithin: '4s', duration: '2s' });
  expect(created.status).toBe(201);
  const deadline = Date.parse(created.body.deadline);
  const done = await stack.eventually('the window to complete', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${created.body.id}`);
    return body.state === 'COMPLETED' ? body : undefined;
  });
  // Armed twice: by the machine after its first look, and by its window for every machine. The window leaves a
  // machine that armed its own to it, unless the two fire at the same instant (then both kill, under the same key:
  // each task once). On a loaded machine the first look may find the budgets unknown, and only the window's fire.
  const { outcomes } = await deadlineKills(3);
  const own = outcomes.find((o): o is Extract<DeadlineKillResult, { fired: true }> => o !== 'cancelled' && o.fired);
  const byWindow = (await windowKills(created.body.id)).flatMap((k) => k.fired).find((f) => f.key === 'h=sim-03;i=192.0.2.3');
  const firedAt = [own?.atMs, byWindow?.atMs].filter((t): t is number => t !== undefined);
  for (const atMs of firedAt) expect(atMs).toBeGreaterThanOrEqual(deadline);
  if (own) expect(own.killed.map((t) => t.frameworkId)).toContain('silent');
  // The machine's history dates the hard drain from its armed kills (it waits for them at the deadline:
  // armed-kills-first), or from its window's, or, with neither, from its own task. Never before the deadline.
  const [machine] = done.machines;
  const hardDrainAt = Date.parse(machine.history.find((e: any) => e.what === 'hard drain').at);
  expect(hardDrainAt).toBeGreaterThanOrEqual(deadline);
  const kills = await killsOn(3);
  expect(kills.map((k) => k.taskId)).toEqual(expect.arrayContaining([expect.stringMatching(/^silent\./)]));
  const stats = await stack.sim('/stats');
  for (const { taskId } of kills) expect(stats.kills[taskId]).toBe(1);
});

test('an extension accepted before the deadline calls the armed kills off: nothing is killed at the old deadline', async () => {
  // sim-06 hosts tasks of mover, decliner and silent: the last two are left at the deadline.
  const created = await stack.api('POST', '/api/v1/windows', { machines: [sim(6)], drainWithin: '5s', duration: '2s' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const deadline = Date.parse(created.body.deadline);
  await stack.eventually('the kills armed', async () => ((await deadlineKills(6)).armed > 0 ? true : undefined));
  const extended = await stack.api('POST', `/api/v1/windows/${id}/extend`, { by: '1m' });
  expect(extended.status).toBe(200);
  await stack.eventually('the armed kills to end', async () => ((await deadlineKills(6)).outcomes.length > 0 ? true : undefined));
  // Past the old deadline, with time for a kill to have landed.
  await new Promise((r) => setTimeout(r, Math.max(deadline + 2_000 - Date.now(), 0)));
  expect(await killsOn(6)).toEqual([]);
  const { outcomes } = await deadlineKills(6);
  expect(outcomes.every((o) => o === 'cancelled' || !o.fired)).toBe(true);
  const { body } = await stack.api('GET', `/api/v1/windows/${id}`);
  expect(body.machines[0].mode).toBe('DRAINING');
  // The window's, armed for the old deadline, were cancelled by the extension (or, still asleep, fenced off).
  expect((await windowKills(id)).flatMap((k) => k.fired)).toEqual([]);
  expect((await stack.api('POST', `/api/v1/windows/${id}/cancel`)).status).toBe(200);
});

test('a cancel accepted before the deadline calls the armed kills off', async () => {
  const created = await stack.api('POST', '/api/v1/windows', { machines: [sim(9)], drainWithin: '5s', duration: '2s' });
  expect(created.status).toBe(201);
  const deadline = Date.parse(created.body.deadline);
  await stack.eventually('the kills armed', async () => ((await deadlineKills(9)).armed > 0 ? true : undefined));
  expect((await stack.api('POST', `/api/v1/windows/${created.body.id}/cancel`)).status).toBe(200);
  await new Promise((r) => setTimeout(r, Math.max(deadline + 2_000 - Date.now(), 0)));
  expect(await killsOn(9)).toEqual([]);
  const { outcomes } = await deadlineKills(9);
  expect(outcomes.every((o) => o === 'cancelled' || !o.fired)).toBe(true);
  expect((await windowKills(created.body.id)).flatMap((k) => k.fired)).toEqual([]);
});

test("the window's kills drain a machine whose workflow it has not started yet (a loaded server starts children late)", async () => {
  // sim-12 is the window's own machine; sim-15 stands for one of its machines whose workflow has not started: no run
  // exists under the workflow ID the window's kills are given for it.
  const created = await stack.api('POST', '/api/v1/windows', { machines: [sim(12)], drainWithin: '3s', duration: '2s' });
  expect(created.status).toBe(201);
  const ids = new WorkflowIds(stack.env.MAINT_INSTANCE!);
  const window = await client.workflow.getHandle(ids.window(created.body.id)).describe();
  // The window's kills as its activity runs them, with the window as the workflow that scheduled them.
  const env = new MockActivityEnvironment(
    { workflowExecution: { workflowId: window.workflowId, runId: window.runId }, activityId: 'test-window-kills' },
    { client },
  );
  const { killWindowAtDeadline } = createDeadlineKillActivities({
    driver: new SimDriver(stack.simUrl),
    frameworks: { lookup: async () => undefined, withBudgets: async () => new Set<string>() },
  });
  const notStarted = { machine: sim(15), workflowId: `${ids.machine(sim(15))}/not-started`, key: machineKey(sim(15)) };
  const deadlineMs = Date.parse(created.body.deadline);
  const running = env.run(killWindowAtDeadline, { windowId: created.body.id, deadlineMs, machines: [notStarted] });
  // Its workflow starts a second after the deadline, after the kills (a stand-in nothing polls, which keeps what it is
  // signalled in its history): it is told then, and would date its hard drain from the kills.
  await new Promise((r) => setTimeout(r, Math.max(deadlineMs + 1_000 - Date.now(), 0)));
  const late = await client.workflow.start('standInForALateMachine', { taskQueue: 'nobody-polls', workflowId: notStarted.workflowId });
  const result = (await running) as WindowDeadlineKillResult;
  expect(result).toEqual({ fired: [expect.objectContaining({ key: notStarted.key })], notFired: [] });
  expect((await killsOn(15)).length).toBeGreaterThan(0);
  const told = ((await late.fetchHistory()).events ?? []).flatMap((e) => {
    const signal = e.workflowExecutionSignaledEventAttributes;
    return signal ? [{ name: signal.signalName, arg: defaultPayloadConverter.fromPayload(signal.input!.payloads![0]!) }] : [];
  });
  const firedAt = result.fired[0]!.atMs;
  expect(told).toEqual([{ name: 'machineCommand', arg: { type: 'deadline-kills', atMs: firedAt, windowId: created.body.id } }]);
  await late.terminate('test over');
});
