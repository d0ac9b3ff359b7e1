// The sim as a process: real HTTP in both directions. A tiny server stands in for maint's scheduler endpoint: it
// records the calls, answers placement advice, and (like maint) learns each framework's webhook secret at SUBSCRIBE,
// which the test then signs its deliveries with.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { ClusterAgent } from '../../src/drivers/cluster-driver';
import { CLUSTER_REQUEST_REJECTED, SimDriver } from '../../src/drivers/sim-driver';
import type { PlacementJson, PlacementRequestJson, SchedulerCall } from '../../src/domain/scheduler-wire';
import { parseJson, stringifyJson } from '../../src/lib/json';
import { signatureHeaders } from '../../src/lib/signature';
import type { FrameworkView } from '../../src/sim/frameworks';
import type { FleetStats, PlacedTask } from '../../src/sim/fleet';
import { startSim, type RunningSim } from '../../src/sim/server';

const NANOS = 1443830400000000001n; // beyond 2^53: a float would round it

interface FakeMaint {
  url: string;
  calls: SchedulerCall[];
  placements: PlacementRequestJson[];
  /** How placement answers: a ranking of the asked machines, or 'fail' (503). */
  placement: ((request: PlacementRequestJson) => PlacementJson) | 'fail';
  close(): Promise<void>;
}

/** Every machine NO_MAINTENANCE, in the order asked. */
const noMaintenance = (request: PlacementRequestJson): PlacementJson => ({
  ranking: request.machine_ids.map((machine_id, i) => ({
    machine_id,
    rank: i + 1,
    class: 'NO_MAINTENANCE',
    reason: 'no maintenance scheduled',
  })),
});

/**
 * Answers like maint: SUBSCRIBED (200) to SUBSCRIBE, 202 to the rest, placement advice; refuses each framework's
 * first SUBSCRIBE.
 */
async function startFakeMaint(): Promise<FakeMaint> {
  const fake: FakeMaint = { url: '', calls: [], placements: [], placement: noMaintenance, close: async () => {} };
  const refusedOnce = new Set<string>();
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v1/scheduler/placement') {
        const request = parseJson(text) as PlacementRequestJson;
        fake.placements.push(request);
        if (fake.placement === 'fail') return res.writeHead(503).end('{"error":"UNAVAILABLE"}');
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(stringifyJson(fake.placement(request)));
      }
      if (req.method !== 'POST' || req.url !== '/api/v1/scheduler') return res.writeHead(404).end();
      const call = parseJson(text) as SchedulerCall;
      if (call.type !== 'SUBSCRIBE') {
        fake.calls.push(call);
        return res.writeHead(202).end();
      }
      const id = call.subscribe.framework_info.id?.value ?? 'assigned';
      if (!refusedOnce.has(id)) {
        refusedOnce.add(id);
        return res.writeHead(503).end('not ready');
      }
      fake.calls.push(call);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(stringifyJson({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: id }, heartbeat_interval_seconds: 15 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let maint: FakeMaint;
let sim: RunningSim;

async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : stringifyJson(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? parseJson(text) : undefined };
}

/** The webhook secret a framework subscribed with, as maint learnt it. */
function secretOf(frameworkId: string): string {
  const subscribe = callsOf('SUBSCRIBE').find((c) => c.subscribe.framework_info.id?.value === frameworkId);
  const secret = subscribe?.subscribe.webhook?.secret;
  if (secret === undefined) throw new Error(`${frameworkId} has not subscribed with a webhook secret`);
  return secret;
}

/** The headers of one delivery, as maint sends them: signed with the framework's secret. */
function deliveryHeaders(frameworkId: string, body: string, idempotencyKey?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
    ...signatureHeaders(secretOf(frameworkId), body),
  };
}

/** POSTs an event to a simulated framework's webhook, signed, as maint does. */
function deliver(frameworkId: string, event: unknown, idempotencyKey?: string) {
  const body = typeof event === 'string' ? event : stringifyJson(event);
  return request('POST', `/frameworks/${frameworkId}/webhook`, body, deliveryHeaders(frameworkId, body, idempotencyKey));
}

/** A delivery to another sim (each test sim has its own frameworks). */
async function deliverTo(other: RunningSim, frameworkId: string, event: unknown, idempotencyKey: string) {
  await waitFor(() => callsOf('SUBSCRIBE').some((c) => c.subscribe.framework_info.id?.value === frameworkId), 'the SUBSCRIBE');
  const body = stringifyJson(event);
  const response = await fetch(`${other.url}/frameworks/${frameworkId}/webhook`, {
    method: 'POST',
    headers: deliveryHeaders(frameworkId, body, idempotencyKey),
    body,
  });
  expect(response.status).toBe(200);
}

async function viewOf(other: RunningSim, frameworkId: string): Promise<FrameworkView> {
  const views = (await (await fetch(`${other.url}/frameworks`)).json()) as FrameworkView[];
  const view = views.find((v) => v.id === frameworkId);
  if (!view) throw new Error(`no framework ${frameworkId}`);
  return view;
}

async function frameworks(): Promise<Record<string, FrameworkView>> {
  const views = (await request('GET', '/frameworks')).body as FrameworkView[];
  return Object.fromEntries(views.map((v) => [v.id, v]));
}

