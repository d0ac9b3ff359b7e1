// A framework's mailbox on the time-skipping server: the real workflow and webhook activity, subscriptions through the
// real service, notices signalled as machines and the registry signal them, and webhooks that check every signature.
import { ErrorCode, MaintError } from '../../src/domain/errors';
import type { FrameworkNotice, MachineUnavailability, OfferNotice } from '../../src/domain/framework';
import { machineKey, type MachineId } from '../../src/domain/machine';
import type { SchedulerEvent } from '../../src/domain/scheduler-wire';
import { sentSignals } from '../../src/temporal/sent-signals';
import { closeMailbox, frameworkNotices, mailboxEvents } from '../../workflows/messages';
import { simMachine as sim, type Harness } from '../support/harness';
import { timeSkippingSuite } from '../support/time-skipping';
import { eventually } from '../support/eventually';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const suite = timeSkippingSuite();
/** A suite of frameworks subscribed by each test itself. */
const alone = () => suite.harness({ frameworks: {} });

// ---- notices, as machines and the registry send them ---------------------------------------------------------------

const unavailability = { startMs: Date.UTC(2026, 10, 26, 12), durationMs: HOUR };

function offer(h: Harness, machine: MachineId, unique: string): OfferNotice {
  return {
    offerId: h.ids.offer(h.ids.machine(machine), unique),
    agentId: `agent-${machine.hostname}`,
    unavailability,
    machine,
    resources: [{ name: 'cpus', scalar: 1 }],
    volumes: [],
  };
}

function inMaintenance(machine: MachineId): MachineUnavailability {
  return { key: machineKey(machine), machine, agentId: `agent-${machine.hostname}`, mode: 'DRAINING', unavailability };
}

const unavailable = (...machines: MachineId[]): FrameworkNotice => ({ kind: 'unavailability', machines: machines.map(inMaintenance) });
const offers = (...list: OfferNotice[]): FrameworkNotice => ({ kind: 'inverse-offers', offers: list });
const rescind = (o: OfferNotice): FrameworkNotice => ({ kind: 'rescind-inverse-offer', offerId: o.offerId });
const killed = (machine: MachineId, taskIds: string[]): FrameworkNotice => ({
  kind: 'tasks-killed',
  machine,
  agentId: `agent-${machine.hostname}`,
  tasks: taskIds.map((taskId) => ({ taskId, volumes: [] })),
  gone: true,
  cause: 'hard-drain',
});
const up = (machine: MachineId, volume: string): FrameworkNotice => ({
  kind: 'machine-up',
  machine,
  agentId: `agent-${machine.hostname}`,
  volumesIntact: [volume],
});

/** Signals notices into a framework's mailbox, as a machine workflow does. */
async function tell(h: Harness, frameworkId: string, notices: FrameworkNotice[]): Promise<void> {
  const atMs = await h.env.currentTimeMs();
  await h.env.client.workflow.getHandle(h.ids.framework(frameworkId)).signal(frameworkNotices, { notices, atMs });
}

// ---- waiting ---------------------------------------------------------------------------------------------------------


/** Lets server time pass, a minute at a time (skipped), until the check holds: retries back off up to a minute. */
async function afterRetries(h: Harness, check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (await check()) return;
    await h.env.sleep(MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the retried attempt runs in real time
  }
  throw new Error(`never: ${what}`);
}

/** The webhook's cursor and last error, as any reader's page carries them. */
const webhookOf = async (h: Harness, frameworkId: string) => (await h.frameworks.events(frameworkId, {})).webhook;
/**
 * webhookOf for polling: a read the test server gave up on (UNAVAILABLE: the worker, loaded by the rest of `npm test`,
 * did not answer the query in time, e.g. just as the mailbox continued as new) is "not yet", not a failure.
 */
const polledWebhookOf = (h: Harness, frameworkId: string) =>
  webhookOf(h, frameworkId).catch((err: unknown) => {
    if (err instanceof MaintError && err.code === ErrorCode.UNAVAILABLE) return undefined;
    throw err;
  });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The seq a new mailbox numbers its first event with (it counts from the workflow clock, not from 1), read before any
 * event is in: the log is empty (lastSeq = firstSeq - 1), and so is the webhook's cursor (deliveredSeq = firstSeq - 1).
 * A read "from the start" is `afterSeq: base - 1`.
 */
