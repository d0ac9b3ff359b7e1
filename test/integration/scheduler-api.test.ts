// The scheduler API end to end, with real processes: maint's API and worker, the simulated fleet and its frameworks,
// and frameworks in this test process with their own webhook servers, talking to maint through the framework client.
import { Stack } from '../support/stack';
import { TestFramework } from '../support/framework';
import { Client, Connection } from '@temporalio/client';
import type { SchedulerEvent } from '../../src/domain/scheduler-wire';
import { SchedulerClient } from '../../src/scheduler-client';

let stack: Stack;
const frameworks: TestFramework[] = [];
beforeAll(async () => {
  stack = await Stack.start({ machines: 12, checkInterval: '1s', taskGrace: '300ms' });
});
afterAll(async () => {
  await Promise.all(frameworks.map((f) => f.stop()));
  await stack?.stop();
});

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });
const agent = (n: number) => `agent-sim-${String(n).padStart(2, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function framework(frameworkId: string, options: { verifyWith?: string } = {}): Promise<TestFramework> {
  const f = new TestFramework({ frameworkId, maintUrl: stack.apiUrl, ...options });
  frameworks.push(f);
  await f.listen();
  return f;
}

async function launch(frameworkId: string, machine: number, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${stack.simUrl}/tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ frameworkId, machine: sim(machine).hostname, ...extra }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { taskId: string }).taskId;
}

async function createWindow(body: Record<string, unknown>): Promise<string> {
  const created = await stack.api('POST', '/api/v1/windows', body);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** The machine's current (or last) maintenance: mode, phase, waitingOn, answers, history. */
async function machine(n: number): Promise<any> {
  const { status, body } = await stack.api('GET', `/api/v1/machines/${sim(n).hostname}`);
  expect(status).toBe(200);
  return { mode: body.mode, ...body.maintenance };
}

/** When the delivery carrying an inverse offer arrived. */
function deliveredAt(f: TestFramework, offerId: string): number {
  const d = f.deliveries.find(
    (x) => x.event.type === 'INVERSE_OFFERS' && x.event.inverse_offers.inverse_offers.some((o) => o.id.value === offerId),
  );
  if (!d) throw new Error(`no delivery of ${offerId}`);
  return d.atMs;
}

function untilOffers(f: TestFramework, n: number, count: number): Promise<string[]> {
  return stack.eventually(`${count} inverse offer(s) to ${f.id} for ${agent(n)}`, async () => {
    const ids = f.offersFor(agent(n));
    return ids.length >= count ? ids : undefined;
  });
}

test('inverse offers reach only the frameworks holding resources on the machine, with agent, resources and volumes', async () => {
  const ext = await framework('ext-offers');
  await ext.subscribe();
  await launch('ext-offers', 5, { volumes: ['ext-vol-1'], resources: [{ name: 'cpus', scalar: 2 }, { name: 'mem', scalar: 512 }] });
  // sim-07 runs only the mover's task: kept DRAINING once empty, so that the cancel below returns it to UP.
  const id = await createWindow({ machines: [sim(5), sim(7)], drainWithin: '10m', duration: '1h', policy: { downWhenDrained: false } });

  const [offerId] = await untilOffers(ext, 5, 1);
  const offer = ext
    .events('INVERSE_OFFERS')
    .flatMap((e) => e.inverse_offers.inverse_offers)
    .find((o) => o.id.value === offerId)!;
  expect(offer.framework_id).toEqual({ value: 'ext-offers' });
  expect(offer.agent_id).toEqual({ value: agent(5) });
  expect(offer.machine_id).toEqual(sim(5));
  expect(BigInt(offer.unavailability.duration!.nanoseconds)).toBe(3_600_000_000_000n);
  expect(offer.resources).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ name: 'cpus', scalar: { value: 2 } }),
      expect.objectContaining({ name: 'mem', scalar: { value: 512 } }),
      expect.objectContaining({ name: 'disk', disk: expect.objectContaining({ persistence: { id: 'ext-vol-1' } }) }),
    ]),
  );

  // Every subscribed framework learns the unavailability, offers or not.
  await stack.eventually('the unavailability of sim-05 and sim-07 told to ext-offers', async () => {
    const told = ext.events('UNAVAILABILITY').flatMap((e) => e.unavailability.machines.map((m) => m.machine_id.hostname));
    return told.includes('sim-05') && told.includes('sim-07') ? true : undefined;
  });

  // The simulator's mover runs on every machine; decliner (even machines) and silent (multiples of 3) on neither.
  const sims = await stack.eventually('the mover offered both machines', async () => {
    const list: any[] = await stack.sim('/frameworks');
    const mover = list.find((f) => f.id === 'mover');
    const agents = new Set(mover.events.flatMap((e: any) => (e.type === 'INVERSE_OFFERS' ? e.event.inverse_offers.inverse_offers.map((o: any) => o.agent_id.value) : [])));
    return agents.has(agent(5)) && agents.has(agent(7)) ? list : undefined;
  });
  for (const name of ['decliner', 'silent']) {
    const f = sims.find((x) => x.id === name);
    const offered = f.events.filter((e: any) => e.type === 'INVERSE_OFFERS').flatMap((e: any) => e.event.inverse_offers.inverse_offers.map((o: any) => o.agent_id.value));
    expect(offered).not.toContain(agent(5));
    expect(offered).not.toContain(agent(7));
  }
  expect(ext.offersFor(agent(7))).toEqual([]);
  expect(ext.deliveries.every((d) => d.verified)).toBe(true);
  expect(ext.rejected).toEqual([]);

  expect((await stack.api('POST', `/api/v1/windows/${id}/cancel`)).status).toBe(200);
  await stack.eventually('the offer rescinded on cancel', async () => (ext.rescinded().includes(offerId) ? true : undefined));
});

test('answers and refuse filters: a new inverse offer right after refuse_seconds 0, none within a filter, then one', async () => {
  const ext = await framework('ext-filters');
  await ext.subscribe();
  await launch('ext-filters', 8);
  const id = await createWindow({ machines: [sim(8)], drainWithin: '10m', duration: '1h' });

  const [first] = await untilOffers(ext, 8, 1);
  await ext.client.declineInverseOffers([first], { refuseSeconds: 0 });
  const [, second] = await untilOffers(ext, 8, 2);
  expect(second).not.toBe(first);

  const answeredAt = Date.now();
  await ext.client.acceptInverseOffers([second], { refuseSeconds: 8 });
  await sleep(6_000);
  expect(ext.offersFor(agent(8))).toHaveLength(2); // none within the filter
  const offers = await untilOffers(ext, 8, 3); // and one after it
  expect(deliveredAt(ext, offers[2]!) - answeredAt).toBeGreaterThanOrEqual(7_500);

  // Without filters Mesos' default of 5 s applies.
  const declinedAt = Date.now();
  await ext.client.declineInverseOffers([offers[2]!]);
  const fourth = await untilOffers(ext, 8, 4);
  expect(deliveredAt(ext, fourth[3]!) - declinedAt).toBeGreaterThanOrEqual(4_500);

  // An id that is not an open offer of this framework is ignored without error (Mesos), and changes nothing.
  await ext.client.acceptInverseOffers([first, 'no-such-offer']);

  // The answer is durable and shows in both statuses.
  const m = await machine(8);
  expect(m.answers).toEqual(expect.arrayContaining([expect.objectContaining({ frameworkId: 'ext-filters', answer: 'DECLINE' })]));
  const status = await stack.mesos('GET', '/master/maintenance/status');
  const draining = status.json.draining_machines.find((d: any) => d.id.hostname === 'sim-08');
  expect(draining.statuses).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'DECLINE', framework_id: { value: 'ext-filters' } })]));

  await stack.api('POST', `/api/v1/windows/${id}/cancel`);
});

test("a burst of one framework's answers: eight updates of its mailbox at once, the answers waiting meanwhile go as one", async () => {
  const ext = await framework('ext-burst');
  await ext.subscribe();
  const once = new SchedulerClient({ maintUrl: stack.apiUrl, frameworkId: 'ext-burst', retry: { attempts: 1 }, timeoutMs: 60_000 });
  // With no worker the mailbox completes no update: the first eight answers hold their places until it is back.
  await stack.kill('worker');
  let settled: Promise<PromiseSettledResult<void>[]>;
  try {
    const first = Array.from({ length: 8 }, (_, i) => once.declineInverseOffers([`no-such-offer-${i}`]));
    await sleep(1_000);
    const more = Array.from({ length: 10 }, (_, i) => once.declineInverseOffers([`no-such-offer-${8 + i}`]));
    const other = once.acceptInverseOffers(['no-such-offer-accepted']); // another kind of answer: a batch of its own
    settled = Promise.allSettled([...first, ...more, other]);
    await sleep(1_000);
  } finally {
    stack.spawn('worker');
  }
  const refused = (await settled).flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  expect(refused).toEqual([]);

  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  try {
    const history = await new Client({ connection }).workflow.getHandle(`${stack.env.MAINT_INSTANCE}/framework/ext-burst`).fetchHistory();
    const updates = (history.events ?? []).flatMap((e) => {
      const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
      if (accepted?.acceptedRequest?.input?.name !== 'answerInverseOffers') return [];
      const payload = accepted.acceptedRequest.input.args!.payloads![0]!;
      const call = JSON.parse(Buffer.from(payload.data!).toString()) as { answer: string; offerIds: string[] };
      return [{ answer: call.answer, offers: call.offerIds.length }];
    });
    expect(updates).toHaveLength(10);
    expect(updates.filter((u) => u.offers === 1)).toHaveLength(9); // the first eight, and the accept
    expect(updates).toContainEqual({ answer: 'DECLINE', offers: 10 });
  } finally {
    await connection.close();
  }
});

test('a webhook checked with the wrong key rejects every delivery; maint records why and holds no one else back', async () => {
  const forged = await framework('ext-forged', { verifyWith: 'not-the-secret-given-at-subscription' });
  const honest = await framework('ext-honest');
  await forged.subscribe();
  await honest.subscribe();
  await launch('ext-forged', 1);
  await launch('ext-honest', 1);
  const id = await createWindow({ machines: [sim(1)], drainWithin: '10m' });

  await untilOffers(honest, 1, 1);
  await stack.eventually('a rejected delivery to ext-forged', async () => (forged.rejected.length > 0 ? true : undefined));
  expect(forged.deliveries).toEqual([]);
  expect(forged.rejected[0]!.reason).toMatch(/signature/);
  const page = await forged.client.pull();
  expect(page.outstanding.inverse_offers.map((o) => o.agent_id.value)).toContain(agent(1)); // still there to pull
  const frameworksView = await stack.api('GET', '/api/v1/frameworks');
  expect(JSON.stringify(frameworksView.body)).not.toContain(forged.secret);

  await stack.api('POST', `/api/v1/windows/${id}/cancel`);
});

test('a framework whose webhook was away receives everything, in order, once it is back; a stream resumes too', async () => {
  const ext = await framework('ext-away');
  await ext.subscribe({ partitionAware: false });
  await launch('ext-away', 10, { volumes: ['away-vol'] });

  // A stream reader, disconnected after the first event, resumes with Last-Event-ID.
  const abort = new AbortController();
  const streamed: { id?: number; event: SchedulerEvent }[] = [];
  const reading = (async () => {
    for await (const item of ext.client.stream({ signal: abort.signal })) {
      streamed.push(item);
      if (item.event.type === 'INVERSE_OFFERS') break;
    }
  })().catch(() => undefined);

  await ext.close();
  const id = await createWindow({ machines: [sim(10)], drainWithin: '3s', duration: '3s' });
  await reading;
  const lastId = [...streamed].reverse().find((s) => s.id !== undefined)?.id;
  expect(lastId).toBeDefined();

  await stack.eventually('sim-10 back UP', async () => ((await machine(10)).mode === 'UP' ? true : undefined), 60_000);
  await ext.listen();

  const types = await stack.eventually('every event delivered after the webhook came back', async () => {
    const got = ext.deliveries.map((d) => d.event.type);
    return got.includes('MACHINE_UP') ? got : undefined;
  }, 120_000);
  expect(types).toEqual(expect.arrayContaining(['INVERSE_OFFERS', 'RESCIND_INVERSE_OFFER', 'UPDATE', 'UNAVAILABILITY', 'MACHINE_UP']));
  const seqs = ext.deliveries.map((d) => d.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // in order
  const killed = ext.events('UPDATE').map((e) => e.update.status);
  expect(killed).toEqual([expect.objectContaining({ state: 'TASK_KILLED', reason: 'REASON_SLAVE_DRAINING', agent_id: { value: agent(10) } })]);
  expect(ext.deliveries.every((d) => d.verified)).toBe(true);

  const resumed: { id?: number; event: SchedulerEvent }[] = [];
  for await (const item of ext.client.stream({ after: lastId, signal: AbortSignal.timeout(5_000) })) {
    resumed.push(item);
    if (item.event.type === 'MACHINE_UP') break;
  }
  expect(resumed.map((r) => r.event.type)).toEqual(expect.arrayContaining(['RESCIND_INVERSE_OFFER', 'UPDATE', 'MACHINE_UP']));
  expect(resumed.filter((r) => r.id !== undefined).every((r) => r.id! > lastId!)).toBe(true);
  abort.abort();
  await stack.api('GET', `/api/v1/windows/${id}`);
});

test('a schedule change rescinds the inverse offer and sends a new one with the new unavailability', async () => {
  const ext = await framework('ext-moved');
  await ext.subscribe();
  await launch('ext-moved', 11);
  const start = Date.now() + 3_600_000;
  const schedule = (startMs: number) => ({
    windows: [
      { machine_ids: [sim(11)], unavailability: { start: { nanoseconds: BigInt(startMs) * 1_000_000n }, duration: { nanoseconds: 600_000_000_000 } } },
    ],
  });
  const post = async (body: unknown) => {
    const { status, text } = await stack.mesos('POST', '/master/maintenance/schedule', body);
    return { status, text };
  };
  // A Mesos POST replaces the whole schedule and may not leave a DOWN machine out: no machine of the tests before may
  // still be DOWN (the schedule hears of an UP just after the machine's own record shows it).
  await stack.eventually('no machine DOWN in the schedule', async () => {
    const status = await stack.mesos('GET', '/master/maintenance/status');
    return status.json?.down_machines === undefined ? true : undefined;
  });
  expect(await post(schedule(start))).toEqual({ status: 200, text: '' });
  const [first] = await untilOffers(ext, 11, 1);

  expect(await post(schedule(start + 600_000))).toEqual({ status: 200, text: '' });
  await stack.eventually('the first offer rescinded', async () => (ext.rescinded().includes(first) ? true : undefined));
  const offers = await untilOffers(ext, 11, 2);
  const latest = ext.events('INVERSE_OFFERS').flatMap((e) => e.inverse_offers.inverse_offers).find((o) => o.id.value === offers[1])!;
  expect(BigInt(latest.unavailability.start.nanoseconds)).toBe(BigInt(start + 600_000) * 1_000_000n);
  const rescindAt = ext.deliveries.findIndex((d) => d.event.type === 'RESCIND_INVERSE_OFFER');
  const resendAt = ext.deliveries.findIndex(
    (d) => d.event.type === 'INVERSE_OFFERS' && d.event.inverse_offers.inverse_offers.some((o) => o.id.value === offers[1]),
  );
  expect(rescindAt).toBeLessThan(resendAt);

  expect(await post({})).toEqual({ status: 200, text: '' });
});

test('placement advice ranks machines: no maintenance first, then latest maintenance, then down during the task', async () => {
  const later = new Date(Date.now() + 5 * 3_600_000).toISOString();
  const soon = await createWindow({ machines: [sim(9)], drainWithin: '10m', duration: '1h' });
  const far = await createWindow({ machines: [sim(12)], start: later, duration: '1h' });
  const client = (await framework('ext-placement')).client;
  const expected = [
    ['sim-02', 1, 'NO_MAINTENANCE'],
    ['sim-12', 2, 'MAINTENANCE_AFTER_TASK'],
    ['sim-09', 3, 'DOWN_DURING_TASK'],
  ];
  // Placement reads what frameworks are told, which follows each machine's first look (about a second).
  const advice = await stack.eventually('placement to see both windows', async () => {
    const a = await client.placement([sim(9), sim(12), sim(2)], 3_600);
    const got = a.ranking.map((r) => [r.machine_id.hostname, r.rank, r.class]);
    return JSON.stringify(got) === JSON.stringify(expected) ? a : undefined;
  });
  for (const r of advice.ranking) expect(r.reason.length).toBeGreaterThan(10);
  await stack.api('POST', `/api/v1/windows/${soon}/cancel`);
  await stack.api('POST', `/api/v1/windows/${far}/cancel`);
});

test('a disruption budget holds a machine in DRAINING while another hosting the framework is down, then releases it', async () => {
  const ext = await framework('ext-budget');
  await ext.subscribe({ budget: { maxMachinesDown: 1 } });
  await launch('ext-budget', 3);
  await launch('ext-budget', 4);
  await createWindow({ machines: [sim(3), sim(4)], drainWithin: '2s', duration: '5s' });

  const held = await stack.eventually('one machine held by the budget of ext-budget', async () => {
    for (const n of [3, 4]) {
      const m = await machine(n);
      if (m.phase === 'waiting-for-budget' && /ext-budget/.test(m.waitingOn)) return { n, m };
    }
    return undefined;
  });
  expect(held.m.mode).toBe('DRAINING');
  expect(held.m.waitingOn).toMatch(/1 of 1 machines/);
  const other = held.n === 3 ? 4 : 3;
  // The registry counts the other machine from its grant; the machine itself moves on when the grant reaches it.
  const going = await stack.eventually('the other machine to go', async () => {
    const m = await machine(other);
    return m.phase === 'waiting-for-budget' || m.phase === 'draining' ? undefined : m;
  });
  expect(['hard-draining', 'down', 'done']).toContain(going.phase);

  const [first, second] = await stack.eventually('both machines back UP', async () => {
    const both = [await machine(other), await machine(held.n)];
    return both.every((m) => m.mode === 'UP') ? both : undefined;
  }, 60_000);
  const at = (m: any, what: string) => Date.parse(m.history.find((e: any) => e.what === what).at);
  expect(at(second, 'hard drain')).toBeGreaterThanOrEqual(at(first, 'UP'));
});

test('partition-aware frameworks hear TASK_GONE_BY_OPERATOR; one that waits keeps its volumes and hears MACHINE_UP', async () => {
  const gone = await framework('ext-gone');
  const waiter = await framework('ext-waiter');
  await gone.subscribe({ partitionAware: true });
  await waiter.subscribe({ partitionAware: true });
  await launch('ext-gone', 6, { volumes: ['gone-vol'] });
  await launch('ext-waiter', 6, { volumes: ['wait-vol'] });
  await createWindow({ machines: [sim(6)], drainWithin: '4s', duration: '3s' });

  const [offer] = await untilOffers(waiter, 6, 1);
  await waiter.client.declineInverseOffers([offer], { plan: 'WAIT', refuseSeconds: 3_600 });

  await stack.eventually('MACHINE_UP to the waiter', async () => (waiter.events('MACHINE_UP').length ? true : undefined), 60_000);
  expect(waiter.events('UPDATE').map((e) => e.update.status.state)).toEqual(['TASK_KILLED']);
  expect(waiter.events('MACHINE_UP')[0]!.machine_up).toMatchObject({ machine_id: sim(6), volumes_intact: ['wait-vol'] });
  await stack.eventually('the kill told to ext-gone', async () => (gone.events('UPDATE').length ? true : undefined));
  expect(gone.events('UPDATE')[0]!.update.status).toMatchObject({ state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_SLAVE_DRAINING' });
});
