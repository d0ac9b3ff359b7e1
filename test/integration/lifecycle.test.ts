// The whole lifecycle over HTTP, with real processes: API, worker and simulated fleet on the dev server.
import { Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ machines: 20, checkInterval: '1s', taskGrace: '500ms' });
});
afterAll(() => stack?.stop());

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });

test('a window of six machines: inverse offers, answers, early DOWN, hard drain at the deadline, UP at its end', async () => {
  const machines = [1, 2, 3, 4, 5, 6].map(sim);
  // Ten seconds: the mover asks maint's placement advice, moves its task and accepts through its mailbox before the
  // machine empties; on a loaded CI machine six were sometimes too few for sim-01 to go DOWN before the deadline.
  const created = await stack.api('POST', '/api/v1/windows', { machines, drainWithin: '10s', duration: '4s' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  expect(id).toMatch(/^w-\d+$/);
  expect(created.body.state).toBe('ACTIVE');
  expect(created.body.policy).toEqual({ escalation: 'hard-drain', downWhenDrained: true, autoUp: true });
  expect(created.body.machines).toHaveLength(6);
  for (const m of created.body.machines) expect(m.mode).toBe('DRAINING');

  // sim-01 and sim-05 host only the cooperative mover: they empty and go DOWN before the deadline.
  const early = await stack.eventually('sim-01 DOWN before its deadline', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${id}`);
    const m = body.machines.find((x: any) => x.id.hostname === 'sim-01');
    return m.mode === 'DOWN' ? m : undefined;
  });
  expect(Date.parse(early.history.find((e: any) => e.what === 'DOWN').at)).toBeLessThan(Date.parse(created.body.deadline));
  // The mover empties the machine, then accepts: the machine may see it empty (and go DOWN) before the accept has come
  // through the mover's mailbox, and then records it as late. Either way the answer is there.
  expect(early.answers).toEqual([expect.objectContaining({ frameworkId: 'mover', answer: 'ACCEPT' })]);

  const done = await stack.eventually('the window to complete', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${id}`);
    return body.state === 'COMPLETED' ? body : undefined;
  });
  const deadline = Date.parse(created.body.deadline);
  for (const m of done.machines) {
    expect(m.mode).toBe('UP');
    const up = m.history.find((e: any) => e.what === 'UP');
    expect(Date.parse(up.at)).toBeGreaterThanOrEqual(deadline + 4_000); // start + duration
    const answered = Object.fromEntries(m.answers.map((a: any) => [a.frameworkId, a.answer]));
    if (m.killed.length) {
      // What was left at the deadline was killed then, not before.
      expect(Date.parse(m.history.find((e: any) => e.what === 'hard drain').at)).toBeGreaterThanOrEqual(deadline);
    }
    expect(answered.mover).toBe('ACCEPT');
  }
  const sim06 = done.machines.find((m: any) => m.id.hostname === 'sim-06');
  expect(Object.fromEntries(sim06.answers.map((a: any) => [a.frameworkId, a.answer]))).toEqual({ mover: 'ACCEPT', decliner: 'DECLINE' });
  expect(sim06.killed.map((t: any) => t.frameworkId).sort()).toEqual(['decliner', 'silent']);

  const stats = await stack.sim('/stats');
  for (const count of Object.values(stats.kills)) expect(count).toBe(1);
  expect(stats.lost).toEqual([]);
  expect(Object.keys(stats.kills).sort()).toEqual(
    done.machines.flatMap((m: any) => m.killed.map((t: any) => t.taskId)).sort(),
  );

  const frameworks = await stack.sim('/frameworks');
  const silent = frameworks.find((f: any) => f.id === 'silent');
  expect(silent.events.filter((e: any) => e.type === 'INVERSE_OFFERS')).toHaveLength(2); // sim-03 and sim-06
  expect(silent.events.filter((e: any) => e.type === 'RESCIND_INVERSE_OFFER')).toHaveLength(2);

  const machine = await stack.api('GET', '/api/v1/machines/sim-06');
  expect(machine.status).toBe(200);
  expect(machine.body).toMatchObject({ id: sim(6), mode: 'UP', lastWindow: id, cluster: { down: false } });
  expect(machine.body.history.map((e: any) => e.what)).toEqual(
    expect.arrayContaining(['DRAINING', 'deadline passed', 'hard drain', 'DOWN', 'UP']),
  );
  const byIp = await stack.api('GET', '/api/v1/machines/192.0.2.6');
  expect(byIp.body.lastWindow).toBe(id);

  const list = await stack.eventually('the window in the list', async () => {
    const { body } = await stack.api('GET', '/api/v1/windows');
    return body.windows.some((w: any) => w.id === id) ? body.windows : undefined;
  });
  expect(list.find((w: any) => w.id === id).state).toBe('COMPLETED');
});

test('health answers 200 with a worker polling', async () => {
  const health = await stack.api('GET', '/healthz');
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({ ok: true, temporal: 'reachable' });
});

test("a window read after its machine moved on to a newer window shows the machine's run in that window", async () => {
  // sim-08 is cancelled out of a first window, then scheduled in a second: its workflow has a run per window.
  const first = await stack.api('POST', '/api/v1/windows', { machines: [sim(8)], drainWithin: '5m', duration: '1m' });
  expect(first.status).toBe(201);
  // Cancelled at once, before the window has started its machine's workflow (window-commands-after-start).
  expect((await stack.api('POST', `/api/v1/windows/${first.body.id}/cancel`)).status).toBe(200);
  await stack.eventually('the first window to end', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${first.body.id}`);
    return body.machines[0].mode === 'UP' && body.machines[0].phase === 'done' ? true : undefined;
  });
  const second = await stack.eventually('the second window made once the first run has ended', async () => {
    const res = await stack.api('POST', '/api/v1/windows', { machines: [sim(8)], drainWithin: '5m', duration: '1m' });
    return res.status === 201 ? res : undefined;
  });
  await stack.eventually("the second window's machine started", async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${second.body.id}`);
    return body.machines[0].waitingOn !== 'its workflow to start' ? true : undefined;
  });
  // Read twice: once at once (visibility may not list the new run yet, so the machine is described) and once after
  // visibility has caught up (the machine's runs are listed by window).
  for (const pause of [0, 2_000]) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    const older = await stack.api('GET', `/api/v1/windows/${first.body.id}`);
    expect(older.body.machines.map((m: any) => [m.window, m.mode])).toEqual([[first.body.id, 'UP']]);
    const newer = await stack.api('GET', `/api/v1/windows/${second.body.id}`);
    expect(newer.body.machines.map((m: any) => [m.window, m.mode])).toEqual([[second.body.id, 'DRAINING']]);
  }
  expect((await stack.api('POST', `/api/v1/windows/${second.body.id}/cancel`)).status).toBe(200);
});
