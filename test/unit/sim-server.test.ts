// The sim as a process: real HTTP in both directions. A tiny server stands in for maint's scheduler endpoint.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { ClusterAgent } from '../../src/drivers/cluster-driver';
import { CLUSTER_REQUEST_REJECTED, SimDriver } from '../../src/drivers/sim-driver';
import type { SchedulerCall } from '../../src/domain/scheduler-wire';
import { parseJson, stringifyJson } from '../../src/lib/json';
import type { FrameworkView } from '../../src/sim/frameworks';
import type { FleetStats, PlacedTask } from '../../src/sim/fleet';
import { startSim, type RunningSim } from '../../src/sim/server';

const NANOS = 1443830400000000001n; // beyond 2^53: a float would round it

interface FakeMaint {
  url: string;
  calls: SchedulerCall[];
  close(): Promise<void>;
}

/** Answers like maint: SUBSCRIBED (200) to SUBSCRIBE, 202 to the rest; refuses each framework's first SUBSCRIBE. */
async function startFakeMaint(): Promise<FakeMaint> {
  const calls: SchedulerCall[] = [];
  const refusedOnce = new Set<string>();
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/v1/scheduler') return res.writeHead(404).end();
      const call = parseJson(text) as SchedulerCall;
      if (call.type !== 'SUBSCRIBE') {
        calls.push(call);
        return res.writeHead(202).end();
      }
      const id = call.subscribe.framework_info.id?.value ?? 'assigned';
      if (!refusedOnce.has(id)) {
        refusedOnce.add(id);
        return res.writeHead(503).end('not ready');
      }
      calls.push(call);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(stringifyJson({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: id } } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
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

/** POSTs an event to a simulated framework's webhook, as maint does. */
function deliver(frameworkId: string, event: unknown, idempotencyKey?: string) {
  const headers: Record<string, string> = idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey };
  return request('POST', `/frameworks/${frameworkId}/webhook`, event, headers);
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
  test('subscribe with their webhook URL, retrying until maint answers', () => {
    expect(callsOf('SUBSCRIBE')).toHaveLength(3);
    expect(callsOf('SUBSCRIBE')).toEqual(
      expect.arrayContaining(['mover', 'decliner', 'silent'].map((id) => ({
        type: 'SUBSCRIBE',
        subscribe: {
          framework_info: { id: { value: id }, name: id },
          webhook: { url: `${sim.url}/frameworks/${id}/webhook` },
        },
      }))),
    );
  });

  test('mover moves its task off the offered machine, then accepts; a duplicate delivery has no effect', async () => {
    const event = inverseOffers('offer-1', 'agent-sim-01', 'mover');
    expect(await deliver('mover', event, 'delivery-1')).toEqual({ status: 200, body: {} });

    await waitFor(() => callsOf('ACCEPT_INVERSE_OFFERS').length === 1, 'the ACCEPT');
    expect(callsOf('ACCEPT_INVERSE_OFFERS')[0]).toEqual({
      type: 'ACCEPT_INVERSE_OFFERS',
      framework_id: { value: 'mover' },
      accept_inverse_offers: { inverse_offer_ids: [{ value: 'offer-1' }] },
    });
    const moverTasks = (await request('GET', '/tasks?frameworkId=mover')).body as PlacedTask[];
    expect(moverTasks).toHaveLength(20);
    expect(moverTasks.some((t) => t.hostname === 'sim-01')).toBe(false);
    // The least loaded machine takes it: sim-05 is the first that runs a single task.
    const onSim05 = moverTasks.filter((t) => t.hostname === 'sim-05').map((t) => t.taskId);
    expect(onSim05).toEqual(['mover.sim-05.1', 'mover.sim-05.2']);

    const mover = (await frameworks()).mover;
    expect(mover.events).toHaveLength(1);
    expect(mover.events[0]).toMatchObject({
      type: 'INVERSE_OFFERS',
      inverseOfferIds: ['offer-1'],
      idempotencyKey: 'delivery-1',
    });
    const received = mover.events[0].event as ReturnType<typeof inverseOffers>;
    expect(received.inverse_offers.inverse_offers[0].unavailability.start.nanoseconds).toBe(NANOS);
    expect(mover.answers).toMatchObject([{ type: 'ACCEPT_INVERSE_OFFERS', inverseOfferIds: ['offer-1'] }]);

    // maint delivers the same event again.
    expect((await deliver('mover', event, 'delivery-1')).status).toBe(200);
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

  test('decliner declines at once and keeps its task', async () => {
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

  test('silent records the event and says nothing', async () => {
    const before = maint.calls.length;
    await deliver('silent', inverseOffers('offer-3', 'agent-sim-03', 'silent'), 'delivery-4');
    await sleep(150);
    expect(maint.calls.length).toBe(before);
    const silent = (await frameworks()).silent;
    expect(silent.events.map((e) => e.inverseOfferIds)).toEqual([['offer-3']]);
    expect(silent.answers).toEqual([]);
  });

  test('webhooks refuse what is not a scheduler event, and unknown frameworks', async () => {
    const invalid = { status: 400, body: { error: 'INVALID' } };
    expect(await deliver('mover', '{"type":')).toMatchObject(invalid);
    expect(await deliver('mover', { type: 'INVERSE_OFFERS' })).toMatchObject(invalid);
    expect(await deliver('nobody', { type: 'HEARTBEAT' })).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    // An event type the sim does not act on is recorded and acknowledged.
    expect(await deliver('silent', { type: 'HEARTBEAT' }, 'delivery-5')).toEqual({ status: 200, body: {} });
    expect((await frameworks()).silent.events.map((e) => e.type)).toEqual(['INVERSE_OFFERS', 'HEARTBEAT']);
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
    await fetch(`${small.url}/frameworks/mover-3/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': 'small-2' },
      body: stringifyJson(inverseOffers('offer-10', 'agent-sim-01', 'mover-3')),
    });
    const accepted = () => callsOf('ACCEPT_INVERSE_OFFERS').some((c) => c.framework_id.value === 'mover-3');
    await waitFor(accepted, 'the ACCEPT');
    expect(small.fleet.tasks('mover-3').map((t) => t.taskId)).toEqual(['mover-3.sim-04.1']);
  } finally {
    await small.close();
  }
});

test('mover declines an inverse offer it cannot honour: no other machine is up', async () => {
  const small = await startSim({
    port: 0,
    machines: 2,
    maintUrl: maint.url,
    frameworks: [{ id: 'mover-2', behaviour: 'mover' }],
    layout: () => [{ frameworkId: 'mover-2' }],
  });
  try {
    small.fleet.downMachine('sim-02', 'test');
    await fetch(`${small.url}/frameworks/mover-2/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': 'small-1' },
      body: stringifyJson(inverseOffers('offer-9', 'agent-sim-01', 'mover-2')),
    });
    const declined = () => callsOf('DECLINE_INVERSE_OFFERS').some((c) => c.framework_id.value === 'mover-2');
    await waitFor(declined, 'the DECLINE');
    expect(small.fleet.describe('sim-01').tasks.map((t) => t.taskId)).toEqual(['mover-2.sim-01.1']);
    expect(callsOf('ACCEPT_INVERSE_OFFERS').some((c) => c.framework_id.value === 'mover-2')).toBe(false);
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