async function firstSeqOf(h: Harness, frameworkId: string): Promise<number> {
  const page = await h.frameworks.events(frameworkId, {});
  const base = page.firstSeq;
  expect(Number.isSafeInteger(base)).toBe(true);
  expect([page.events, page.lastSeq]).toEqual([[], base - 1]);
  if (page.webhook) expect(page.webhook.deliveredSeq).toBe(base - 1);
  return base;
}
const keysOf = (h: Harness, frameworkId: string) => h.eventsOf(frameworkId).map((r) => r.idempotencyKey);

/** The signals a mailbox sent (answers forwarded to machines), read from its history. */
async function signalsSent(h: Harness, frameworkId: string) {
  const history = await h.env.client.workflow.getHandle(h.ids.framework(frameworkId)).fetchHistory();
  return sentSignals(history.events ?? []).map((s) => ({ workflowId: s.workflowId, signal: s.name, input: s.arg }));
}

// ---- tests -----------------------------------------------------------------------------------------------------------

test('events reach the webhook in order and signed, one POST per scheduler event, each under its own key', async () => {
  const h = alone();
  await h.run(async () => {
    await h.subscribe('alpha', { partitionAware: true });
    const base = await firstSeqOf(h, 'alpha');
    const [o1, o2] = [offer(h, sim(1), 'o1'), offer(h, sim(2), 'o2')];
    await tell(h, 'alpha', [offers(o1, o2), unavailable(sim(1)), killed(sim(1), ['t1', 't2']), rescind(o1), up(sim(1), 'v1')]);
    await eventually(() => h.eventsOf('alpha').length === 6, 'six deliveries');
    expect(h.eventsOf('alpha').map((r) => [r.seq, r.idempotencyKey, r.event.type])).toEqual([
      [base, `alpha/${base}/0`, 'INVERSE_OFFERS'],
      [base + 1, `alpha/${base + 1}/0`, 'UNAVAILABILITY'],
      [base + 2, `alpha/${base + 2}/0`, 'UPDATE'], // one status update per task killed
      [base + 2, `alpha/${base + 2}/1`, 'UPDATE'],
      [base + 3, `alpha/${base + 3}/0`, 'RESCIND_INVERSE_OFFER'],
      [base + 4, `alpha/${base + 4}/0`, 'MACHINE_UP'],
    ]);
    const update = h.eventsOf('alpha', 'UPDATE')[0].event as Extract<SchedulerEvent, { type: 'UPDATE' }>;
    expect(update.update.status.state).toBe('TASK_GONE_BY_OPERATOR'); // PARTITION_AWARE, as subscribed
    const page = await h.frameworks.events('alpha', { afterSeq: base - 1 });
    expect(page.resync).toBeUndefined(); // read from the start: nothing missed
    expect(page.events.map((e) => e.seq)).toEqual(range(base, base + 4));
    expect(page.outstanding).toEqual([o2]);
    expect(page.webhook).toEqual({ url: h.webhookUrl('alpha'), deliveredSeq: base + 4 });
    expect(h.duplicates).toEqual([]);

    // A webhook that checks with another key refuses every delivery (401): maint records it and goes on.
    await h.subscribe('beta');
    const beta = await firstSeqOf(h, 'beta');
    h.secrets.set('beta', 'not-the-secret-beta-subscribed-with');
    await tell(h, 'beta', [unavailable(sim(2)), up(sim(2), 'v2')]);
    await eventually(async () => (await polledWebhookOf(h, 'beta'))?.deliveredSeq === beta + 1, 'beta past both events');
    expect(h.signatureFailures).toEqual(['beta: signature does not match the body', 'beta: signature does not match the body']);
    expect((await webhookOf(h, 'beta'))?.lastError).toMatch(
      new RegExp(`^event ${beta + 1} \\(part 0\\) rejected by the webhook for good: 401`),
    );
    expect(h.eventsOf('beta')).toEqual([]);
    h.signatureFailures.length = 0; // seen; the harness fails any test that leaves one
  });
});

