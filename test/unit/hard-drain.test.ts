// The hard-drain activity against the real simulator over HTTP: a task a framework places on the machine after the
// kill is killed too (under the same key), so the drain ends; every task is killed once. bench:fleet found a drain that
// waited for its two-hour timeout because the mover placed a task there after the kill.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDriverActivities } from '../../activities/driver';
import { SimDriver } from '../../src/drivers/sim-driver';
import { startSim } from '../../src/sim/server';

type Sim = Awaited<ReturnType<typeof startSim>>;
let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ port: 0, machines: 3, frameworks: [], layout: () => [{ frameworkId: 'early' }], taskGracePeriodMs: 300 });
});
afterAll(() => sim.close());

test('a task placed after the kill is killed too, once, and the drain then ends', async () => {
  // The framework directory is for notices, which a hard drain never sends.
  const activities = createDriverActivities({ driver: new SimDriver(sim.url), frameworks: undefined as never, drainPollMs: 50 });
  const machine = { hostname: 'sim-01', ip: '192.0.2.1' };
  const drained = new MockActivityEnvironment().run(activities.hardDrain, { machine, idempotencyKey: 'w-1/sim-01/hard-drain' });
  await new Promise((resolve) => setTimeout(resolve, 100)); // the first kill is under way (300 ms grace)
  const launched = await fetch(`${sim.url}/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ frameworkId: 'late', machine, gracePeriodMs: 100 }),
  });
  expect(launched.status).toBe(201);

  const result = (await drained) as Awaited<ReturnType<typeof activities.hardDrain>>;
  expect(result.killed.map((k) => k.frameworkId).sort()).toEqual(['early', 'late']);
  const stats = (await (await fetch(`${sim.url}/stats`)).json()) as { kills: Record<string, number>; tasks: number };
  expect(Object.values(stats.kills)).toEqual([1, 1]);
  const left = (await (await fetch(`${sim.url}/machines/sim-01`)).json()) as { tasks: unknown[] };
  expect(left.tasks).toEqual([]);
}, 20_000);

test('a task placed after the hard drain found the machine empty is killed by the down, not lost', async () => {
  const activities = createDriverActivities({ driver: new SimDriver(sim.url), frameworks: undefined as never, drainPollMs: 50 });
  const machine = { hostname: 'sim-02', ip: '192.0.2.2' };
  const drain = { machine, idempotencyKey: 'w-1/sim-02/hard-drain' };
  const env = new MockActivityEnvironment();
  const drained = (await env.run(activities.hardDrain, drain)) as Awaited<ReturnType<typeof activities.hardDrain>>;
  expect(drained.killed.map((k) => k.frameworkId)).toEqual(['early']);
  const launched = await fetch(`${sim.url}/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ frameworkId: 'late', machine, gracePeriodMs: 100 }),
  });
  expect(launched.status).toBe(201);

  const down = (await env.run(activities.takeMachineDown, { machine, idempotencyKey: 'w-1/sim-02/down', drain })) as Awaited<
    ReturnType<typeof activities.takeMachineDown>
  >;
  expect(down.killed.map((k) => k.frameworkId).sort()).toEqual(['early', 'late']); // the key's whole list
  const stats = (await (await fetch(`${sim.url}/stats`)).json()) as { kills: Record<string, number>; lost: unknown[] };
  expect(stats.lost).toEqual([]);
  expect(Object.values(stats.kills).every((n) => n === 1)).toBe(true); // none killed twice, on either machine
}, 20_000);

test('with a down key, the hard drain shuts the machine down once empty; a retry kills and shuts down nothing twice', async () => {
  const activities = createDriverActivities({ driver: new SimDriver(sim.url), frameworks: undefined as never, drainPollMs: 50 });
  const machine = { hostname: 'sim-03', ip: '192.0.2.3' };
  const request = { machine, idempotencyKey: 'w-1/sim-03/hard-drain', downKey: 'w-1/sim-03/down' };
  const env = new MockActivityEnvironment();
  const first = (await env.run(activities.hardDrain, request)) as Awaited<ReturnType<typeof activities.hardDrain>>;
  expect(first.killed.map((k) => k.frameworkId)).toEqual(['early']);
  const described = async () => (await (await fetch(`${sim.url}/machines/sim-03`)).json()) as { down: boolean; tasks: unknown[] };
  expect(await described()).toMatchObject({ down: true, tasks: [] });

  // A retry after a worker crash, say: the same answer, no second kill.
  const again = (await env.run(activities.hardDrain, request)) as Awaited<ReturnType<typeof activities.hardDrain>>;
  expect(again.killed).toEqual(first.killed);
  expect((await described()).down).toBe(true);
  const stats = (await (await fetch(`${sim.url}/stats`)).json()) as { kills: Record<string, number> };
  expect(Object.values(stats.kills).every((n) => n === 1)).toBe(true);
}, 20_000);