function inverseOffers(offerId: string, agentId: string, frameworkId: string) {
  return {
    type: 'INVERSE_OFFERS',
    inverse_offers: {
      inverse_offers: [
        {
          id: { value: offerId },
          framework_id: { value: frameworkId },
          agent_id: { value: agentId },
          unavailability: { start: { nanoseconds: NANOS }, duration: { nanoseconds: 3_600_000_000_000n } },
          resources: [],
        },
      ],
    },
  };
}

function callsOf<T extends SchedulerCall['type']>(type: T): Extract<SchedulerCall, { type: T }>[] {
  return maint.calls.filter((c): c is Extract<SchedulerCall, { type: T }> => c.type === type);
}

beforeAll(async () => {
  maint = await startFakeMaint();
  sim = await startSim({
    port: 0,
    maintUrl: maint.url,
    frameworks: [
      { id: 'mover', behaviour: 'mover', answerDelayMs: 50 },
      { id: 'decliner', behaviour: 'decliner' },
      { id: 'silent', behaviour: 'silent' },
      { id: 'waiter', behaviour: 'waiter', refuseSeconds: 600, partitionAware: true, budget: { maxMachinesDown: 1 } },
    ],
    taskGracePeriodMs: 100,
    subscribeRetryMs: 50,
    logger: pino({ level: 'silent' }),
  });
  await waitFor(async () => Object.values(await frameworks()).every((f) => f.subscribed), 'subscriptions');
});

afterAll(async () => {
  await sim.close();
  await maint.close();
});