test('a webhook answering 503 for a while gets every event once, in order, and holds no other framework back', async () => {
  const h = alone();
  await h.run(async () => {
    await h.subscribe('dead');
    await h.subscribe('alive');
    const base = await firstSeqOf(h, 'dead');
    const recoversAt = (await h.env.currentTimeMs()) + 10 * MINUTE;
    // dead takes its first two events, then fails until it recovers: the retried batch must resume at the third.
    h.respond = (p) => (p.frameworkId === 'dead' && p.seq > base + 1 && p.atMs < recoversAt ? 503 : 200);
    const batch = range(1, 5).map((i) => killed(sim(i), [`t${i}`]));
    await tell(h, 'dead', batch);
    await tell(h, 'alive', batch);
    await eventually(
      () => h.eventsOf('alive').length === 5 && h.posts.some((p) => p.frameworkId === 'dead' && p.status === 503),
      'alive served while dead fails',
    );
    expect(h.eventsOf('dead').map((r) => r.seq)).toEqual([base, base + 1]);

    await afterRetries(h, () => h.eventsOf('dead').length === 5, 'dead recovers');
    const expected = range(base, base + 4).map((seq) => `dead/${seq}/0`);
    expect(keysOf(h, 'dead')).toEqual(expected);
    const deadPosts = h.posts.filter((p) => p.frameworkId === 'dead');
    expect(deadPosts.filter((p) => p.status === 200).map((p) => p.idempotencyKey)).toEqual(expected); // none twice
    const failed = deadPosts.filter((p) => p.status === 503);
    expect(failed.length).toBeGreaterThan(2); // retried with backoff over the ten minutes
    expect(new Set(failed.map((p) => p.idempotencyKey))).toEqual(new Set([`dead/${base + 2}/0`])); // resumed, not restarted
    expect(h.duplicates).toEqual([]);
    expect((await webhookOf(h, 'dead'))?.deliveredSeq).toBe(base + 4);
  });
});

test('a 4xx skips the event for good and records it as the last error', async () => {
  const h = alone();
  await h.run(async () => {
    await h.subscribe('picky');
    const base = await firstSeqOf(h, 'picky');
    h.respond = (p) => (p.seq === base + 1 ? 400 : 200);
    await tell(h, 'picky', [unavailable(sim(1)), up(sim(1), 'v1'), unavailable(sim(2))]);
    await eventually(async () => (await polledWebhookOf(h, 'picky'))?.deliveredSeq === base + 2, 'all three past');
    expect(h.eventsOf('picky').map((r) => r.seq)).toEqual([base, base + 2]);
    expect(h.posts.filter((p) => p.seq === base + 1)).toHaveLength(1); // not retried
    expect((await webhookOf(h, 'picky'))?.lastError).toBe(
      `event ${base + 1} (part 0) rejected by the webhook for good: 400 answered 400 by the test`,
    );
  });
});

test('a reader behind the trimmed log gets a resync, and so does a webhook that was down meanwhile', async () => {
  const h = alone();
  await h.run(async () => {
    await h.subscribe('gamma');
    const base = await firstSeqOf(h, 'gamma');
    let down = true;
    h.respond = (p) => (p.frameworkId === 'gamma' && down ? 503 : 200);
    const open = offer(h, sim(1), 'still-open');
    const gone = offer(h, sim(3), 'rescinded');
    await tell(h, 'gamma', [unavailable(sim(1), sim(3)), offers(open, gone), rescind(gone)]);
    await tell(h, 'gamma', range(1, 2_100).map((i) => up(sim(2), `v${i}`)));
    const resync = [
      { kind: 'unavailability', machines: [inMaintenance(sim(1)), inMaintenance(sim(3))], full: true },
      { kind: 'inverse-offers', offers: [open] },
    ];

    const [firstKept, last] = [base + 103, base + 2_102]; // the last 2,000 of 2,103 events
    const behind = await h.frameworks.events('gamma', { afterSeq: base - 1 }); // read from the start
    expect([behind.firstSeq, behind.lastSeq]).toEqual([firstKept, last]);
    expect(behind.resync).toEqual(resync);
    expect(behind.events.map((e) => e.seq)).toEqual(range(firstKept, firstKept + 499)); // a page of 500
    const edge = await h.frameworks.events('gamma', { afterSeq: firstKept - 1 }); // missed only trimmed-away events
    expect([edge.resync, edge.events[0].seq]).toEqual([undefined, firstKept]);
    const fresh = await h.frameworks.events('gamma', {});
    expect([fresh.resync, fresh.events]).toEqual([resync, []]); // a new reader starts now, with what is relevant
    const current = await h.frameworks.events('gamma', { afterSeq: last });
    expect([current.resync, current.events]).toEqual([undefined, []]);
    const ahead = await h.frameworks.events('gamma', { afterSeq: last + 1 }); // a cursor this mailbox never gave out
    expect([ahead.resync, ahead.events[0].seq]).toEqual([resync, firstKept]);

    // The webhook comes back: the resync first (under the seq just before the first kept), then every kept event.
    down = false;
    await afterRetries(h, () => h.eventsOf('gamma').length === 2 + 2_000, 'the webhook catches up');
    const got = h.eventsOf('gamma');
    expect(got.slice(0, 2).map((r) => [r.seq, r.idempotencyKey, r.event.type])).toEqual([
      [firstKept - 1, `gamma/${firstKept - 1}/0`, 'UNAVAILABILITY'],
      [firstKept - 1, `gamma/${firstKept - 1}/1`, 'INVERSE_OFFERS'],
    ]);
    expect(got[0].event).toMatchObject({ unavailability: { full: true } });
    expect(got.slice(2).map((r) => r.seq)).toEqual(range(firstKept, last));
    expect(h.duplicates).toEqual([]);
  });
});

