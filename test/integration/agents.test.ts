// Mesos 1.9 agent draining over the v1 operator API, as whole sequences against the running service (worker, API and
// simulated fleet as processes), written from ../shared/docs/mesos-maintenance.md §1.6, §2, §3 and §4 (DRAIN_AGENT,
// DEACTIVATE_AGENT, REACTIVATE_AGENT). No authentication here.
//
// The sim's default layout: every machine runs a `mover` task, even ones a `decliner` task, every third a `silent`
// one. Each sequence uses its own machine; no maintenance schedule is posted until the last one, so no framework
// moves tasks meanwhile.
import { Stack } from '../support/stack';

let stack: Stack;
const TASK_GRACE_MS = 300;

beforeAll(async () => {
  stack = await Stack.start({ machines: 6, taskGrace: `${TASK_GRACE_MS}ms` });
}, 120_000);

afterAll(() => stack?.stop());

const OK = { status: 200, text: '' };

function v1(call: unknown) {
  return stack.mesos('POST', '/api/v1', call, { Accept: 'application/json' });
}

const drain = (agent: string, extra: object = {}) => v1({ type: 'DRAIN_AGENT', drain_agent: { agent_id: { value: agent }, ...extra } });
const deactivate = (agent: string) => v1({ type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: agent } } });
const reactivate = (agent: string) => v1({ type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: agent } } });

async function agents(): Promise<any[]> {
  const res = await v1({ type: 'GET_AGENTS' });
  expect(res.status).toBe(200);
  expect(res.json.type).toBe('GET_AGENTS');
  return res.json.get_agents.agents ?? [];
}

async function agent(agentId: string): Promise<any | undefined> {
  return (await agents()).find((a) => a.agent_info.id.value === agentId);
}

/** The sim's tasks on a machine. */
async function tasksOn(hostname: string): Promise<any[]> {
  return (await stack.sim(`/machines/${hostname}`)).tasks;
}