describe('simulated frameworks', () => {
  test('subscribe with their webhook URL, a secret each, and their options, retrying until maint answers', () => {
    const subscriptions = callsOf('SUBSCRIBE');
    expect(subscriptions).toHaveLength(4);
    const webhook = (id: string) => ({ url: `${sim.url}/frameworks/${id}/webhook`, secret: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        ...['mover', 'decliner', 'silent'].map((id) => ({
          type: 'SUBSCRIBE',
          subscribe: { framework_info: { id: { value: id }, name: id }, webhook: webhook(id) },
        })),
        {
          type: 'SUBSCRIBE',
          subscribe: {
            framework_info: { id: { value: 'waiter' }, name: 'waiter', capabilities: [{ type: 'PARTITION_AWARE' }] },
            webhook: webhook('waiter'),
            disruption_budget: { max_machines_down: 1 },
          },
        },
      ]),
    );
    expect(new Set(subscriptions.map((c) => c.subscribe.webhook?.secret)).size).toBe(4);
  });

  test('mover moves its task where maint advises, then accepts with plan MOVE; a duplicate delivery has no effect', async () => {
    // maint says sim-05, the least loaded machine, goes down during the next hour.
    maint.placement = (request) => {
      const ranking = noMaintenance(request).ranking;
      const sim05 = ranking.findIndex((r) => r.machine_id.hostname === 'sim-05');
      const [down] = ranking.splice(sim05, 1);
      return { ranking: [...ranking, { ...down, class: 'DOWN_DURING_TASK', reason: 'down in 10 minutes' }] };
    };
    const event = inverseOffers('offer-1', 'agent-sim-01', 'mover');
    try {
      expect(await deliver('mover', event, 'delivery-1')).toEqual({ status: 200, body: {} });
      await waitFor(() => callsOf('ACCEPT_INVERSE_OFFERS').length === 1, 'the ACCEPT');
    } finally {
      maint.placement = noMaintenance;
    }
    expect(callsOf('ACCEPT_INVERSE_OFFERS')[0]).toEqual({
      type: 'ACCEPT_INVERSE_OFFERS',
      framework_id: { value: 'mover' },
      accept_inverse_offers: { inverse_offer_ids: [{ value: 'offer-1' }], plan: 'MOVE' },
    });
    // Asked about every up, active agent but the offered one, for an hour.
    expect(maint.placements).toEqual([
      {
        machine_ids: sim.fleet.machines().slice(1).map((m) => m.id),
        runtime_seconds: 3600,
      },
    ]);
    const moverTasks = (await request('GET', '/tasks?frameworkId=mover')).body as PlacedTask[];
    expect(moverTasks).toHaveLength(20);
    expect(moverTasks.some((t) => t.hostname === 'sim-01')).toBe(false);
    // Not sim-05 (least loaded, but going down): the least loaded of the machines with no maintenance, sim-07.
    const onSim07 = moverTasks.filter((t) => t.hostname === 'sim-07').map((t) => t.taskId);
    expect(onSim07).toEqual(['mover.sim-07.1', 'mover.sim-07.2']);

    const mover = (await frameworks()).mover;
    expect(mover.events).toHaveLength(1);
    expect(mover.events[0]).toMatchObject({
      type: 'INVERSE_OFFERS',
      inverseOfferIds: ['offer-1'],
      idempotencyKey: 'delivery-1',
    });
    const received = mover.events[0].event as ReturnType<typeof inverseOffers>;
    expect(received.inverse_offers.inverse_offers[0].unavailability.start.nanoseconds).toBe(NANOS);
    expect(mover.answers).toMatchObject([{ type: 'ACCEPT_INVERSE_OFFERS', inverseOfferIds: ['offer-1'], plan: 'MOVE' }]);
    expect(mover.placementFailures).toBe(0);

    // maint delivers the same event again.
    expect(await deliver('mover', event, 'delivery-1')).toEqual({ status: 200, body: { duplicate: true } });
    await sleep(200); // four times the answer delay
    const after = (await frameworks()).mover;
    expect(after.duplicatesIgnored).toBe(1);
    expect(after.events.map((e) => e.duplicate)).toEqual([false, true]);
    expect(after.answers).toHaveLength(1);
    expect(callsOf('ACCEPT_INVERSE_OFFERS')).toHaveLength(1);
    const stats = (await request('GET', '/stats')).body as { launches: number; kills: object };
    expect(stats).toMatchObject({ launches: 1, kills: {} });
  });

  test('mover forgets a rescinded inverse offer', async () => {
    const rescind = { inverse_offer_id: { value: 'offer-1' } };
    await deliver('mover', { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: rescind }, 'delivery-2');
    await waitFor(async () => (await frameworks()).mover.inverseOffers.length === 0, 'the rescind');
    const recorded = (await frameworks()).mover.events[2];
    expect(recorded).toMatchObject({ type: 'RESCIND_INVERSE_OFFER', inverseOfferIds: ['offer-1'] });
  });

  test('decliner declines at once, without filters, and keeps its task', async () => {
    await deliver('decliner', inverseOffers('offer-2', 'agent-sim-02', 'decliner'), 'delivery-3');
    await waitFor(() => callsOf('DECLINE_INVERSE_OFFERS').length === 1, 'the DECLINE');
    expect(callsOf('DECLINE_INVERSE_OFFERS')[0]).toEqual({
      type: 'DECLINE_INVERSE_OFFERS',
      framework_id: { value: 'decliner' },
      decline_inverse_offers: { inverse_offer_ids: [{ value: 'offer-2' }] },
    });
    const tasks = (await request('GET', '/tasks?frameworkId=decliner')).body as PlacedTask[];
    expect(tasks.map((t) => t.taskId)).toContain('decliner.sim-02.1');
  });

  test('waiter declines with plan WAIT and its refuse filter', async () => {
    await deliver('waiter', inverseOffers('offer-w', 'agent-sim-08', 'waiter'), 'delivery-w');
    const declined = () => callsOf('DECLINE_INVERSE_OFFERS').filter((c) => c.framework_id.value === 'waiter');
    await waitFor(() => declined().length === 1, 'the DECLINE');
    expect(declined()[0]).toEqual({
      type: 'DECLINE_INVERSE_OFFERS',
      framework_id: { value: 'waiter' },
      decline_inverse_offers: { inverse_offer_ids: [{ value: 'offer-w' }], filters: { refuse_seconds: 600 }, plan: 'WAIT' },
    });
    expect((await frameworks()).waiter).toMatchObject({
      refuseSeconds: 600,
      partitionAware: true,
      budget: { maxMachinesDown: 1 },
      answers: [{ type: 'DECLINE_INVERSE_OFFERS', plan: 'WAIT', refuseSeconds: 600 }],
    });
  });

  test('silent records the event and says nothing', async () => {
    const before = maint.calls.length;
    await deliver('silent', inverseOffers('offer-3', 'agent-sim-03', 'silent'), 'delivery-4');
    await sleep(150);
    expect(maint.calls.length).toBe(before);
    const silent = (await frameworks()).silent;
    expect(silent.events.map((e) => e.inverseOfferIds)).toEqual([['offer-3']]);
    expect(silent.answers).toEqual([]);
  });

  test('keeps the machines in maintenance it is told of, and records task updates and machines up', async () => {
    const machine = (n: number, mode: string, withUnavailability = true) => ({
      machine_id: { hostname: `sim-0${n}`, ip: `192.0.2.${n}` },
      agent_id: { value: `agent-sim-0${n}` },
      mode,
      ...(withUnavailability ? { unavailability: { start: { nanoseconds: NANOS } } } : {}),
    });
    const unavailability = (full: boolean, machines: object[]) => ({ type: 'UNAVAILABILITY', unavailability: { full, machines } });
    const maintenance = async () => (await frameworks()).silent.maintenance.map((m) => [m.machine_id.hostname, m.mode]);

    await deliver('silent', unavailability(true, [machine(1, 'DRAINING'), machine(2, 'DOWN')]), 'u-1');
    await waitFor(async () => (await maintenance()).length === 2, 'the snapshot');
    await deliver('silent', unavailability(false, [machine(1, 'UP', false), machine(3, 'DRAINING')]), 'u-2');
    await waitFor(async () => (await maintenance())[0]?.[0] === 'sim-02', 'the change');
    expect(await maintenance()).toEqual([
      ['sim-02', 'DOWN'],
      ['sim-03', 'DRAINING'],
    ]);
    const up = { machine_id: { hostname: 'sim-02', ip: '192.0.2.2' }, volumes_intact: [] };
    await deliver('silent', { type: 'MACHINE_UP', machine_up: up }, 'u-3');
    await waitFor(async () => (await maintenance()).length === 1, 'the machine up');
    const status = { task_id: { value: 'silent.sim-03.1' }, state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_SLAVE_DRAINING', source: 'SOURCE_MASTER', message: 'drained', timestamp: 1.5 };
    await deliver('silent', { type: 'UPDATE', update: { status } }, 'u-4');
    await waitFor(async () => (await frameworks()).silent.taskUpdates.length === 1, 'the update');
    expect((await frameworks()).silent.taskUpdates).toMatchObject([{ taskId: 'silent.sim-03.1', state: 'TASK_GONE_BY_OPERATOR' }]);
    await deliver('silent', unavailability(true, []), 'u-5');
    await waitFor(async () => (await maintenance()).length === 0, 'the empty snapshot');
    expect((await frameworks()).silent.events.slice(-5).map((e) => e.type)).toEqual([
      'UNAVAILABILITY',
      'UNAVAILABILITY',
      'MACHINE_UP',
      'UPDATE',
      'UNAVAILABILITY',
    ]);
  });

  test('a delivery without a valid signature is refused (401), counted, and not recorded', async () => {
    const before = (await frameworks()).silent;
    const body = stringifyJson(inverseOffers('offer-forged', 'agent-sim-03', 'silent'));
    const forged = { 'content-type': 'application/json', 'Idempotency-Key': 'forged-1', ...signatureHeaders('guess', body) };
    expect(await request('POST', '/frameworks/silent/webhook', body, forged)).toMatchObject({
      status: 401,
      body: { error: 'UNAUTHENTICATED' },
    });
    const unsigned = { 'content-type': 'application/json', 'Idempotency-Key': 'forged-2' };
    expect((await request('POST', '/frameworks/silent/webhook', body, unsigned)).status).toBe(401);
    // Signed for another framework: each framework has its own secret.
    expect((await request('POST', '/frameworks/silent/webhook', body, deliveryHeaders('mover', body, 'forged-3'))).status).toBe(401);
    const after = (await frameworks()).silent;
    expect(after.signatureFailures).toBe(before.signatureFailures + 3);
    expect(after.events).toHaveLength(before.events.length);
    expect(after.inverseOffers).not.toContain('offer-forged');
  });

  test('webhooks refuse what is not a scheduler event, and unknown frameworks', async () => {
    const invalid = { status: 400, body: { error: 'INVALID' } };
    expect(await deliver('mover', '{"type":')).toMatchObject(invalid);
    expect(await deliver('mover', { type: 'INVERSE_OFFERS' })).toMatchObject(invalid);
    expect(await request('POST', '/frameworks/nobody/webhook', { type: 'HEARTBEAT' })).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND' },
    });
    // An event type the sim does not act on is recorded and acknowledged.
    expect(await deliver('silent', { type: 'HEARTBEAT' }, 'delivery-5')).toEqual({ status: 200, body: {} });
    expect((await frameworks()).silent.events.map((e) => e.type).at(-1)).toBe('HEARTBEAT');
  });
});