test('another principal may not resubscribe, answer, read or unsubscribe a framework', async () => {
  const h = alone();
  await h.run(async () => {
    await h.subscribe('delta', {}, 'ops');
    const base = await firstSeqOf(h, 'delta');
    const o = offer(h, sim(1), 'o');
    await tell(h, 'delta', [offers(o)]);
    const forbidden = { code: 'FORBIDDEN' };
    const intruder = { frameworkId: 'delta', name: 'delta', webhookUrl: 'http://evil.test/', webhookSecret: 'x'.repeat(32) };
    await expect(h.frameworks.subscribe(intruder, 'intruder')).rejects.toMatchObject(forbidden);
    await expect(h.answer('delta', 'ACCEPT', [o.offerId], { principal: 'intruder' })).rejects.toMatchObject(forbidden);
    await expect(h.frameworks.events('delta', { principal: 'intruder' })).rejects.toMatchObject(forbidden);
    await expect(h.frameworks.unsubscribe('delta', 'intruder')).rejects.toMatchObject(forbidden);

    const page = await h.frameworks.events('delta', { afterSeq: base - 1, principal: 'ops' });
    expect(page).toMatchObject({ subscribed: true, subscription: { principal: 'ops', webhookUrl: h.webhookUrl('delta') } });
    expect(page.events.map((e) => [e.seq, e.notice])).toEqual([[base, offers(o)]]);
    expect(page.outstanding).toEqual([o]);
    await eventually(() => h.eventsOf('delta').length === 1, 'delta still gets its events');
    expect(await h.answer('delta', 'ACCEPT', [o.offerId], { principal: 'ops' })).toEqual({ recorded: [o.offerId], ignored: [] });
  });
});

test('answers go to the machines of the framework’s own open offers (and late ones while their machine runs); others are ignored', async () => {
  const h = alone();
  await h.run(async () => {
    await h.subscribe('a');
    await h.subscribe('b');
    const [baseA, baseB] = [await firstSeqOf(h, 'a'), await firstSeqOf(h, 'b')];
    const [a1, a2, a3, b1] = [offer(h, sim(1), 'a1'), offer(h, sim(2), 'a2'), offer(h, sim(1), 'a3'), offer(h, sim(1), 'b1')];
    const early = offer(h, sim(4), 'rescind-came-first');
    await tell(h, 'a', [rescind(early), offers(a1, a2, a3, early), rescind(a3)]);
    await tell(h, 'b', [offers(b1)]);
    expect((await h.frameworks.events('a', { afterSeq: baseA - 1 })).events.map((e) => [e.seq, e.notice])).toEqual([
      [baseA, offers(a1, a2, a3)], // the offer its rescind overtook is never shown
      [baseA + 1, rescind(a3)],
    ]);

    const ids = [a1, a2, a3, b1, early].map((o) => o.offerId);
    const result = await h.answer('a', 'DECLINE', [...ids, 'no-such-offer', a1.offerId], { refuseMs: 5_000, plan: 'WAIT' });
    // a3 was rescinded after a saw it: a late answer, which only its machine's workflow could record, and none runs
    // here (its maintenance is over): moot, so ignored (a running machine records it: operator.test.ts). The open
    // offers' answers are recorded by the mailbox whether or not their machine takes them.
    expect(result).toEqual({ recorded: [a1.offerId, a2.offerId], ignored: [b1.offerId, early.offerId, 'no-such-offer', a3.offerId] });
    expect(await h.answer('a', 'ACCEPT', [a1.offerId])).toEqual({ recorded: [], ignored: [a1.offerId] }); // answered
    expect((await h.frameworks.events('a', { afterSeq: baseA - 1 })).outstanding).toEqual([]);
    expect((await h.frameworks.events('b', { afterSeq: baseB - 1 })).outstanding).toEqual([b1]);

    const answer = { frameworkId: 'a', answer: 'DECLINE', atMs: expect.any(Number), refuseMs: 5_000, plan: 'WAIT' };
    expect(await signalsSent(h, 'a')).toEqual([
      { workflowId: h.ids.machine(sim(1)), signal: 'inverseOfferAnswers', input: { ...answer, offerIds: [a1.offerId, a3.offerId] } },
      { workflowId: h.ids.machine(sim(2)), signal: 'inverseOfferAnswers', input: { ...answer, offerIds: [a2.offerId] } },
    ]);
    expect(await signalsSent(h, 'b')).toEqual([]);
  });
});