async function launch(hostname: string, gracePeriodMs?: number): Promise<Response> {
  return fetch(`${stack.simUrl}/tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ frameworkId: 'silent', machine: hostname, ...(gracePeriodMs === undefined ? {} : { gracePeriodMs }) }),
  });
}

/** The task's framework stops it (not a kill by maint). */
async function frameworkStop(taskId: string): Promise<void> {
  const res = await fetch(`${stack.simUrl}/tasks/${encodeURIComponent(taskId)}`, { method: 'DELETE' });
  expect(res.status).toBe(200);
}

test('GET_AGENTS lists every agent: id, hostname, active, not deactivated, no drain info', async () => {
  const list = await agents();
  expect(list.map((a) => a.agent_info.id.value)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `agent-sim-0${i}`));
  for (const [i, a] of list.entries()) {
    expect(a.agent_info.hostname).toBe(`sim-0${i + 1}`);
    expect(a.active).toBe(true);
    expect(a.deactivated).toBe(false);
    expect(a.drain_info).toBeUndefined();
    expect(a.estimated_drain_start_time).toBeUndefined();
  }
});

test('an empty agent: DRAIN_AGENT → DRAINED at once (no task to wait for), REACTIVATE → active again', async () => {
  const agentId = 'agent-sim-01';
  for (const task of await tasksOn('sim-01')) await frameworkStop(task.taskId);
  expect(await tasksOn('sim-01')).toEqual([]);
  const killsBefore = (await stack.sim('/stats')).killLog.length;

  expect(await drain(agentId)).toMatchObject(OK);
  const drained = await stack.eventually('agent-sim-01 DRAINED', async () => {
    const a = await agent(agentId);
    return a?.drain_info?.state === 'DRAINED' ? a : undefined;
  });
  expect(drained.deactivated).toBe(true);
  expect(drained.active).toBe(false);
  expect(drained.drain_info).toEqual({ state: 'DRAINED', config: { mark_gone: false } });
  expect((await stack.sim(`/agents/${agentId}`)).deactivated).toBe(true);
  expect((await stack.sim('/stats')).killLog.length).toBe(killsBefore); // nothing to kill

  expect(await reactivate(agentId)).toMatchObject(OK);
  const back = await agent(agentId);
  expect(back).toMatchObject({ active: true, deactivated: false });
  expect(back.drain_info).toBeUndefined();
  expect(back.estimated_drain_start_time).toBeUndefined();
  await stack.eventually('agent-sim-01 reactivated in the cluster', async () =>
    (await stack.sim(`/agents/${agentId}`)).deactivated ? undefined : true,
  );
});

test('an agent with tasks: DRAINING (kills with min(grace, max_grace_period)) → DRAINED once empty → REACTIVATE', async () => {
  const agentId = 'agent-sim-02';
  const long = await launch('sim-02', 60_000);
  expect(long.status).toBeGreaterThanOrEqual(200);
  expect(long.status).toBeLessThan(300);
  const longTask = ((await long.json()) as { taskId: string }).taskId;
  const tasks = await tasksOn('sim-02');
  expect(tasks.length).toBeGreaterThanOrEqual(2); // mover, decliner, and the long one
  expect(tasks.map((t) => t.taskId)).toContain(longTask);

  const before = Date.now();
  expect(await drain(agentId, { max_grace_period: { seconds: 2 } })).toMatchObject(OK);
  const after = Date.now();

  // DRAINING right away, with the config as DrainConfig (nanoseconds) and the drain start time.
  const draining = await agent(agentId);
  expect(draining.deactivated).toBe(true);
  expect(draining.active).toBe(false);
  expect(draining.drain_info).toEqual({
    state: 'DRAINING',
    config: { mark_gone: false, max_grace_period: { nanoseconds: 2_000_000_000 } },
  });
  const startNs = BigInt(draining.estimated_drain_start_time.nanoseconds);
  expect(startNs).toBeGreaterThanOrEqual(BigInt(before - 1000) * 1_000_000n);
  expect(startNs).toBeLessThanOrEqual(BigInt(after + 1000) * 1_000_000n);

  // A drain cannot be cancelled.
  expect(await reactivate(agentId)).toMatchObject({ status: 400, text: 'Agent is still in the DRAINING state' });
  // And no new task lands there.
  expect((await launch('sim-02')).status).toBe(409);

  // DRAINED only once no task is left: whenever GET_AGENTS says DRAINED, the sim has nothing left on sim-02 (tasks
  // only go away, so a task seen after the DRAINED answer was there when it was given).
  await stack.eventually('agent-sim-02 DRAINED', async () => {
    const a = await agent(agentId);
    const left = await tasksOn('sim-02');
    if (a.drain_info.state !== 'DRAINED') return undefined;
    expect(left).toEqual([]);
    return true;
  });

  // Every task there was killed once, none with more than the 2 s cap; the long one got exactly the cap.
  const stats = await stack.sim('/stats');
  const kills = stats.killLog.filter((k: any) => k.hostname === 'sim-02');
  expect(kills.map((k: any) => k.taskId).sort()).toEqual(tasks.map((t) => t.taskId).sort());
  for (const k of kills) {
    expect(stats.kills[k.taskId]).toBe(1);
    expect(k.gracePeriodMs).toBeLessThanOrEqual(2000);
    expect(k.gracePeriodMs).toBe(Math.min(tasks.find((t) => t.taskId === k.taskId).gracePeriodMs, 2000));
  }
  expect(kills.find((k: any) => k.taskId === longTask).gracePeriodMs).toBe(2000);
  expect(stats.lost.filter((l: any) => l.hostname === 'sim-02')).toEqual([]);

  const drained = await agent(agentId);
  expect(drained.deactivated).toBe(true);
  expect(drained.drain_info).toEqual({
    state: 'DRAINED',
    config: { mark_gone: false, max_grace_period: { nanoseconds: 2_000_000_000 } },
  });

  expect(await reactivate(agentId)).toMatchObject(OK);
  const back = await agent(agentId);
  expect(back).toMatchObject({ active: true, deactivated: false });
  expect(back.drain_info).toBeUndefined();
  expect(back.estimated_drain_start_time).toBeUndefined();
  // Reactivated once more is refused: it is not deactivated.
  expect(await reactivate(agentId)).toMatchObject({ status: 400, text: 'Agent is not deactivated' });

  // It takes tasks again.
  const relaunch = await stack.eventually('a task launched on sim-02 again', async () => {
    const res = await launch('sim-02');
    return res.status >= 200 && res.status < 300 ? res : undefined;
  });
  expect(relaunch.status).toBeLessThan(300);
  expect(await tasksOn('sim-02')).toHaveLength(1);
});

test('mark_gone: DRAINING → (empty) GONE; the agent leaves GET_AGENTS for good', async () => {
  const agentId = 'agent-sim-03';
  // A long task keeps the agent DRAINING for the whole 1.5 s cap.
  expect((await launch('sim-03', 60_000)).status).toBe(201);
  const tasks = await tasksOn('sim-03');
  expect(tasks.length).toBeGreaterThan(1);

  expect(await drain(agentId, { mark_gone: true, max_grace_period: { seconds: 1, nanos: 500_000_000 } })).toMatchObject(OK);
  // Still listed while its tasks are being killed.
  const draining = await agent(agentId);
  expect(draining).toBeDefined();
  expect(draining.deactivated).toBe(true);
  expect(draining.drain_info).toEqual({
    state: 'DRAINING',
    config: { mark_gone: true, max_grace_period: { nanoseconds: 1_500_000_000 } },
  });
  expect(await reactivate(agentId)).toMatchObject({ status: 400, text: 'Agent is still in the DRAINING state' });

  await stack.eventually('agent-sim-03 gone from GET_AGENTS', async () => ((await agent(agentId)) ? undefined : true));
  const list = await agents();
  expect(list.map((a) => a.agent_info.id.value)).not.toContain(agentId);
  expect(list).toHaveLength(5);
  await stack.eventually('agent-sim-03 gone in the cluster', async () => {
    const a = await stack.sim(`/agents/${agentId}`);
    return a.gone ? a : undefined;
  });

  // Its tasks were killed (each once, within the cap), not lost: GONE comes after the agent is empty.
  const stats = await stack.sim('/stats');
  const kills = stats.killLog.filter((k: any) => k.hostname === 'sim-03');
  expect(kills.map((k: any) => k.taskId).sort()).toEqual(tasks.map((t) => t.taskId).sort());
  for (const k of kills) {
    expect(stats.kills[k.taskId]).toBe(1);
    expect(k.gracePeriodMs).toBeLessThanOrEqual(1500);
  }
  expect(Math.max(...kills.map((k: any) => k.gracePeriodMs))).toBe(1500); // the long task, capped
  expect(stats.lost.filter((l: any) => l.hostname === 'sim-03')).toEqual([]);

  // A gone agent is unknown.
  expect(await drain(agentId)).toMatchObject({ status: 400, text: 'Unknown agent' });
  expect(await drain(agentId, { mark_gone: true })).toMatchObject({ status: 400, text: 'Unknown agent' });
  expect(await deactivate(agentId)).toMatchObject({ status: 400, text: 'Unknown agent' });
  expect((await launch('sim-03')).status).toBe(409);
});

test('DEACTIVATE_AGENT then REACTIVATE_AGENT: tasks keep running; the refusals and their texts', async () => {
  const agentId = 'agent-sim-04';
  expect(await reactivate(agentId)).toMatchObject({ status: 400, text: 'Agent is not deactivated' });
  expect(await deactivate('agent-nowhere')).toMatchObject({ status: 400, text: 'Unknown agent' });
  expect(await drain('agent-nowhere')).toMatchObject({ status: 400, text: 'Unknown agent' });
  expect(await reactivate('agent-nowhere')).toMatchObject({ status: 400, text: 'Agent is not deactivated' });

  const tasks = (await tasksOn('sim-04')).map((t) => t.taskId).sort();
  expect(tasks.length).toBeGreaterThan(0);

  expect(await deactivate(agentId)).toMatchObject(OK);
  const off = await agent(agentId);
  expect(off).toMatchObject({ active: false, deactivated: true });
  expect(off.drain_info).toBeUndefined();
  // No new task there, once the cluster has it.
  await stack.eventually('sim-04 refusing launches', async () => ((await launch('sim-04')).status === 409 ? true : undefined));
  // May be repeated.
  expect(await deactivate(agentId)).toMatchObject(OK);
  expect(await agent(agentId)).toMatchObject({ active: false, deactivated: true });

  // Its tasks keep running: same tasks, all RUNNING, none killed.
  const running = await tasksOn('sim-04');
  expect(running.map((t) => t.taskId).sort()).toEqual(tasks);
  expect(running.every((t) => t.state === 'RUNNING')).toBe(true);

  expect(await reactivate(agentId)).toMatchObject(OK);
  const on = await agent(agentId);
  expect(on).toMatchObject({ active: true, deactivated: false });
  expect(on.drain_info).toBeUndefined();
  expect(await reactivate(agentId)).toMatchObject({ status: 400, text: 'Agent is not deactivated' });
  await stack.eventually('sim-04 taking launches again', async () => {
    const res = await launch('sim-04');
    return res.status >= 200 && res.status < 300 ? true : undefined;
  });

  const stats = await stack.sim('/stats');
  expect(stats.killLog.filter((k: any) => k.hostname === 'sim-04')).toEqual([]);
  expect(stats.lost.filter((l: any) => l.hostname === 'sim-04')).toEqual([]);
  const now = (await tasksOn('sim-04')).map((t) => t.taskId);
  for (const t of tasks) expect(now).toContain(t);
});

test('calls in quick succession apply in order: a drain right after a reactivation is not lost', async () => {
  const agentId = 'agent-sim-06';
  for (let round = 1; round <= 3; round++) {
    expect(await deactivate(agentId)).toMatchObject(OK);
    expect(await reactivate(agentId)).toMatchObject(OK);
    // REACTIVATE answered: the agent is active; a DRAIN_AGENT now deactivates and drains it.
    expect(await drain(agentId)).toMatchObject(OK);
    const now = await agent(agentId);
    // The drain must take effect for good (DRAINED once its short-grace tasks are gone), not be undone by the
    // reactivation before it.
    const drained = await stack
      .eventually(
        `agent-sim-06 DRAINED (round ${round})`,
        async () => {
          const a = await agent(agentId);
          return a?.drain_info?.state === 'DRAINED' ? a : undefined;
        },
        15_000,
      )
      .catch(async () => agent(agentId));
    expect({ round, drain_info: drained.drain_info, deactivated: drained.deactivated }).toEqual({
      round,
      drain_info: { state: 'DRAINED', config: { mark_gone: false } },
      deactivated: true,
    });
    // And it was visible at once: DRAINING (or already DRAINED), deactivated.
    expect({ round, deactivated: now.deactivated }).toEqual({ round, deactivated: true });
    expect(['DRAINING', 'DRAINED']).toContain(now.drain_info?.state);
    expect((await stack.sim(`/agents/${agentId}`)).deactivated).toBe(true);
    expect(await reactivate(agentId)).toMatchObject(OK);
    await stack.eventually('agent-sim-06 active again', async () => ((await agent(agentId))?.deactivated ? undefined : true));
  }
});

test('an agent whose machine is in the maintenance schedule cannot be drained', async () => {
  const m5 = { hostname: 'sim-05', ip: '192.0.2.5' };
  const schedule = { windows: [{ machine_ids: [m5], unavailability: { start: { nanoseconds: 1443830400000000000n } } }] };
  expect(await stack.mesos('POST', '/master/maintenance/schedule', schedule)).toMatchObject(OK);
  const refused = await drain('agent-sim-05');
  expect(refused.status).toBe(400);
  // Mesos streams the MachineID here (type_utils.cpp operator<<: "host (ip)"), not its JSON.
  expect(refused.text).toBe('Agent agent-sim-05 is part of a maintenance schedule under Machine sim-05 (192.0.2.5)');
  const a = await agent('agent-sim-05');
  expect(a.drain_info).toBeUndefined();
  expect(await stack.mesos('POST', '/master/maintenance/schedule', {})).toMatchObject(OK);
});