describe('HTTP API', () => {
  test('machines by hostname or ip, 404 with a JSON error for unknown ones', async () => {
    expect(await request('GET', '/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect(((await request('GET', '/machines')).body as unknown[]).length).toBe(20);
    expect((await request('GET', '/machines/192.0.2.4')).body).toMatchObject({ id: { hostname: 'sim-04' } });
    expect(await request('GET', '/machines/sim-99')).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    expect(await request('GET', '/nowhere')).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });

  test('a simulated fault: a machine unreachable a while answers its looks 503 (a retryable error for the driver), others 200', async () => {
    expect(await request('POST', '/faults/unreachable', { machine: 'sim-19', forMs: 300 })).toEqual({ status: 200, body: {} });
    expect(await request('GET', '/machines/sim-19')).toMatchObject({ status: 503, body: { error: 'UNAVAILABLE' } });
    expect((await request('GET', '/machines/sim-18')).status).toBe(200);
    const error = await new SimDriver(sim.url).describeMachine({ hostname: 'sim-19' }).catch((err: Error) => err);
    expect(error).toMatchObject({ name: 'Error', message: expect.stringMatching(/503/) });
    await new Promise((r) => setTimeout(r, 350));
    expect((await request('GET', '/machines/sim-19')).status).toBe(200);
    expect(await request('POST', '/faults/unreachable', { machine: 'sim-19' })).toMatchObject({ status: 400, body: { error: 'INVALID' } });
  });

  test('tests launch tasks for any framework; bad input is a 400', async () => {
    const launch = (body: object) => request('POST', '/tasks', { frameworkId: 'batch', ...body });
    expect(await launch({ machine: { hostname: 'sim-20' }, gracePeriodMs: 7 })).toMatchObject({
      status: 201,
      body: { taskId: 'batch.sim-20.1', hostname: 'sim-20', gracePeriodMs: 7, state: 'RUNNING' },
    });
    expect((await launch({ machine: '192.0.2.20' })).body).toMatchObject({ taskId: 'batch.sim-20.2' });
    expect(await launch({})).toMatchObject({ status: 400, body: { error: 'INVALID' } });
    expect(await launch({ machine: 'sim-21' })).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });

    // The framework stops its own task.
    expect(await request('DELETE', '/tasks/batch.sim-20.1')).toEqual({ status: 200, body: {} });
    const again = await request('DELETE', '/tasks/batch.sim-20.1');
    expect(again).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });
});