test('continue-as-new keeps the log, the offers, the machines, the webhook cursor, its last error and the principal', async () => {
  const h = alone();
  await h.run(async () => {
    await h.configureMailbox('eps', { principal: 'ops', maxHistoryEvents: 40 });
    const handle = h.env.client.workflow.getHandle(h.ids.framework('eps'));
    const firstRun = (await handle.describe()).runId;
    const base = await firstSeqOf(h, 'eps');
    h.respond = (p) => (p.seq === base + 2 ? 400 : 200);
    const o = offer(h, sim(1), 'open');
    await tell(h, 'eps', [unavailable(sim(1)), offers(o)]);
    for (let i = 1; i <= 30; i++) await tell(h, 'eps', [up(sim(2), `v${i}`)]);
    const last = base + 31;
    // 31 deliveries and a continue-as-new: under a full test run's load (every project at once) this once took more
    // than the default 30 s, where alone it takes under a second. A wait, not a timing: what follows checks the state.
    await eventually(async () => (await polledWebhookOf(h, 'eps'))?.deliveredSeq === last, 'every event past the webhook', 90_000);

    expect((await handle.describe()).runId).not.toBe(firstRun);
    // The new run goes on numbering where the first left off: it does not start over from its own clock.
    const page = await h.frameworks.events('eps', { afterSeq: base - 1 });
    expect(page).toMatchObject({ subscribed: true, subscription: { principal: 'ops' }, firstSeq: base, lastSeq: last });
    expect(page.resync).toBeUndefined();
    expect(page.events.map((e) => e.seq)).toEqual(range(base, last));
    expect(page.outstanding).toEqual([o]);
    expect(page.webhook).toEqual({
      url: h.webhookUrl('eps'),
      deliveredSeq: last,
      lastError: `event ${base + 2} (part 0) rejected by the webhook for good: 400 answered 400 by the test`,
    });
    expect((await h.frameworks.events('eps', {})).resync).toEqual([
      { kind: 'unavailability', machines: [inMaintenance(sim(1))], full: true },
      offers(o),
    ]);
    expect(h.eventsOf('eps').map((r) => r.seq)).toEqual(range(base, last).filter((s) => s !== base + 2));
    await expect(h.answer('eps', 'ACCEPT', [o.offerId], { principal: 'intruder' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.answer('eps', 'ACCEPT', [o.offerId], { principal: 'ops' })).toEqual({ recorded: [o.offerId], ignored: [] });
  });
});

test('unsubscribing ends the mailbox; a new SUBSCRIBE numbers its events past the old ones, and old readers resync', async () => {
  const h = alone();
  await h.run(async () => {
    await h.subscribe('zeta');
    const old = await firstSeqOf(h, 'zeta');
    await tell(h, 'zeta', [unavailable(sim(1)), killed(sim(1), ['t1'])]);
    await eventually(async () => (await polledWebhookOf(h, 'zeta'))?.deliveredSeq === old + 1, 'both delivered');
    const oldKeys = [`zeta/${old}/0`, `zeta/${old + 1}/0`];
    expect(keysOf(h, 'zeta')).toEqual(oldKeys);
    const handle = h.env.client.workflow.getHandle(h.ids.framework('zeta'));
    await handle.executeUpdate(closeMailbox, { args: [{}] });
    await handle.result();
    expect((await handle.query(mailboxEvents, {})).subscribed).toBe(false);
    await expect(tell(h, 'zeta', [unavailable(sim(2))])).rejects.toThrow(); // machines take it as "not subscribed"

    // The framework keeps the Idempotency-Keys it took (no h.restart): the new mailbox must not repeat any of them.
    const before = await h.env.currentTimeMs();
    await h.subscribe('zeta');
    const after = await h.env.currentTimeMs();
    const base = await firstSeqOf(h, 'zeta');
    // Numbered from the workflow clock when the new mailbox started (epoch ms × 1,000, + 1), so past every old seq.
    expect(base % 1_000).toBe(1);
    expect(Math.floor(base / 1_000)).toBeGreaterThanOrEqual(before);
    expect(Math.floor(base / 1_000)).toBeLessThanOrEqual(after);
    expect(base).toBeGreaterThan(old + 1);
    await tell(h, 'zeta', [unavailable(sim(3)), up(sim(3), 'v3')]);

    // A reader of the first mailbox, at its last event (or anywhere in it), is behind the new one's log: it gets the
    // resync and every kept event, none skipped and none it read before.
    const resync = [{ kind: 'unavailability', machines: [inMaintenance(sim(3))], full: true }];
    const newEvents = [
      [base, unavailable(sim(3))],
      [base + 1, up(sim(3), 'v3')],
    ];
    for (const afterSeq of [old + 1, old, old - 1]) {
      const page = await h.frameworks.events('zeta', { afterSeq });
      expect(page).toMatchObject({ subscribed: true, firstSeq: base, lastSeq: base + 1 });
      expect(page.resync).toEqual(resync);
      expect(page.events.map((e) => [e.seq, e.notice])).toEqual(newEvents);
    }
    // A reader of the new mailbox from its start misses nothing: no resync.
    const own = await h.frameworks.events('zeta', { afterSeq: base - 1 });
    expect([own.resync, own.events.map((e) => [e.seq, e.notice])]).toEqual([undefined, newEvents]);

    await eventually(() => h.eventsOf('zeta').length === 4, 'the new mailbox delivers');
    const got = h.eventsOf('zeta');
    expect(got.map((r) => r.seq)).toEqual([old, old + 1, base, base + 1]);
    expect(keysOf(h, 'zeta')).toEqual([...oldKeys, `zeta/${base}/0`, `zeta/${base + 1}/0`]);
    expect(Math.min(...got.slice(2).map((r) => r.seq))).toBeGreaterThan(Math.max(...got.slice(0, 2).map((r) => r.seq)));
    expect(h.duplicates).toEqual([]); // no new event was taken for an old one
    expect((await webhookOf(h, 'zeta'))?.deliveredSeq).toBe(base + 1);
  });
});

test('without MAINT_SECRET_KEY on the worker, webhooks say so and nothing is sent unsigned; pulls still work', async () => {
  const h = suite.harness({ frameworks: {}, workerWithoutSecretKey: true });
  await h.run(async () => {
    await h.subscribe('eta');
    const base = await firstSeqOf(h, 'eta');
    await tell(h, 'eta', [unavailable(sim(1))]);
    await eventually(async () => (await polledWebhookOf(h, 'eta'))?.lastError !== undefined, 'the failure recorded');
    expect(await webhookOf(h, 'eta')).toEqual({
      url: h.webhookUrl('eta'),
      deliveredSeq: base - 1, // nothing delivered
      lastError: expect.stringMatching(/^MAINT_SECRET_KEY is missing on the worker/),
    });
    expect(h.posts).toEqual([]);
    const pulled = await h.frameworks.events('eta', { afterSeq: base - 1 });
    expect(pulled.events.map((e) => [e.seq, e.notice])).toEqual([[base, unavailable(sim(1))]]);
  });
});

test('a dead webhook holds back neither the other frameworks nor the machine', async () => {
  const h = suite.harness(); // mover, decliner, silent; sim-06 hosts a task of each
  await h.run(async () => {
    h.respond = (p) => (p.frameworkId === 'silent' ? 503 : 200);
    const window = await h.open([sim(6)], { durationMs: HOUR });
    expect((await h.windowResult(window.id)).state).toBe('COMPLETED');
    const [machine] = (await h.windows.get(window.id)).machines;
    expect(machine.answers.map((a) => `${a.frameworkId}:${a.answer}`).sort()).toEqual(['decliner:DECLINE', 'mover:ACCEPT']);
    const hardDrain = machine.history.find((e) => e.what === 'hard drain')!;
    expect(hardDrain.atMs - window.deadlineMs).toBeLessThan(2 * MINUTE); // at the deadline, as with a live webhook
    expect(h.eventsOf('mover', 'INVERSE_OFFERS')).toHaveLength(1);
    expect(h.eventsOf('silent')).toEqual([]);
    expect(h.posts.filter((p) => p.frameworkId === 'silent').length).toBeGreaterThan(1); // still being retried
  });
});
