// The worker dies (SIGKILL) while machines are DRAINING and again during the hard drain; a new worker takes over and
// the window completes. The simulator counts kills per task: every task left at the deadline is killed, none twice.
import { Client, Connection } from '@temporalio/client';
import { Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  // Kills take 3 s (the tasks' grace period), so the second crash lands inside the hard drain.
  stack = await Stack.start({ machines: 12, checkInterval: '1s', taskGrace: '3s' });
});
afterAll(() => stack?.stop());

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGKILL of the worker while DRAINING and during a hard drain: the window completes, each task killed once', async () => {
  const machines = [2, 3, 4, 6].map(sim); // each hosts tasks of the decliner or the silent framework
  const windowMachines = new Set(machines.map((m) => m.hostname));
  const before: { taskId: string; frameworkId: string; hostname: string }[] = await stack.sim('/tasks');
  const mustDie = before.filter((t) => windowMachines.has(t.hostname) && t.frameworkId !== 'mover').map((t) => t.taskId);
  expect(mustDie.length).toBeGreaterThanOrEqual(4);

  const created = await stack.api('POST', '/api/v1/windows', { machines, drainWithin: '10s', duration: '3s' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;

  // Crash 1: machines are DRAINING, inverse offers out.
  await stack.eventually('inverse offers delivered', async () => {
    const frameworks = await stack.sim('/frameworks');
    const silent = frameworks.find((f: any) => f.id === 'silent');
    return silent.events.filter((e: any) => e.type === 'INVERSE_OFFERS').length >= 2 ? true : undefined;
  });
  await stack.kill('worker');
  await pause(1_500);
  stack.spawn('worker');

  // Crash 2: the hard drain has issued its kills and waits for the grace periods to run out.
  const killing = await stack.eventually('the hard drain to start killing', async () => {
    const stats = await stack.sim('/stats');
    return stats.killLog.length > 0 ? stats : undefined;
  }, 60_000);
  await stack.kill('worker');
  const tasksWhenCrashed: any[] = await stack.sim('/tasks');
  expect(tasksWhenCrashed.some((t) => t.state === 'KILLING')).toBe(true); // the crash landed mid-drain
  expect(killing.killLog.length).toBeLessThan(mustDie.length + 8);
  await pause(1_500);
  stack.spawn('worker');

  const done = await stack.eventually('the window to complete after two crashes', async () => {
    const res = await stack.api('GET', `/api/v1/windows/${id}`);
    return res.status === 200 && res.body.state === 'COMPLETED' ? res.body : undefined;
  }, 120_000);
  for (const m of done.machines) expect(m.mode).toBe('UP');

  const stats = await stack.sim('/stats');
  for (const [taskId, count] of Object.entries(stats.kills)) expect([taskId, count]).toEqual([taskId, 1]);
  for (const taskId of mustDie) expect(stats.kills[taskId]).toBe(1); // everything left at the deadline was killed
  expect(stats.lost).toEqual([]); // nothing was still running when a machine went down
  for (const kill of stats.killLog) expect(kill.idempotencyKey).toMatch(new RegExp(`^${id}/h=sim-\\d+;i=[\\d.]+/hard-drain$`));
  const killedByMaint = done.machines.flatMap((m: any) => m.killed.map((t: any) => t.taskId)).sort();
  expect(killedByMaint).toEqual(Object.keys(stats.kills).sort());
});

test('with no worker running, a machine and its window still read: their state comes from their memo, not a query', async () => {
  const created = await stack.api('POST', '/api/v1/windows', { machines: [sim(9)], drainWithin: '5m', duration: '1m' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const seen = await stack.eventually('sim-09 looked at and offered', async () => {
    const res = await stack.api('GET', '/api/v1/machines/sim-09');
    const m = res.body?.maintenance;
    return m?.window === id && m.mode === 'DRAINING' && m.remaining.length > 0 && m.outstandingOffers.length > 0 ? m : undefined;
  });
  await stack.kill('worker');
  try {
    const started = Date.now();
    const res = await stack.api('GET', '/api/v1/machines/sim-09');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000); // a query would wait for a worker that never comes
    const m = res.body.maintenance;
    expect([m.window, m.mode, m.phase]).toEqual([id, 'DRAINING', 'draining']);
    expect(m.remaining).toEqual(seen.remaining);
    expect(m.outstandingOffers).toEqual(seen.outstandingOffers);
    expect(m.waitingOn).toMatch(/\S/);
    const window = await stack.api('GET', `/api/v1/windows/${id}`);
    expect(window.status).toBe(200);
    expect(window.body.machines.map((x: any) => [x.mode, x.remaining])).toEqual([['DRAINING', seen.remaining]]);
    const windows = await stack.api('GET', '/api/v1/windows');
    expect(windows.body.windows.map((w: any) => w.id)).toContain(id);
  } finally {
    stack.spawn('worker');
  }
  expect((await stack.api('POST', `/api/v1/windows/${id}/cancel`)).status).toBe(200);
});

test("a machine whose workflow has not yet run its first task reads as its window shows it, without waiting on a worker", async () => {
  // As when a busy worker has not yet picked up a run the window just started: the worker is down, and sim-10's run is
  // started again by hand, with its input, its window's search attributes and no task done.
  const created = await stack.api('POST', '/api/v1/windows', { machines: [sim(10)], drainWithin: '5m', duration: '1m' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await stack.eventually('sim-10 published', async () => {
    const res = await stack.api('GET', '/api/v1/machines/sim-10');
    return res.body?.maintenance?.window === id && res.body.maintenance.remaining.length > 0 ? true : undefined;
  });
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  const workflowId = `${stack.env.MAINT_INSTANCE}/machine/h=sim-10;i=192.0.2.10`;
  await stack.kill('worker');
  try {
    const first = await client.workflow.getHandle(workflowId).fetchHistory();
    const started = first.events![0].workflowExecutionStartedEventAttributes!;
    const { typedSearchAttributes } = await client.workflow.getHandle(workflowId).describe();
    await client.workflow.getHandle(workflowId).terminate('test: a fresh run that no worker has run yet');
    await client.workflow.start('machineWorkflow', {
      workflowId,
      taskQueue: stack.env.MAINT_TASK_QUEUE!,
      args: [client.options.loadedDataConverter.payloadConverter.fromPayload(started.input!.payloads![0])],
      typedSearchAttributes,
    });
    const t0 = Date.now();
    const window = await stack.api('GET', `/api/v1/windows/${id}`);
    expect(window.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5_000); // a query would wait 10 s for a worker, then answer 503
    expect(window.body.machines.map((m: any) => [m.mode, m.phase, m.waitingOn])).toEqual([['DRAINING', 'draining', 'its workflow to start']]);
    const t1 = Date.now();
    const machine = await stack.api('GET', '/api/v1/machines/sim-10');
    expect(machine.status).toBe(200);
    expect(Date.now() - t1).toBeLessThan(5_000);
    expect([machine.body.maintenance.window, machine.body.maintenance.mode, machine.body.maintenance.waitingOn]).toEqual([
      id,
      'DRAINING',
      'its workflow to start',
    ]);
  } finally {
    stack.spawn('worker');
    await connection.close();
  }
  await stack.waitHealthy();
  expect((await stack.api('POST', `/api/v1/windows/${id}/cancel`)).status).toBe(200);
});