describe('SimDriver against the running sim', () => {
  let driver: SimDriver;
  beforeAll(() => {
    driver = new SimDriver(`${sim.url}/`);
  });

  test('describes machines by hostname (any case) or ip; undefined when unknown', async () => {
    expect(await driver.describeMachine({ hostname: 'SIM-04' })).toMatchObject({
      id: { hostname: 'sim-04', ip: '192.0.2.4' },
      agentId: 'agent-sim-04',
      down: false,
      tasks: [{ taskId: 'mover.sim-04.1' }, { taskId: 'decliner.sim-04.1', volumes: ['sim-04/decliner-data'] }],
    });
    expect((await driver.describeMachine({ ip: '192.0.2.4' }))?.agentId).toBe('agent-sim-04');
    expect(await driver.describeMachine({ hostname: 'sim-99' })).toBeUndefined();
    expect(await driver.listMachines()).toHaveLength(20);
  });

  test('kills with min(grace, max) at most once, then downs and ups the machine', async () => {
    const machine = { hostname: 'sim-10', ip: '192.0.2.10' };
    const kill = { machine, maxGracePeriodMs: 50, idempotencyKey: 'w1/sim-10/kill' };
    const first = await driver.killTasks(kill);
    expect(first.killed).toEqual([
      { taskId: 'mover.sim-10.1', frameworkId: 'mover', gracePeriodMs: 50 },
      { taskId: 'decliner.sim-10.1', frameworkId: 'decliner', gracePeriodMs: 50 },
    ]);
    expect(await driver.killTasks(kill)).toEqual(first);
    await waitFor(async () => (await driver.describeMachine({ hostname: 'sim-10' }))?.tasks.length === 0, 'the kills');
    const stats = (await request('GET', '/stats')).body as { kills: Record<string, number> };
    expect(stats.kills).toEqual({ 'mover.sim-10.1': 1, 'decliner.sim-10.1': 1 });

    await driver.downMachine({ hostname: 'sim-10' }, 'w1/sim-10/down');
    await driver.downMachine({ hostname: 'sim-10' }, 'w1/sim-10/down');
    expect((await driver.describeMachine({ hostname: 'sim-10' }))?.down).toBe(true);
    expect(await request('POST', '/tasks', { frameworkId: 'batch', machine: 'sim-10' })).toMatchObject({
      status: 409,
      body: { error: 'CONFLICT' },
    });

    await driver.upMachine({ ip: '192.0.2.10' }, 'w1/sim-10/up');
    expect((await driver.describeMachine({ hostname: 'sim-10' }))?.down).toBe(false);
    expect((await request('POST', '/tasks', { frameworkId: 'batch', machine: 'sim-10' })).status).toBe(201);
  });

  test('a down machine loses what still runs there', async () => {
    await driver.downMachine({ hostname: 'sim-11' }, 'w2/sim-11/down');
    const stats = (await request('GET', '/stats')).body as { lost: { taskId: string }[] };
    expect(stats.lost.map((l) => l.taskId)).toEqual(['mover.sim-11.1']);
    await driver.upMachine({ hostname: 'sim-11' }, 'w2/sim-11/up');
  });

  test('refusals are ClusterRequestRejected; an unreachable sim is a plain (retryable) Error', async () => {
    const rejected = { name: CLUSTER_REQUEST_REJECTED };
    const keyless = { machine: { hostname: 'sim-12' }, idempotencyKey: '' };
    await expect(driver.killTasks(keyless)).rejects.toMatchObject(rejected);
    await expect(driver.downMachine({ hostname: 'sim-99' }, 'k')).rejects.toMatchObject(rejected);
    await expect(driver.describeMachine({})).rejects.toMatchObject(rejected);

    const closed = await startFakeMaint(); // any server, closed at once: its port refuses connections
    await closed.close();
    const error = await new SimDriver(closed.url).listMachines().catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('Error');
    expect((error as Error).message).toMatch(/unreachable/);
  });
});

describe('agents over HTTP', () => {
  const AGENT_ACTIONS = ['deactivate', 'reactivate', 'drain', 'gone'];

  test('agents are listed and described by agent id; 404 with a JSON error for unknown ones', async () => {
    const agents = (await request('GET', '/agents')).body as ClusterAgent[];
    expect(agents).toHaveLength(20);
    expect(agents[12]).toMatchObject({
      agentId: 'agent-sim-13',
      machine: { hostname: 'sim-13', ip: '192.0.2.13' },
      down: false,
      deactivated: false,
      gone: false,
    });
    const described = await request('GET', '/agents/agent-sim-14');
    expect(described).toMatchObject({
      status: 200,
      body: {
        agentId: 'agent-sim-14',
        resources: [
          { name: 'cpus', scalar: 8 },
          { name: 'mem', scalar: 32768 },
          { name: 'disk', scalar: 100000 },
        ],
        tasks: [{ taskId: 'mover.sim-14.1' }, { taskId: 'decliner.sim-14.1' }],
      },
    });
    expect(typeof (described.body as ClusterAgent).registeredAtMs).toBe('number');

    const notFound = { status: 404, body: { error: 'NOT_FOUND' } };
    expect(await request('GET', '/agents/agent-sim-99')).toMatchObject(notFound);
    for (const action of AGENT_ACTIONS) {
      expect(await request('POST', `/agents/agent-sim-99/${action}`, { idempotencyKey: 'k' })).toMatchObject(notFound);
    }
  });

  test('bad bodies are a 400 and change nothing', async () => {
    const invalid = { status: 400, body: { error: 'INVALID' } };
    for (const action of AGENT_ACTIONS) {
      const path = `/agents/agent-sim-13/${action}`;
      expect(await request('POST', path)).toMatchObject(invalid);
      expect(await request('POST', path, { idempotencyKey: '' })).toMatchObject(invalid);
      expect(await request('POST', path, '{"idempotencyKey":')).toMatchObject(invalid);
    }
    const drain = '/agents/agent-sim-13/drain';
    expect(await request('POST', drain, { maxGracePeriodMs: -1, idempotencyKey: 'k' })).toMatchObject(invalid);
    expect(await request('POST', drain, { maxGracePeriodMs: '10s', idempotencyKey: 'k' })).toMatchObject(invalid);

    expect((await request('GET', '/agents/agent-sim-13')).body).toMatchObject({
      deactivated: false,
      gone: false,
      tasks: [{ taskId: 'mover.sim-13.1', state: 'RUNNING' }],
    });
    const stats = (await request('GET', '/stats')).body as FleetStats;
    expect(stats).toMatchObject({ deactivatedAgents: 0, goneAgents: 0 });
    expect(stats.agentLog.some((a) => a.agentId === 'agent-sim-13')).toBe(false);
  });

  test('drain answers its kills, the other routes {}; reactivating a gone agent is a 409', async () => {
    const key = { idempotencyKey: 'http/agent-sim-18' };
    expect(await request('POST', '/agents/agent-sim-18/deactivate', key)).toEqual({ status: 200, body: {} });
    expect(await request('POST', '/agents/agent-sim-18/reactivate', key)).toEqual({ status: 200, body: {} });
    expect(await request('POST', '/agents/agent-sim-18/drain', { ...key, maxGracePeriodMs: 20 })).toEqual({
      status: 200,
      body: {
        killed: [
          { taskId: 'mover.sim-18.1', frameworkId: 'mover', gracePeriodMs: 20 },
          { taskId: 'decliner.sim-18.1', frameworkId: 'decliner', gracePeriodMs: 20 },
          { taskId: 'silent.sim-18.1', frameworkId: 'silent', gracePeriodMs: 20 },
        ],
      },
    });
    expect(await request('POST', '/agents/agent-sim-18/gone', key)).toEqual({ status: 200, body: {} });
    expect(await request('POST', '/agents/agent-sim-18/reactivate', key)).toMatchObject({
      status: 409,
      body: { error: 'CONFLICT' },
    });
    expect((await request('GET', '/agents/agent-sim-18')).body).toMatchObject({ deactivated: true, gone: true });
  });
});

describe('SimDriver agent operations against the running sim', () => {
  let driver: SimDriver;
  beforeAll(() => {
    driver = new SimDriver(sim.url);
  });
  const statsOf = async () => (await request('GET', '/stats')).body as FleetStats;
  const launch = (machine: string) => request('POST', '/tasks', { frameworkId: 'batch', machine });

  test('lists and describes agents; undefined for an unknown agent', async () => {
    const agents = await driver.listAgents();
    expect(agents.map((a) => a.agentId)).toEqual((await driver.listMachines()).map((m) => m.agentId));
    expect(await driver.describeAgent('agent-sim-16')).toMatchObject({
      agentId: 'agent-sim-16',
      machine: { hostname: 'sim-16', ip: '192.0.2.16' },
      down: false,
      deactivated: false,
      gone: false,
      tasks: [{ taskId: 'mover.sim-16.1' }, { taskId: 'decliner.sim-16.1' }],
    });
    expect(await driver.describeAgent('agent-sim-99')).toBeUndefined();
  });

  test('drains with min(grace, max) once per task, the same key answering the same kills', async () => {
    const drain = { agentId: 'agent-sim-15', maxGracePeriodMs: 50, idempotencyKey: 'w3/agent-sim-15/drain' };
    const first = await driver.drainAgent(drain);
    expect(first.killed).toEqual([
      { taskId: 'mover.sim-15.1', frameworkId: 'mover', gracePeriodMs: 50 },
      { taskId: 'silent.sim-15.1', frameworkId: 'silent', gracePeriodMs: 50 },
    ]);
    expect(await driver.drainAgent(drain)).toEqual(first);
    expect((await driver.describeAgent('agent-sim-15'))?.deactivated).toBe(true);
    expect(await launch('sim-15')).toMatchObject({ status: 409, body: { error: 'CONFLICT' } });

    await waitFor(async () => (await driver.describeAgent('agent-sim-15'))?.tasks.length === 0, 'the drain');
    expect(await driver.drainAgent(drain)).toEqual(first);
    const stats = await statsOf();
    expect(stats.kills).toMatchObject({ 'mover.sim-15.1': 1, 'silent.sim-15.1': 1 });
    expect(stats.killLog.filter((k) => k.hostname === 'sim-15').map((k) => k.reason)).toEqual(['drain', 'drain']);

    await driver.reactivateAgent('agent-sim-15', 'w3/agent-sim-15/reactivate');
    expect((await driver.describeAgent('agent-sim-15'))?.deactivated).toBe(false);
    expect((await launch('sim-15')).status).toBe(201);
  });

  test('deactivates without touching running tasks; reactivates', async () => {
    await driver.deactivateAgent('agent-sim-16', 'w4/agent-sim-16/deactivate');
    await driver.deactivateAgent('agent-sim-16', 'w4/agent-sim-16/deactivate');
    const agent = await driver.describeAgent('agent-sim-16');
    expect(agent).toMatchObject({ deactivated: true, gone: false, down: false });
    expect(agent?.tasks.map((t) => t.state)).toEqual(['RUNNING', 'RUNNING']);
    expect(await launch('sim-16')).toMatchObject({ status: 409, body: { error: 'CONFLICT' } });

    await driver.reactivateAgent('agent-sim-16', 'w4/agent-sim-16/reactivate');
    await driver.reactivateAgent('agent-sim-16', 'w4/agent-sim-16/reactivate');
    expect((await launch('sim-16')).status).toBe(201);
    const log = (await statsOf()).agentLog.filter((a) => a.agentId === 'agent-sim-16');
    expect(log.map((a) => [a.action, a.changed])).toEqual([
      ['deactivate', true],
      ['deactivate', false],
      ['reactivate', true],
      ['reactivate', false],
    ]);
  });

  test('marks an agent gone: its tasks are lost, and it takes no launch, reactivation or new drain', async () => {
    await driver.markAgentGone('agent-sim-17', 'w5/agent-sim-17/gone');
    await driver.markAgentGone('agent-sim-17', 'w5/agent-sim-17/gone');
    expect(await driver.describeAgent('agent-sim-17')).toMatchObject({ gone: true, deactivated: true, tasks: [] });
    const lost = (await statsOf()).lost.filter((l) => l.hostname === 'sim-17');
    expect(lost).toMatchObject([{ taskId: 'mover.sim-17.1', cause: 'gone' }]);

    const rejected = { name: CLUSTER_REQUEST_REJECTED };
    await expect(driver.reactivateAgent('agent-sim-17', 'w5/agent-sim-17/reactivate')).rejects.toMatchObject(rejected);
    await expect(driver.drainAgent({ agentId: 'agent-sim-17', idempotencyKey: 'w5/drain' })).rejects.toMatchObject(
      rejected,
    );
    expect(await launch('sim-17')).toMatchObject({ status: 409, body: { error: 'CONFLICT' } });
    expect((await statsOf()).goneAgents).toBe(2); // with agent-sim-18, gone over plain HTTP
  });

  test('agent refusals are ClusterRequestRejected', async () => {
    const rejected = { name: CLUSTER_REQUEST_REJECTED };
    await expect(driver.deactivateAgent('agent-sim-99', 'k')).rejects.toMatchObject(rejected);
    await expect(driver.markAgentGone('agent-sim-99', 'k')).rejects.toMatchObject(rejected);
    await expect(driver.drainAgent({ agentId: 'agent-sim-19', idempotencyKey: '' })).rejects.toMatchObject(rejected);
    const reused = { agentId: 'agent-sim-19', idempotencyKey: 'w3/agent-sim-15/drain' }; // another agent's drain key
    await expect(driver.drainAgent(reused)).rejects.toMatchObject(rejected);
    await expect(driver.describeAgent('')).rejects.toMatchObject(rejected);
    expect((await driver.describeAgent('agent-sim-19'))?.deactivated).toBe(false);
  });
});

test('mover relaunches only on agents that take tasks: not deactivated, not gone', async () => {
  const small = await startSim({
    port: 0,
    machines: 4,
    maintUrl: maint.url,
    subscribeRetryMs: 20,
    frameworks: [{ id: 'mover-3', behaviour: 'mover', answerDelayMs: 0 }],
    // sim-02 and sim-03 are empty, so the least loaded; sim-04 runs another framework's task.
    layout: [
      { frameworkId: 'mover-3', machine: 'sim-01' },
      { frameworkId: 'other', machine: 'sim-04' },
    ],
  });
  try {
    small.fleet.deactivateAgent('agent-sim-02', 'test');
    small.fleet.markAgentGone('agent-sim-03', 'test');
    await deliverTo(small, 'mover-3', inverseOffers('offer-10', 'agent-sim-01', 'mover-3'), 'small-2');
    const accepted = () => callsOf('ACCEPT_INVERSE_OFFERS').some((c) => c.framework_id.value === 'mover-3');
    await waitFor(accepted, 'the ACCEPT');
    expect(small.fleet.tasks('mover-3').map((t) => t.taskId)).toEqual(['mover-3.sim-04.1']);
    // maint was asked about sim-04 only.
    expect(maint.placements.at(-1)?.machine_ids).toEqual([{ hostname: 'sim-04', ip: '192.0.2.4' }]);
  } finally {
    await small.close();
  }
});

test('without placement advice, mover moves to the least loaded machine not in maintenance', async () => {
  const small = await startSim({
    port: 0,
    machines: 4,
    maintUrl: maint.url,
    subscribeRetryMs: 20,
    frameworks: [{ id: 'mover-4', behaviour: 'mover', answerDelayMs: 0 }],
    // sim-02 and sim-03 are empty; maint has told mover-4 that sim-02 is in maintenance.
    layout: [
      { frameworkId: 'mover-4', machine: 'sim-01' },
      { frameworkId: 'other', machine: 'sim-04' },
    ],
  });
  maint.placement = 'fail';
  try {
    const draining = {
      machine_id: { hostname: 'sim-02', ip: '192.0.2.2' },
      mode: 'DRAINING',
      unavailability: { start: { nanoseconds: NANOS } },
    };
    await deliverTo(small, 'mover-4', { type: 'UNAVAILABILITY', unavailability: { full: true, machines: [draining] } }, 'm4-1');
    await waitFor(async () => (await viewOf(small, 'mover-4')).maintenance.length === 1, 'the unavailability');
    await deliverTo(small, 'mover-4', inverseOffers('offer-11', 'agent-sim-01', 'mover-4'), 'm4-2');
    const accepted = () => callsOf('ACCEPT_INVERSE_OFFERS').some((c) => c.framework_id.value === 'mover-4');
    await waitFor(accepted, 'the ACCEPT');
    expect(small.fleet.tasks('mover-4').map((t) => t.taskId)).toEqual(['mover-4.sim-03.1']);
    expect((await viewOf(small, 'mover-4')).placementFailures).toBe(1);
  } finally {
    maint.placement = noMaintenance;
    await small.close();
  }
});

test('mover declines an inverse offer it cannot honour: no other machine is up', async () => {
  const small = await startSim({
    port: 0,
    machines: 2,
    maintUrl: maint.url,
    subscribeRetryMs: 20,
    frameworks: [{ id: 'mover-2', behaviour: 'mover', refuseSeconds: 30 }],
    layout: () => [{ frameworkId: 'mover-2' }],
  });
  try {
    small.fleet.downMachine('sim-02', 'test');
    await deliverTo(small, 'mover-2', inverseOffers('offer-9', 'agent-sim-01', 'mover-2'), 'small-1');
    const declined = () => callsOf('DECLINE_INVERSE_OFFERS').filter((c) => c.framework_id.value === 'mover-2');
    await waitFor(() => declined().length === 1, 'the DECLINE');
    expect(declined()[0].decline_inverse_offers).toEqual({
      inverse_offer_ids: [{ value: 'offer-9' }],
      filters: { refuse_seconds: 30 },
      plan: 'MOVE',
    });
    expect(small.fleet.describe('sim-01').tasks.map((t) => t.taskId)).toEqual(['mover-2.sim-01.1']);
    expect(callsOf('ACCEPT_INVERSE_OFFERS').some((c) => c.framework_id.value === 'mover-2')).toBe(false);
  } finally {
    await small.close();
  }
});

test('waiter waits the downtime out: after the drain and UP, it relaunches its task there with its intact volumes', async () => {
  const small = await startSim({
    port: 0,
    machines: 2,
    maintUrl: maint.url,
    subscribeRetryMs: 20,
    taskGracePeriodMs: 10,
    frameworks: [{ id: 'waiter-2', behaviour: 'waiter' }],
    layout: [
      { frameworkId: 'waiter-2', machine: 'sim-01', name: 'db', volumes: ['sim-01/db-data', 'sim-01/db-scratch'] },
      { frameworkId: 'waiter-2', machine: 'sim-02', name: 'db' },
    ],
  });
  try {
    await deliverTo(small, 'waiter-2', inverseOffers('offer-12', 'agent-sim-01', 'waiter-2'), 'w2-1');
    const declined = () => callsOf('DECLINE_INVERSE_OFFERS').filter((c) => c.framework_id.value === 'waiter-2');
    await waitFor(() => declined().length === 1, 'the DECLINE');
    expect(declined()[0].decline_inverse_offers).toEqual({ inverse_offer_ids: [{ value: 'offer-12' }], plan: 'WAIT' });

    // maint's hard drain, DOWN, then UP; the scratch volume did not survive.
    small.fleet.killTasks({ machine: 'sim-01', idempotencyKey: 'w/sim-01/hard-drain' });
    const status = { task_id: { value: 'waiter-2.sim-01.1' }, state: 'TASK_KILLED', reason: 'REASON_SLAVE_DRAINING', source: 'SOURCE_MASTER', message: 'drained', timestamp: 1 };
    await deliverTo(small, 'waiter-2', { type: 'UPDATE', update: { status } }, 'w2-2');
    small.fleet.downMachine('sim-01', 'w/sim-01/down');
    small.fleet.upMachine('sim-01', 'w/sim-01/up');
    const up = { machine_id: { hostname: 'sim-01', ip: '192.0.2.1' }, agent_id: { value: 'agent-sim-01' }, volumes_intact: ['sim-01/db-data'] };
    await deliverTo(small, 'waiter-2', { type: 'MACHINE_UP', machine_up: up }, 'w2-3');

    await waitFor(async () => (await viewOf(small, 'waiter-2')).relaunched.length === 1, 'the relaunch');
    expect(small.fleet.describe('sim-01').tasks).toMatchObject([
      { taskId: 'waiter-2.sim-01.2', name: 'db', volumes: ['sim-01/db-data'], state: 'RUNNING' },
    ]);
    const view = await viewOf(small, 'waiter-2');
    expect(view.taskUpdates).toMatchObject([{ taskId: 'waiter-2.sim-01.1', state: 'TASK_KILLED' }]);
    // A machine UP again that it never waited on, or whose tasks never died, changes nothing.
    const other = { machine_id: { hostname: 'sim-02', ip: '192.0.2.2' }, volumes_intact: [] };
    await deliverTo(small, 'waiter-2', { type: 'MACHINE_UP', machine_up: other }, 'w2-4');
    await deliverTo(small, 'waiter-2', { type: 'MACHINE_UP', machine_up: up }, 'w2-5');
    await sleep(50);
    expect((await viewOf(small, 'waiter-2')).relaunched).toEqual(['waiter-2.sim-01.2']);
    expect(small.fleet.tasks('waiter-2')).toHaveLength(2);
  } finally {
    await small.close();
  }
});

test('the sim runs on while maint is unreachable', async () => {
  const closed = await startFakeMaint();
  await closed.close();
  const lonely = await startSim({ port: 0, maintUrl: closed.url, subscribeRetryMs: 20 });
  try {
    await sleep(100);
    const views = (await (await fetch(`${lonely.url}/frameworks`)).json()) as FrameworkView[];
    expect(views.map((v) => [v.id, v.subscribed])).toEqual([
      ['mover', false],
      ['decliner', false],
      ['silent', false],
    ]);
    expect((await fetch(`${lonely.url}/healthz`)).status).toBe(200);
  } finally {
    await lonely.close();
  }
});
