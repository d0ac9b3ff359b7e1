// One machine's maintenance rules (workflows/machine-state.ts), driven the way workflows/machine.ts drives them, with
// time passed in by hand: no Temporal.
import type { MachineTasks } from '../../activities/driver';
import type { Policy } from '../../src/domain/policy';
import { MachineState, type MachineSnapshot, type PendingDelivery } from '../../workflows/machine-state';
import type { MachineInput } from '../../workflows/messages';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0); // when the window is created
const START = T0 + HOUR; // unavailability start = deadline
const DURATION = 4 * HOUR;
const AGENT = 'agent-sim-01';

function input(policy: Partial<Policy> = {}, unavailability: MachineInput['unavailability'] = { startMs: START, durationMs: DURATION }): MachineInput {
  return {
    instance: 'maint',
    windowId: 'w-1',
    machine: { hostname: 'sim-01', ip: '192.0.2.1' },
    unavailability,
    deadlineMs: unavailability.startMs,
    policy: { escalation: 'hard-drain', downWhenDrained: true, autoUp: true, ...policy },
    checkIntervalMs: 10_000,
  };
}

function start(policy: Partial<Policy> = {}, unavailability?: MachineInput['unavailability']): MachineState {
  return MachineState.start(input(policy, unavailability), T0);
}

/** Offer ids io-1, io-2, ... in the order they are asked for. */
function offerIds(): () => string {
  let n = 0;
  return () => `io-${++n}`;
}

/** What inspectMachine would report: one task per entry, named by framework. */
function tasks(...frameworks: string[]): MachineTasks {
  return {
    known: true,
    agentId: AGENT,
    tasks: frameworks.map((frameworkId, i) => ({ taskId: `task-${i}`, frameworkId, agentId: AGENT })),
  };
}

const EMPTY: MachineTasks = { known: true, agentId: AGENT, tasks: [] };

function task(taskId: string, frameworkId: string, volumes?: string[]): MachineTasks['tasks'][number] {
  return { taskId, frameworkId, agentId: AGENT, ...(volumes ? { volumes } : {}) };
}

function offered(deliveries: readonly PendingDelivery[]): { frameworkId: string; offerId: string }[] {
  return deliveries.flatMap((d) =>
    d.notice.kind === 'inverse-offers' ? d.notice.offers.map((o) => ({ frameworkId: d.frameworkId, offerId: o.offerId })) : [],
  );
}

function rescinded(deliveries: readonly PendingDelivery[]): { frameworkId: string; offerId: string }[] {
  return deliveries.flatMap((d) =>
    d.notice.kind === 'rescind-inverse-offer' ? [{ frameworkId: d.frameworkId, offerId: d.notice.offerId }] : [],
  );
}

/** A machine draining with inverse offers io-1 (fw-a), io-2 (fw-b), io-3 (fw-c) outstanding. */
function drainingWithThreeFrameworks(policy: Partial<Policy> = {}) {
  const m = start(policy);
  const nextId = offerIds();
  m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 1_000, nextId);
  return { m, nextId };
}

/** Drives a machine the way machineWorkflow does until it is DOWN: hard drain, then mark down. */
function takeDown(m: MachineState, nowMs: number): void {
  m.startHardDrain(nowMs);
  m.markDown([], nowMs);
}

describe('start', () => {
  test('a machine starts DRAINING in phase draining', () => {
    const m = start();
    expect(m.mode).toBe('DRAINING');
    expect(m.phase).toBe('draining');
    expect(m.beforeDown).toBe(true);
  });

  test('it keeps the window, the machine and the deadline', () => {
    const m = start();
    expect(m.windowId).toBe('w-1');
    expect(m.machine).toEqual({ hostname: 'sim-01', ip: '192.0.2.1' });
    expect(m.key).toBe('h=sim-01;i=192.0.2.1');
    expect(m.deadlineMs).toBe(START);
  });

  test('it records why it is DRAINING in the history', () => {
    const history = start().view(T0).history;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ atMs: T0, what: 'DRAINING' });
    expect(history[0].detail).toContain('w-1');
    expect(history[0].detail).toContain(new Date(START).toISOString());
  });
});

describe('observe: inverse offers', () => {
  test('sends one inverse offer per framework holding tasks, with ids from the generator', () => {
    const m = start();
    const sent = m.observe(tasks('fw-a', 'fw-b', 'fw-a', 'fw-c'), T0 + 1_000, offerIds());
    expect(offered(sent)).toEqual([
      { frameworkId: 'fw-a', offerId: 'io-1' },
      { frameworkId: 'fw-b', offerId: 'io-2' },
      { frameworkId: 'fw-c', offerId: 'io-3' },
    ]);
  });

  test("an inverse offer names the agent and the machine and carries the machine's unavailability, keyed by its offer id", () => {
    const m = start();
    const [delivery] = m.observe(tasks('fw-a'), T0 + 1_000, offerIds());
    expect(delivery).toEqual({
      idempotencyKey: 'io-1',
      frameworkId: 'fw-a',
      notice: {
        kind: 'inverse-offers',
        offers: [
          {
            offerId: 'io-1',
            agentId: AGENT,
            unavailability: { startMs: START, durationMs: DURATION },
            machine: { hostname: 'sim-01', ip: '192.0.2.1' },
            resources: [],
            volumes: [],
          },
        ],
      },
    });
  });

  test("an inverse offer carries what its framework holds here: its tasks' scalars summed by name, their volumes", () => {
    const m = start();
    const seen: MachineTasks = {
      known: true,
      agentId: AGENT,
      tasks: [
        { ...task('t1', 'fw-a'), resources: [{ name: 'cpus', scalar: 1 }, { name: 'mem', scalar: 256 }], volumes: ['v1'] },
        { ...task('t2', 'fw-b'), resources: [{ name: 'cpus', scalar: 8 }], volumes: ['other'] },
        { ...task('t3', 'fw-a'), resources: [{ name: 'mem', scalar: 128 }, { name: 'cpus', scalar: 0.5 }], volumes: ['v2', 'v1'] },
      ],
    };
    const sent = m.observe(seen, T0 + 1_000, offerIds());
    const offerOf = (fw: string) => sent.find((d) => d.frameworkId === fw)!.notice;
    expect(offerOf('fw-a')).toMatchObject({
      offers: [{ resources: [{ name: 'cpus', scalar: 1.5 }, { name: 'mem', scalar: 384 }], volumes: ['v1', 'v2'] }],
    });
    expect(offerOf('fw-b')).toMatchObject({ offers: [{ resources: [{ name: 'cpus', scalar: 8 }], volumes: ['other'] }] });
  });

  test('tasks without resources or volumes (looks recorded before the scheduler API) give empty ones', () => {
    const m = start();
    const [delivery] = m.observe(tasks('fw-a'), T0 + 1_000, offerIds());
    expect(delivery.notice).toMatchObject({ offers: [{ resources: [], volumes: [] }] });
  });

  test('deliveries are queued until delivered', () => {
    const m = start();
    const sent = m.observe(tasks('fw-a', 'fw-b'), T0 + 1_000, offerIds());
    expect(m.deliveries).toEqual(sent);
    m.deliveryDone('io-1', 'delivered', T0 + 2_000);
    expect(m.deliveries.map((d) => d.idempotencyKey)).toEqual(['io-2']);
  });

  test('a second look sends nothing while the offers are outstanding', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    expect(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000, nextId)).toEqual([]);
  });

  test('a framework that answered is not offered again for the same unavailability', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'DECLINE', offerIds: ['io-1'], atMs: T0 + 1_500 });
    expect(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000, nextId)).toEqual([]);
  });

  test('a framework that arrives later gets its own inverse offer', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    const sent = m.observe(tasks('fw-a', 'fw-b', 'fw-c', 'fw-d'), T0 + 2_000, nextId);
    expect(offered(sent)).toEqual([{ frameworkId: 'fw-d', offerId: 'io-4' }]);
  });

  test('an empty machine gets no inverse offers', () => {
    expect(start().observe(EMPTY, T0 + 1_000, offerIds())).toEqual([]);
  });

  test('remaining tasks follow what the cluster reports', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.observe(tasks('fw-b'), T0 + 2_000, nextId);
    expect(m.view(T0 + 2_000).remaining).toEqual([{ taskId: 'task-0', frameworkId: 'fw-b' }]);
    expect(m.isEmpty).toBe(false);
  });

  test('a machine the cluster does not know is recorded as unknown', () => {
    const m = start();
    m.observe({ known: false, tasks: [] }, T0 + 1_000, offerIds());
    expect(m.known).toBe(false);
  });
});

describe('recordAnswers', () => {
  test('records ACCEPT and DECLINE per framework and clears their offers', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000 });
    m.recordAnswers({ frameworkId: 'fw-b', answer: 'DECLINE', offerIds: ['io-2'], atMs: T0 + 3_000 });
    const view = m.view(T0 + 3_000);
    expect(view.answers).toEqual([
      { frameworkId: 'fw-a', answer: 'ACCEPT', atMs: T0 + 2_000, offerId: 'io-1', late: false },
      { frameworkId: 'fw-b', answer: 'DECLINE', atMs: T0 + 3_000, offerId: 'io-2', late: false },
    ]);
    expect(view.outstandingOffers).toEqual([{ offerId: 'io-3', frameworkId: 'fw-c' }]);
  });

  test('an answer is written to the history', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000 });
    expect(m.view(T0 + 2_000).history).toContainEqual({ atMs: T0 + 2_000, what: 'fw-a answered ACCEPT' });
  });

  test('an unknown offer id is ignored', () => {
    const { m } = drainingWithThreeFrameworks();
    const before = m.view(T0 + 2_000);
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-99'], atMs: T0 + 2_000 });
    expect(m.view(T0 + 2_000)).toEqual(before);
  });

  test("another framework's offer id is ignored, and that offer stays outstanding", () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-2'], atMs: T0 + 2_000 });
    const view = m.view(T0 + 2_000);
    expect(view.answers).toEqual([]);
    expect(view.outstandingOffers.map((o) => o.offerId)).toEqual(['io-1', 'io-2', 'io-3']);
  });

  test('a repeated answer to an offer already answered changes nothing', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000 });
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'DECLINE', offerIds: ['io-1'], atMs: T0 + 3_000 });
    expect(m.view(T0 + 3_000).answers).toEqual([
      { frameworkId: 'fw-a', answer: 'ACCEPT', atMs: T0 + 2_000, offerId: 'io-1', late: false },
    ]);
  });

  test('an answer wakes the workflow loop, even an ignored one', () => {
    const { m } = drainingWithThreeFrameworks();
    m.wake = false;
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-99'], atMs: T0 + 2_000 });
    expect(m.wake).toBe(true);
  });

  test('an answer given before the hard drain is not late', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: START - 1 });
    m.startHardDrain(START);
    expect(m.view(START).answers.map((a) => a.late)).toEqual([false]);
  });

  test('an answer to an outstanding offer that arrives after the hard drain started is recorded as late', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: START + 1_000 });
    expect(m.view(START + 1_000).answers).toEqual([
      { frameworkId: 'fw-a', answer: 'ACCEPT', atMs: START + 1_000, offerId: 'io-1', late: true },
    ]);
  });
});

describe('nextDrainStep', () => {
  test('an empty machine goes down at once when downWhenDrained', () => {
    const m = start();
    m.observe(EMPTY, T0 + 1_000, offerIds());
    expect(m.nextDrainStep(T0 + 1_000)).toBe('go-down');
  });

  test('an empty machine waits for the deadline without downWhenDrained', () => {
    const m = start({ downWhenDrained: false });
    m.observe(EMPTY, T0 + 1_000, offerIds());
    expect(m.nextDrainStep(T0 + 1_000)).toBe('wait');
  });

  test('a machine with tasks waits before the deadline', () => {
    const { m } = drainingWithThreeFrameworks();
    expect(m.nextDrainStep(START - 1)).toBe('wait');
  });

  test('a machine with tasks escalates once the deadline is reached', () => {
    const { m } = drainingWithThreeFrameworks();
    expect(m.nextDrainStep(START)).toBe('escalate');
    expect(m.nextDrainStep(START + HOUR)).toBe('escalate');
  });

  test('a cancel request wins over everything else', () => {
    const m = start();
    m.observe(EMPTY, T0 + 1_000, offerIds());
    m.command({ type: 'down' }, T0 + 1_000);
    m.command({ type: 'cancel' }, T0 + 1_000);
    expect(m.nextDrainStep(START + HOUR)).toBe('cancel');
  });

  test("an operator's down sends a machine with tasks down before its deadline", () => {
    const { m } = drainingWithThreeFrameworks();
    m.command({ type: 'down' }, T0 + 2_000);
    expect(m.nextDrainStep(T0 + 2_000)).toBe('go-down');
  });
});

describe('escalate', () => {
  test('escalation hard-drain goes down', () => {
    const { m } = drainingWithThreeFrameworks();
    expect(m.escalate(START)).toBe('go-down');
  });

  test('escalation notify waits for an operator in phase awaiting-operator', () => {
    const { m } = drainingWithThreeFrameworks({ escalation: 'notify' });
    expect(m.escalate(START)).toBe('wait');
    expect(m.phase).toBe('awaiting-operator');
    expect(m.mode).toBe('DRAINING');
  });

  test('a machine awaiting an operator does not escalate again', () => {
    const { m } = drainingWithThreeFrameworks({ escalation: 'notify' });
    m.escalate(START);
    expect(m.nextDrainStep(START + HOUR)).toBe('wait');
  });

  test("a machine awaiting an operator goes down on the operator's down", () => {
    const { m } = drainingWithThreeFrameworks({ escalation: 'notify' });
    m.escalate(START);
    m.command({ type: 'down' }, START + MINUTE);
    expect(m.nextDrainStep(START + MINUTE)).toBe('go-down');
  });
});

describe('killsAtDeadline (armed-kills): a hard drain due at the deadline with nobody to ask first', () => {
  const looked = (m: MachineState, seen: MachineTasks) => m.observe(seen, T0 + MINUTE, offerIds());

  test('tasks left and no framework here with a budget: armed', () => {
    const m = start();
    looked(m, { ...tasks('fw-a', 'fw-b'), budgeted: [] });
    expect(m.killsAtDeadline()).toBe(true);
  });

  test('not when a framework with tasks here has a budget, or when the look could not tell', () => {
    const withBudget = start();
    looked(withBudget, { ...tasks('fw-a', 'fw-b'), budgeted: ['fw-b'] });
    expect(withBudget.killsAtDeadline()).toBe(false);
    const unknown = start();
    looked(unknown, tasks('fw-a'));
    expect(unknown.killsAtDeadline()).toBe(false);
  });

  test('not for an empty machine, an unknown one, or before the first look', () => {
    const empty = start();
    looked(empty, { ...EMPTY, budgeted: [] });
    expect(empty.killsAtDeadline()).toBe(false);
    const unknown = start();
    looked(unknown, { known: false, tasks: [] });
    expect(unknown.killsAtDeadline()).toBe(false);
    expect(start().killsAtDeadline()).toBe(false);
  });

  test('not when the deadline does not kill: escalation notify or none', () => {
    for (const escalation of ['notify', 'none'] as const) {
      const m = start({ escalation });
      looked(m, { ...tasks('fw-a'), budgeted: [] });
      expect(m.killsAtDeadline()).toBe(false);
    }
  });

  test('not while the machine would wait for a slot (maxParallel), nor once cancelled or taken down by an operator', () => {
    const paced = start({ maxParallel: 1 });
    looked(paced, { ...tasks('fw-a'), budgeted: [] });
    expect(paced.killsAtDeadline()).toBe(false);
    paced.command({ type: 'proceed' }, T0 + MINUTE);
    expect(paced.killsAtDeadline()).toBe(true);
    for (const type of ['cancel', 'down'] as const) {
      const m = start();
      looked(m, { ...tasks('fw-a'), budgeted: [] });
      m.command({ type }, T0 + 2 * MINUTE);
      expect(m.killsAtDeadline()).toBe(false);
    }
  });
});

describe("command: deadline-kills (its window's armed kills killed here)", () => {
  test("a draining machine takes them as its hard drain's start, even before its first look", () => {
    const m = start();
    m.command({ type: 'deadline-kills', atMs: START + 300 }, START + 2_000);
    expect(m.deadlineKillsAtMs).toBe(START + 300);
    expect(m.known).toBe(true); // its tasks were killed in the cluster: it is there
    expect(m.wake).toBe(true);
  });

  test("another window's kills are not this run's: ignored; this window's, named, count", () => {
    const m = start();
    m.command({ type: 'deadline-kills', atMs: START + 300, windowId: 'w-other' }, START + 2_000);
    expect(m.deadlineKillsAtMs).toBeUndefined();
    m.command({ type: 'deadline-kills', atMs: START + 400, windowId: m.windowId }, START + 2_100);
    expect(m.deadlineKillsAtMs).toBe(START + 400);
  });

  test('the first one counts; one that comes after the machine went on is moot', () => {
    const m = start();
    m.command({ type: 'deadline-kills', atMs: START + 300 }, START + 2_000);
    m.command({ type: 'deadline-kills', atMs: START + 900 }, START + 2_500);
    expect(m.deadlineKillsAtMs).toBe(START + 300);
    const { m: late } = drainingWithThreeFrameworks();
    late.escalate(START);
    late.startHardDrain(START + 100);
    late.command({ type: 'deadline-kills', atMs: START + 300 }, START + 2_000);
    expect(late.deadlineKillsAtMs).toBeUndefined();
  });
});

describe('maxParallel pacing', () => {
  test('without maxParallel a machine may go down at once', () => {
    const m = start();
    expect(m.mayGoDown(T0 + 1_000)).toBe(true);
  });

  test('with maxParallel a ready machine waits for a slot', () => {
    const m = start({ maxParallel: 1 });
    m.observe(EMPTY, T0 + 1_000, offerIds());
    expect(m.mayGoDown(T0 + 1_000)).toBe(false);
    expect(m.phase).toBe('waiting-for-slot');
    expect(m.beforeDown).toBe(true);
  });

  test('a machine waiting for a slot keeps waiting until the window says proceed', () => {
    const m = start({ maxParallel: 1 });
    m.observe(EMPTY, T0 + 1_000, offerIds());
    m.mayGoDown(T0 + 1_000);
    expect(m.nextDrainStep(START + HOUR)).toBe('wait');
    m.command({ type: 'proceed' }, START + HOUR);
    expect(m.nextDrainStep(START + HOUR)).toBe('go-down');
    expect(m.mayGoDown(START + HOUR)).toBe(true);
  });

  test('waiting for a slot is logged once', () => {
    const m = start({ maxParallel: 1 });
    m.mayGoDown(T0 + 1_000);
    m.mayGoDown(T0 + 2_000);
    expect(m.view(T0 + 2_000).history.filter((e) => e.what === 'waiting for a slot')).toHaveLength(1);
  });

  test("an operator's down skips the pacing", () => {
    const { m } = drainingWithThreeFrameworks({ maxParallel: 1 });
    m.command({ type: 'down' }, T0 + 2_000);
    expect(m.mayGoDown(T0 + 2_000)).toBe(true);
  });
});

describe('startHardDrain', () => {
  test('rescinds every outstanding inverse offer', () => {
    const { m } = drainingWithThreeFrameworks();
    const sent = m.startHardDrain(START);
    expect(rescinded(sent)).toEqual([
      { frameworkId: 'fw-a', offerId: 'io-1' },
      { frameworkId: 'fw-b', offerId: 'io-2' },
      { frameworkId: 'fw-c', offerId: 'io-3' },
    ]);
    expect(sent.map((d) => d.idempotencyKey)).toEqual(['io-1/rescind', 'io-2/rescind', 'io-3/rescind']);
    expect(m.view(START).outstandingOffers).toEqual([]);
  });

  test('answered offers are not rescinded', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-b', answer: 'ACCEPT', offerIds: ['io-2'], atMs: T0 + 2_000 });
    expect(rescinded(m.startHardDrain(START)).map((r) => r.offerId)).toEqual(['io-1', 'io-3']);
  });

  test('the machine is hard-draining and no longer before DOWN', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    expect(m.phase).toBe('hard-draining');
    expect(m.mode).toBe('DRAINING');
    expect(m.beforeDown).toBe(false);
  });

  test('the history says why: deadline, drained or operator', () => {
    const atDeadline = drainingWithThreeFrameworks().m;
    atDeadline.startHardDrain(START);
    const drained = start();
    drained.observe(EMPTY, T0 + 1_000, offerIds());
    drained.startHardDrain(T0 + 1_000);
    const byOperator = drainingWithThreeFrameworks().m;
    byOperator.command({ type: 'down' }, T0 + 2_000);
    byOperator.startHardDrain(T0 + 2_000);
    const reason = (m: MachineState) => m.view(START).history.find((e) => e.what === 'hard drain')?.detail;
    expect(reason(atDeadline)).toBe('deadline: killing 3 tasks');
    expect(reason(drained)).toBe('drained: killing 0 tasks');
    expect(reason(byOperator)).toBe('operator: killing 3 tasks');
  });
});

describe('markDown', () => {
  test('the machine is DOWN with what was killed, and nothing remains', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    const killed = [{ taskId: 'task-0', frameworkId: 'fw-a' }];
    m.markDown(killed, START + MINUTE);
    const view = m.view(START + MINUTE);
    expect(m.mode).toBe('DOWN');
    expect(m.phase).toBe('down');
    expect(view.killed).toEqual(killed);
    expect(view.remaining).toEqual([]);
  });

  test('it comes up at unavailability start + duration', () => {
    const { m } = drainingWithThreeFrameworks();
    takeDown(m, START + MINUTE);
    expect(m.upAtMs).toBe(START + DURATION);
  });

  test('it comes up at start + duration even when drained early', () => {
    const m = start();
    m.observe(EMPTY, T0 + 1_000, offerIds());
    takeDown(m, T0 + 1_000);
    expect(m.upAtMs).toBe(START + DURATION);
  });

  test('a machine held by maxParallel gets its whole duration from when it really went down', () => {
    const m = start({ maxParallel: 1 });
    m.observe(EMPTY, T0 + 1_000, offerIds());
    m.mayGoDown(T0 + 1_000);
    m.command({ type: 'proceed' }, START + 2 * HOUR);
    takeDown(m, START + 2 * HOUR);
    expect(m.upAtMs).toBe(START + 2 * HOUR + DURATION);
  });

  test('a machine held by maxParallel that goes down before the start still counts from the start', () => {
    const m = start({ maxParallel: 1 });
    m.observe(EMPTY, T0 + 1_000, offerIds());
    m.mayGoDown(T0 + 1_000);
    m.command({ type: 'proceed' }, T0 + 2_000);
    takeDown(m, T0 + 2_000);
    expect(m.upAtMs).toBe(START + DURATION);
  });

  test('no auto-up when the policy says autoUp false', () => {
    const m = start({ autoUp: false });
    takeDown(m, START);
    expect(m.upAtMs).toBeUndefined();
  });

  test('no auto-up without a duration (unavailable until an operator says so)', () => {
    const m = start({}, { startMs: START });
    takeDown(m, START);
    expect(m.upAtMs).toBeUndefined();
  });

  test('no auto-up when the window was cancelled during the hard drain', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    m.command({ type: 'cancel' }, START + 1_000);
    m.markDown([], START + MINUTE);
    expect(m.upAtMs).toBeUndefined();
  });

  test('markUp ends the maintenance', () => {
    const m = start();
    takeDown(m, START);
    m.markUp(START + DURATION, 'unavailability ended');
    expect(m.mode).toBe('UP');
    expect(m.phase).toBe('done');
    expect(m.upAtMs).toBeUndefined();
  });
});

describe('command: extend', () => {
  test('moves the deadline and the unavailability start, keeping the duration', () => {
    const { m } = drainingWithThreeFrameworks();
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    const view = m.view(T0 + 2_000);
    expect(view.deadlineMs).toBe(START + HOUR);
    expect(view.unavailability).toEqual({ startMs: START + HOUR, durationMs: DURATION });
    expect(view.history).toContainEqual({
      atMs: T0 + 2_000,
      what: 'deadline extended',
      detail: `new deadline ${new Date(START + HOUR).toISOString()}`,
    });
  });

  test('an extended machine no longer escalates at the old deadline', () => {
    const { m } = drainingWithThreeFrameworks();
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    expect(m.nextDrainStep(START)).toBe('wait');
    expect(m.nextDrainStep(START + HOUR)).toBe('escalate');
  });

  test('the next look rescinds the outstanding offers and re-offers everyone with the new unavailability', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'DECLINE', offerIds: ['io-1'], atMs: T0 + 1_500 });
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    const sent = m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId);
    expect(rescinded(sent)).toEqual([
      { frameworkId: 'fw-b', offerId: 'io-2' },
      { frameworkId: 'fw-c', offerId: 'io-3' },
    ]);
    expect(offered(sent)).toEqual([
      { frameworkId: 'fw-a', offerId: 'io-4' },
      { frameworkId: 'fw-b', offerId: 'io-5' },
      { frameworkId: 'fw-c', offerId: 'io-6' },
    ]);
    for (const d of sent) {
      if (d.notice.kind === 'inverse-offers') {
        expect(d.notice.offers[0].unavailability).toEqual({ startMs: START + HOUR, durationMs: DURATION });
      }
    }
  });

  test('answers to the old unavailability are cleared on the re-offer', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'DECLINE', offerIds: ['io-1'], atMs: T0 + 1_500 });
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId);
    expect(m.view(T0 + 3_000).answers).toEqual([]);
  });

  test('the re-offer happens once: the look after it sends nothing', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId);
    expect(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 4_000, nextId)).toEqual([]);
  });

  test('an answer to an offer rescinded by the extension is stale and ignored, as in Mesos', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId);
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 4_000 });
    expect(m.view(T0 + 4_000).answers).toEqual([]);
  });

  test('a stale answer to the old offer does not replace the answer to the new one', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId); // io-1 rescinded, io-4 offered to fw-a
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-4'], atMs: T0 + 4_000 });
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'DECLINE', offerIds: ['io-1'], atMs: T0 + 5_000 });
    expect(m.view(T0 + 5_000).answers).toEqual([
      { frameworkId: 'fw-a', answer: 'ACCEPT', atMs: T0 + 4_000, offerId: 'io-4', late: false },
    ]);
  });

  test('extending a machine awaiting an operator puts it back to draining', () => {
    const { m } = drainingWithThreeFrameworks({ escalation: 'notify' });
    m.escalate(START);
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, START + MINUTE);
    expect(m.phase).toBe('draining');
    expect(m.nextDrainStep(START + MINUTE)).toBe('wait');
  });

  test('an extension for a DOWN machine is ignored, with a history entry', () => {
    const m = start();
    takeDown(m, START);
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, START + MINUTE);
    const view = m.view(START + MINUTE);
    expect(view.deadlineMs).toBe(START);
    expect(view.unavailability.startMs).toBe(START);
    expect(view.history).toContainEqual({ atMs: START + MINUTE, what: 'extension ignored', detail: 'machine is already DOWN (down)' });
  });
});

describe('command: up, down, cancel', () => {
  test('up while draining is ignored, with a history entry', () => {
    const { m } = drainingWithThreeFrameworks();
    m.command({ type: 'up' }, T0 + 2_000);
    expect(m.requests.up).toBe(false);
    expect(m.view(T0 + 2_000).history).toContainEqual({
      atMs: T0 + 2_000,
      what: 'up ignored',
      detail: 'machine is DRAINING, not DOWN',
    });
  });

  test('up is taken when the machine is DOWN', () => {
    const m = start();
    takeDown(m, START);
    m.command({ type: 'up' }, START + MINUTE);
    expect(m.requests.up).toBe(true);
  });

  test('up is taken while the hard drain runs', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    m.command({ type: 'up' }, START + 1_000);
    expect(m.requests.up).toBe(true);
  });

  test('up after the machine is back UP is ignored', () => {
    const m = start();
    takeDown(m, START);
    m.markUp(START + DURATION, 'unavailability ended');
    m.command({ type: 'up' }, START + DURATION + 1);
    expect(m.requests.up).toBe(false);
  });

  test('down on a DOWN machine is ignored', () => {
    const m = start();
    takeDown(m, START);
    m.command({ type: 'down' }, START + MINUTE);
    expect(m.requests.down).toBe(false);
    expect(m.view(START + MINUTE).history.at(-1)?.what).toBe('down ignored');
  });

  test('every command wakes the workflow loop', () => {
    const m = start();
    m.wake = false;
    m.command({ type: 'proceed' }, T0 + 1_000);
    expect(m.wake).toBe(true);
  });

  test('cancelling a draining machine returns it to UP and rescinds its offers', () => {
    const { m } = drainingWithThreeFrameworks();
    m.command({ type: 'cancel' }, T0 + 2_000);
    const sent = m.cancelDrain(T0 + 2_000);
    expect(rescinded(sent).map((r) => r.offerId)).toEqual(['io-1', 'io-2', 'io-3']);
    expect(m.mode).toBe('UP');
    expect(m.phase).toBe('done');
  });

  test('cancelling after the machine is DOWN keeps it DOWN until an operator brings it up', () => {
    const m = start();
    takeDown(m, START);
    expect(m.upAtMs).toBe(START + DURATION);
    m.command({ type: 'cancel' }, START + MINUTE);
    // machineWorkflow's waitWhileDown brings the machine up when upAtMs passes: it must be gone after a cancel.
    expect(m.upAtMs).toBeUndefined();
    expect(m.waitingOn(START + MINUTE)).toBe('an operator to bring it up');
  });
});

describe('snapshot / resume (continue-as-new)', () => {
  function roundTrip(m: MachineState): MachineState {
    return MachineState.resume(JSON.parse(JSON.stringify(m.snapshot())) as MachineSnapshot);
  }

  test('a resumed machine reports the same view', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000 });
    expect(roundTrip(m).view(T0 + 3_000)).toEqual(m.view(T0 + 3_000));
  });

  test('a resumed machine still accepts answers to offers sent before', () => {
    const { m } = drainingWithThreeFrameworks();
    const resumed = roundTrip(m);
    resumed.recordAnswers({ frameworkId: 'fw-b', answer: 'DECLINE', offerIds: ['io-2'], atMs: T0 + 2_000 });
    expect(resumed.view(T0 + 2_000).answers.map((a) => a.frameworkId)).toEqual(['fw-b']);
  });

  test('a resumed machine does not re-offer to frameworks with outstanding offers', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    expect(roundTrip(m).observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000, nextId)).toEqual([]);
  });

  test('a resumed machine keeps undelivered notices to send again', () => {
    const { m } = drainingWithThreeFrameworks();
    m.deliveryDone('io-1', 'delivered', T0 + 1_500);
    expect(roundTrip(m).deliveries.map((d) => d.idempotencyKey)).toEqual(['io-2', 'io-3']);
  });

  test('a resumed machine keeps pending requests', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    const sent = roundTrip(m).observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId);
    expect(rescinded(sent)).toHaveLength(3);
    expect(offered(sent)).toHaveLength(3);
  });

  test('a resumed machine held by maxParallel still counts its duration from when it goes down', () => {
    const m = start({ maxParallel: 1 });
    m.observe(EMPTY, T0 + 1_000, offerIds());
    m.mayGoDown(T0 + 1_000);
    const resumed = roundTrip(m);
    expect(resumed.phase).toBe('waiting-for-slot');
    resumed.command({ type: 'proceed' }, START + HOUR);
    expect(resumed.nextDrainStep(START + HOUR)).toBe('go-down');
    takeDown(resumed, START + HOUR);
    expect(resumed.upAtMs).toBe(START + HOUR + DURATION);
  });

  test('a resumed DOWN machine keeps its auto-up time', () => {
    const m = start();
    takeDown(m, START);
    expect(roundTrip(m).upAtMs).toBe(START + DURATION);
  });
});

describe('views', () => {
  test('view() reports mode, phase, deadline, unavailability, tasks, offers and answers', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000 });
    const view = m.view(T0 + 2_000);
    expect(view).toMatchObject({
      id: { hostname: 'sim-01', ip: '192.0.2.1' },
      windowId: 'w-1',
      mode: 'DRAINING',
      phase: 'draining',
      deadlineMs: START,
      unavailability: { startMs: START, durationMs: DURATION },
      outstandingOffers: [
        { offerId: 'io-2', frameworkId: 'fw-b' },
        { offerId: 'io-3', frameworkId: 'fw-c' },
      ],
      killed: [],
    });
    expect(view.remaining).toHaveLength(3);
    expect(view.answers.map((a) => [a.frameworkId, a.answer])).toEqual([['fw-a', 'ACCEPT']]);
    expect(view.upAtMs).toBeUndefined();
    expect(view.waitingOn).toBe(m.waitingOn(T0 + 2_000));
  });

  test('view() of a DOWN machine has its auto-up time', () => {
    const m = start();
    takeDown(m, START);
    expect(m.view(START).upAtMs).toBe(START + DURATION);
  });

  test('waitingOn while draining names the tasks, the deadline and the unanswered frameworks', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000 });
    expect(m.waitingOn(T0)).toBe(
      `3 tasks to leave; deadline ${new Date(START).toISOString()} (in 1h); answers from fw-b, fw-c`,
    );
  });

  test('waitingOn after the deadline says 0s left', () => {
    const m = start();
    expect(m.waitingOn(START + HOUR)).toBe(`deadline ${new Date(START).toISOString()} (in 0s)`);
  });

  test('waitingOn names what each later phase waits for', () => {
    const notify = drainingWithThreeFrameworks({ escalation: 'notify' }).m;
    notify.escalate(START);
    expect(notify.waitingOn(START)).toBe('an operator: deadline passed with 3 tasks left (escalation notify)');

    const paced = start({ maxParallel: 2 });
    paced.mayGoDown(T0);
    expect(paced.waitingOn(T0)).toBe('a slot: at most 2 machines of window w-1 down at once');

    const hard = drainingWithThreeFrameworks().m;
    hard.startHardDrain(START);
    expect(hard.waitingOn(START)).toBe('the hard drain to finish (3 tasks being killed)');

    const down = start();
    takeDown(down, START);
    expect(down.waitingOn(START)).toBe(`the end of its unavailability, ${new Date(START + DURATION).toISOString()}`);

    down.markUp(START + DURATION, 'unavailability ended');
    expect(down.waitingOn(START + DURATION)).toBe('nothing: maintenance is over');
  });

  test('details() has the machine, its mode, the deadline, tasks remaining and every framework', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'DECLINE', offerIds: ['io-1'], atMs: T0 + 2_000 });
    const text = m.details(T0 + 2_000);
    expect(text).toContain('**sim-01 (192.0.2.1)** is **DRAINING** (draining) in window w-1');
    expect(text).toContain(`Deadline: ${new Date(START).toISOString()} · tasks remaining: 3 · killed: 0`);
    expect(text).toContain(`Waiting on: ${m.waitingOn(T0 + 2_000)}`);
    expect(text).toContain(`| fw-a | DECLINE | ${new Date(T0 + 2_000).toISOString()} |`);
    expect(text).toContain('| fw-b | no answer yet | |');
    expect(text).toContain('| fw-c | no answer yet | |');
  });

  test('details() marks late answers', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: START + 1_000 });
    expect(m.details(START + 1_000)).toContain('| fw-a | ACCEPT (late) |');
  });
});

describe('deliveries', () => {
  test('a failed delivery is dropped from the queue and noted in the history', () => {
    const { m } = drainingWithThreeFrameworks();
    m.deliveryDone('io-2', { failed: 'webhook answered 500' }, T0 + 2_000);
    expect(m.deliveries.map((d) => d.idempotencyKey)).toEqual(['io-1', 'io-3']);
    expect(m.view(T0 + 2_000).history).toContainEqual({
      atMs: T0 + 2_000,
      what: 'inverse offer to fw-b not delivered',
      detail: 'webhook answered 500',
    });
  });

  test('a notice for a framework without a webhook is kept for pull, and noted', () => {
    const { m } = drainingWithThreeFrameworks();
    m.deliveryDone('io-1', 'no-webhook', T0 + 2_000);
    expect(m.view(T0 + 2_000).history.at(-1)).toEqual({
      atMs: T0 + 2_000,
      what: 'inverse offer for fw-a kept for pull',
      detail: 'no webhook',
    });
  });

  test('an unknown delivery key changes nothing', () => {
    const { m } = drainingWithThreeFrameworks();
    const before = m.view(T0 + 2_000);
    m.deliveryDone('io-99', 'delivered', T0 + 2_000);
    expect(m.view(T0 + 2_000)).toEqual(before);
    expect(m.deliveries).toHaveLength(3);
  });
});

describe('refuse filters (Mesos refuse_seconds)', () => {
  const answer = (m: MachineState, frameworkId: string, offerId: string, atMs: number, refuseMs?: number) =>
    m.recordAnswers({ frameworkId, answer: 'DECLINE', offerIds: [offerId], atMs, ...(refuseMs === undefined ? {} : { refuseMs }) });

  test('no new offer while the filter holds; a fresh one at the first look after it ends', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000, MINUTE);
    expect(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000 + MINUTE - 1, nextId)).toEqual([]);
    const sent = m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000 + MINUTE, nextId);
    expect(offered(sent)).toEqual([{ frameworkId: 'fw-a', offerId: 'io-4' }]);
    expect(m.view(T0 + 2_000 + MINUTE).outstandingOffers.map((o) => o.offerId)).toEqual(['io-2', 'io-3', 'io-4']);
    expect(m.view(T0 + 2_000 + MINUTE).history.at(-1)).toEqual({
      atMs: T0 + 2_000 + MINUTE,
      what: 'inverse offer to fw-a',
      detail: 'io-4 (again: its refuse filter ended)',
    });
  });

  test('the fresh offer is made once: the next look sends nothing while it is open', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000, MINUTE);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2 * MINUTE, nextId);
    expect(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3 * MINUTE, nextId)).toEqual([]);
  });

  test('refuse 0 is no filter: the next look offers again', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000, 0);
    expect(offered(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000, nextId))).toEqual([{ frameworkId: 'fw-a', offerId: 'io-4' }]);
  });

  test('an answer without refuseMs (recorded before filters) means never again, as before', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000);
    expect(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), START - 1, nextId)).toEqual([]);
    expect(m.nextOfferAtMs(T0 + 3_000)).toBeUndefined();
  });

  test('no fresh offer to a framework that no longer holds tasks here', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000, 1_000);
    expect(m.observe(tasks('fw-b', 'fw-c'), T0 + MINUTE, nextId)).toEqual([]);
  });

  test('no fresh offer once the machine is past draining (awaiting an operator)', () => {
    const { m, nextId } = drainingWithThreeFrameworks({ escalation: 'notify' });
    answer(m, 'fw-a', 'io-1', T0 + 2_000, 1_000);
    m.escalate(START);
    expect(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), START + MINUTE, nextId)).toEqual([]);
  });

  test('the latest answer stays what the status reports until a new answer replaces it', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000, 1_000);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + MINUTE, nextId); // io-4 to fw-a
    expect(m.answers).toEqual([{ frameworkId: 'fw-a', answer: 'DECLINE', atMs: T0 + 2_000 }]);
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-4'], atMs: T0 + 2 * MINUTE, refuseMs: 1_000 });
    expect(m.answers).toEqual([{ frameworkId: 'fw-a', answer: 'ACCEPT', atMs: T0 + 2 * MINUTE }]);
  });

  test('nextOfferAtMs is the earliest filter end ahead among frameworks holding tasks without an open offer', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000, 10 * MINUTE);
    answer(m, 'fw-b', 'io-2', T0 + 2_000, 5 * MINUTE);
    expect(m.nextOfferAtMs(T0 + 3_000)).toBe(T0 + 2_000 + 5 * MINUTE);
    m.observe(tasks('fw-a', 'fw-c'), T0 + 4_000, nextId); // fw-b left: its filter no longer matters
    expect(m.nextOfferAtMs(T0 + 4_000)).toBe(T0 + 2_000 + 10 * MINUTE);
    expect(m.nextOfferAtMs(T0 + 2_000 + 10 * MINUTE)).toBeUndefined(); // ended: the look itself offers
  });

  test('a reoffer (extension) clears filters and plans with the answers', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000, refuseMs: HOUR, plan: 'WAIT' });
    expect(m.planOf('fw-a')).toBe('WAIT');
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 3_000);
    const sent = m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 4_000, nextId);
    expect(offered(sent).map((o) => o.frameworkId)).toEqual(['fw-a', 'fw-b', 'fw-c']);
    expect(m.planOf('fw-a')).toBe('MOVE');
    expect(m.nextOfferAtMs(T0 + 4_000)).toBeUndefined();
  });

  test('a late answer sets no filter and no plan', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: START + 1, refuseMs: HOUR, plan: 'WAIT' });
    expect(m.planOf('fw-a')).toBe('MOVE');
    expect(m.snapshot().refuse).toBeUndefined();
  });

  test('a snapshot from before filters (answers, no filter fields) resumes with the old rule', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    answer(m, 'fw-a', 'io-1', T0 + 2_000);
    const old = JSON.parse(JSON.stringify(m.snapshot())) as MachineSnapshot;
    delete old.refuse;
    delete old.plans;
    delete old.volumes;
    delete old.looked;
    const resumed = MachineState.resume(old);
    expect(resumed.observe(tasks('fw-a', 'fw-b', 'fw-c'), START - 1, nextId)).toEqual([]);
    expect(resumed.planOf('fw-a')).toBe('MOVE');
  });
});

describe('plans and what frameworks are told after the hard drain', () => {
  /** fw-a (t1, volume v1) planned WAIT; fw-b (t2, t3 with v3) gave no plan; the drain also killed t9 (fw-c), unseen. */
  function drainedHard() {
    const m = start();
    const nextId = offerIds();
    m.observe(
      { known: true, agentId: AGENT, tasks: [task('t1', 'fw-a', ['v1']), task('t2', 'fw-b'), task('t3', 'fw-b', ['v3'])] },
      T0 + 1_000,
      nextId,
    );
    m.recordAnswers({ frameworkId: 'fw-a', answer: 'ACCEPT', offerIds: ['io-1'], atMs: T0 + 2_000, refuseMs: HOUR, plan: 'WAIT' });
    m.recordAnswers({ frameworkId: 'fw-b', answer: 'DECLINE', offerIds: ['io-2'], atMs: T0 + 2_000, refuseMs: HOUR });
    m.startHardDrain(START);
    m.markDown(
      [
        { taskId: 't1', frameworkId: 'fw-a' },
        { taskId: 't2', frameworkId: 'fw-b' },
        { taskId: 't3', frameworkId: 'fw-b' },
        { taskId: 't9', frameworkId: 'fw-c' },
      ],
      START + MINUTE,
    );
    return m;
  }

  test('the latest plan per framework, MOVE by default', () => {
    const m = drainedHard();
    expect(m.planOf('fw-a')).toBe('WAIT');
    expect(m.planOf('fw-b')).toBe('MOVE');
    expect(m.planOf('fw-c')).toBe('MOVE');
  });

  test('one tasks-killed notice per framework, with the volumes last seen; gone unless it planned WAIT', () => {
    const m = drainedHard();
    const sent = m.killedNotices();
    const machine = { hostname: 'sim-01', ip: '192.0.2.1' };
    expect(sent).toEqual([
      {
        idempotencyKey: 'w-1/h=sim-01;i=192.0.2.1/tasks-killed/fw-a',
        frameworkId: 'fw-a',
        notice: { kind: 'tasks-killed', machine, agentId: AGENT, tasks: [{ taskId: 't1', volumes: ['v1'] }], gone: false, cause: 'hard-drain' },
      },
      {
        idempotencyKey: 'w-1/h=sim-01;i=192.0.2.1/tasks-killed/fw-b',
        frameworkId: 'fw-b',
        notice: {
          kind: 'tasks-killed',
          machine,
          agentId: AGENT,
          tasks: [
            { taskId: 't2', volumes: [] },
            { taskId: 't3', volumes: ['v3'] },
          ],
          gone: true,
          cause: 'hard-drain',
        },
      },
      {
        idempotencyKey: 'w-1/h=sim-01;i=192.0.2.1/tasks-killed/fw-c',
        frameworkId: 'fw-c',
        notice: { kind: 'tasks-killed', machine, agentId: AGENT, tasks: [{ taskId: 't9', volumes: [] }], gone: true, cause: 'hard-drain' },
      },
    ]);
    // Queued behind the offers not yet delivered.
    expect(m.deliveries.slice(-3).map((d) => d.idempotencyKey)).toEqual(sent.map((d) => d.idempotencyKey));
  });

  test('back UP, a machine-up notice to each framework that had tasks killed; WAIT ones keep their volumes', () => {
    const m = drainedHard();
    m.markUp(START + DURATION, 'unavailability ended');
    const sent = m.upNotices();
    expect(sent.map((d) => [d.frameworkId, d.notice])).toEqual([
      ['fw-a', { kind: 'machine-up', machine: { hostname: 'sim-01', ip: '192.0.2.1' }, agentId: AGENT, volumesIntact: ['v1'] }],
      ['fw-b', { kind: 'machine-up', machine: { hostname: 'sim-01', ip: '192.0.2.1' }, agentId: AGENT, volumesIntact: [] }],
      ['fw-c', { kind: 'machine-up', machine: { hostname: 'sim-01', ip: '192.0.2.1' }, agentId: AGENT, volumesIntact: [] }],
    ]);
    expect(new Set(sent.map((d) => d.idempotencyKey)).size).toBe(3);
  });

  test('a machine drained without kills tells nobody', () => {
    const m = start();
    m.observe(EMPTY, T0 + 1_000, offerIds());
    takeDown(m, T0 + 1_000);
    expect(m.killedNotices()).toEqual([]);
    m.markUp(START + DURATION, 'unavailability ended');
    expect(m.upNotices()).toEqual([]);
  });

  test('an answer with plan WAIT says so in the history and the details', () => {
    const m = drainedHard();
    expect(m.view(START).history).toContainEqual({ atMs: T0 + 2_000, what: 'fw-a answered ACCEPT', detail: 'plan WAIT' });
    expect(m.details(START)).toContain('| fw-a | ACCEPT, plan WAIT |');
    expect(m.details(START)).toContain('| fw-b | DECLINE |');
  });
});

describe('a framework without a mailbox (not subscribed)', () => {
  test('its inverse offer is forgotten, and a later look offers again', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.notSubscribed('io-1', T0 + 1_500);
    expect(m.view(T0 + 1_500).outstandingOffers.map((o) => o.offerId)).toEqual(['io-2', 'io-3']);
    expect(m.deliveries.map((d) => d.idempotencyKey)).toEqual(['io-2', 'io-3']);
    expect(offered(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000, nextId))).toEqual([{ frameworkId: 'fw-a', offerId: 'io-4' }]);
  });

  test('it is logged once, not at every look, until a notice reaches the framework again', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    const logged = () => m.view(T0).history.filter((e) => e.what === 'inverse offer to fw-a not delivered');
    m.notSubscribed('io-1', T0 + 1_500);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 2_000, nextId);
    m.notSubscribed('io-4', T0 + 2_500);
    expect(logged()).toEqual([{ atMs: T0 + 1_500, what: 'inverse offer to fw-a not delivered', detail: 'fw-a is not subscribed: offered again once it is' }]);
    m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId);
    m.deliveryDone('io-5', 'delivered', T0 + 3_500); // it subscribed
    m.startHardDrain(START);
    m.notSubscribed('io-5/rescind', START + 1); // and left again
    expect(m.view(START).history.filter((e) => e.what.endsWith('to fw-a not delivered'))).toHaveLength(2);
  });

  test('a rescind for it is dropped, and not counted as rescinded twice', () => {
    const { m } = drainingWithThreeFrameworks();
    m.startHardDrain(START);
    m.notSubscribed('io-2/rescind', START + 1);
    expect(m.deliveries.map((d) => d.idempotencyKey)).toEqual(['io-1', 'io-2', 'io-3', 'io-1/rescind', 'io-3/rescind']);
    expect(m.view(START).history.at(-1)).toEqual({ atMs: START + 1, what: 'rescind to fw-b not delivered', detail: 'fw-b is not subscribed' });
  });
});

describe('unavailability reports to the registry', () => {
  const machine = { hostname: 'sim-01', ip: '192.0.2.1' };

  /** The report due now, taken by the registry (as the workflow does when its signal succeeds). */
  function told(m: MachineState) {
    const report = m.unavailabilityReport();
    if (report) m.reportedToRegistry(report);
    return report;
  }

  test('nothing before the first look; then the machine, its agent, mode and unavailability, once', () => {
    const m = start();
    expect(m.unavailabilityReport()).toBeUndefined();
    m.observe(tasks('fw-a'), T0 + 1_000, offerIds());
    expect(told(m)).toEqual({
      key: 'h=sim-01;i=192.0.2.1',
      machine,
      agentId: AGENT,
      mode: 'DRAINING',
      unavailability: { startMs: START, durationMs: DURATION },
    });
    m.observe(tasks('fw-a'), T0 + 2_000, offerIds());
    expect(m.unavailabilityReport()).toBeUndefined();
  });

  test('a report the registry did not take (no registry yet) is due again', () => {
    const m = start();
    m.observe(tasks('fw-a'), T0 + 1_000, offerIds());
    const first = m.unavailabilityReport();
    m.observe(tasks('fw-a'), T0 + 2_000, offerIds());
    expect(m.unavailabilityReport()).toEqual(first);
  });

  test('again when the unavailability moves, the mode changes, and without unavailability once UP', () => {
    const m = start();
    m.observe(tasks('fw-a'), T0 + 1_000, offerIds());
    told(m);
    m.command({ type: 'extend', deadlineMs: START + HOUR, startMs: START + HOUR }, T0 + 2_000);
    expect(told(m)?.unavailability).toEqual({ startMs: START + HOUR, durationMs: DURATION });
    m.startHardDrain(START + HOUR);
    expect(told(m)).toBeUndefined(); // still DRAINING, same unavailability
    m.markDown([], START + HOUR);
    expect(told(m)).toMatchObject({ mode: 'DOWN', unavailability: { startMs: START + HOUR } });
    m.markUp(START + HOUR + DURATION, 'unavailability ended');
    expect(told(m)).toEqual({ key: 'h=sim-01;i=192.0.2.1', machine, agentId: AGENT, mode: 'UP' });
    expect(told(m)).toBeUndefined();
  });

  test('a machine the cluster does not know is reported without an agent', () => {
    const m = start();
    m.observe({ known: false, tasks: [] }, T0 + 1_000, offerIds());
    expect(m.unavailabilityReport()).toEqual({
      key: 'h=sim-01;i=192.0.2.1',
      machine,
      mode: 'DRAINING',
      unavailability: { startMs: START, durationMs: DURATION },
    });
  });

  test('what was reported survives continue-as-new: no repeat after resume', () => {
    const m = start();
    m.observe(tasks('fw-a'), T0 + 1_000, offerIds());
    told(m);
    const resumed = MachineState.resume(JSON.parse(JSON.stringify(m.snapshot())) as MachineSnapshot);
    expect(resumed.unavailabilityReport()).toBeUndefined();
  });
});

test('at the deadline, a recent, the routine or a late look before it serves the escalation; one from before an outage does not', () => {
  const m = start();
  const interval = MINUTE;
  expect(m.lookAtDeadline(START + 1, START - 1_000, interval)).toBe('recent');
  // The deadline's timer fired 90 ms late after a look 950 ms before the deadline (interval 1 s in the benchmarks).
  expect(m.lookAtDeadline(START + 90, START - 950, 1_000)).toBe('routine');
  // The look timer was due 20 ms before the deadline and fired 50 ms after it.
  expect(m.lookAtDeadline(START + 50, START - 1_020, 1_000)).toBe('routine');
  expect(m.lookAtDeadline(START + 1, START - 2 * interval, interval)).toBe('routine');
  // Under load every step is late: the last look before the deadline serves while it is at most five intervals old.
  expect(m.lookAtDeadline(START + 1, START - 2 * interval - 1, interval)).toBe('late');
  expect(m.lookAtDeadline(START + interval + 1, START - 1, interval)).toBe('late');
  // bench:fleet, 200 machines: looked 1,156 ms before the deadline, the acknowledgements' task ran 1,502 ms after it.
  expect(m.lookAtDeadline(START + 1_502, START - 1_156, 1_000)).toBe('late');
  expect(m.lookAtDeadline(START + 1, START - 5 * interval - 1, interval)).toBe('look'); // from before an outage
  expect(m.lookAtDeadline(START + 4 * interval, START - interval - 1, interval)).toBe('look');
  expect(m.lookAtDeadline(START - 1, START - 2, interval)).toBe('look'); // before the deadline
  expect(m.lookAtDeadline(START + 10, START + 5, interval)).toBe('look'); // a look after it: nothing to skip
});

describe('disruption budgets', () => {
  /** Three frameworks' tasks left at the deadline: the machine asks the budgets (the workflow's order of calls). */
  function waitingForBudget(policy: Partial<Policy> = {}) {
    const { m, nextId } = drainingWithThreeFrameworks(policy);
    m.observe(tasks('fw-a', 'fw-b', 'fw-a'), START, nextId);
    expect(m.nextDrainStep(START)).toBe('escalate');
    expect(m.escalate(START)).toBe('go-down');
    if (policy.maxParallel !== undefined) {
      // Its slot first (the window's proceed), then the budgets.
      expect(m.mayGoDown(START)).toBe(false);
      m.command({ type: 'proceed' }, START);
      expect(m.nextDrainStep(START)).toBe('go-down');
    }
    expect(m.mayGoDown(START)).toBe(true);
    expect(m.needsBudget()).toBe(true);
    const asked = m.askBudget(START);
    return { m, nextId, asked };
  }

  test('a machine about to be drained hard with tasks asks, with its tasks per framework, and waits', () => {
    const { m, asked } = waitingForBudget();
    expect(asked).toEqual({ 'fw-a': 2, 'fw-b': 1 });
    expect(m.phase).toBe('waiting-for-budget');
    expect(m.mode).toBe('DRAINING');
    expect(m.beforeDown).toBe(true);
    expect(m.nextDrainStep(START + HOUR)).toBe('wait');
    expect(m.waitingOn(START)).toBe("the frameworks' disruption budgets: asked (3 tasks to kill)");
    expect(m.view(START).history.at(-1)).toEqual({ atMs: START, what: 'waiting for disruption budgets', detail: 'the hard drain would kill 2 of fw-a, 1 of fw-b' });
  });

  test('an empty machine, or an operator down, needs no budget', () => {
    const empty = start();
    empty.observe(EMPTY, T0 + 1_000, offerIds());
    expect(empty.needsBudget()).toBe(false);
    const { m } = drainingWithThreeFrameworks();
    m.command({ type: 'down' }, T0 + 2_000);
    expect(m.needsBudget()).toBe(false);
  });

  test('the look knew which frameworks here have budgets: with none of them left, the registry is not asked', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.observe({ ...tasks('fw-a', 'fw-b'), budgeted: [] }, START, nextId);
    expect(m.escalate(START)).toBe('go-down');
    expect(m.needsBudget()).toBe(false);
    m.startHardDrain(START);
    expect(m.view(START).history.slice(-2).map((e) => [e.what, e.detail])).toEqual([
      ['disruption budgets not asked', 'no framework with tasks here has one (fw-a, fw-b)'],
      ['hard drain', 'deadline: killing 2 tasks'],
    ]);
    expect(m.takeRelease()).toBe(false); // nothing was asked, nothing to release
  });

  test('a task of a framework with a budget, or a look that could not tell, still asks the registry', () => {
    const withBudget = drainingWithThreeFrameworks();
    withBudget.m.observe({ ...tasks('fw-a', 'fw-b'), budgeted: ['fw-b'] }, START, withBudget.nextId);
    expect(withBudget.m.needsBudget()).toBe(true);
    const unknown = drainingWithThreeFrameworks();
    unknown.m.observe({ ...tasks('fw-a', 'fw-b'), budgeted: [] }, START - MINUTE, unknown.nextId);
    unknown.m.observe(tasks('fw-a', 'fw-b'), START, unknown.nextId); // the directory did not answer this time
    expect(unknown.m.needsBudget()).toBe(true);
    expect(unknown.m.snapshot().budgeted).toBeUndefined();
  });

  test('granted: it goes down, and needs the budget no more', () => {
    const { m } = waitingForBudget();
    m.command({ type: 'disruption-granted' }, START + MINUTE);
    expect(m.nextDrainStep(START + MINUTE)).toBe('go-down');
    expect(m.mayGoDown(START + MINUTE)).toBe(true);
    expect(m.needsBudget()).toBe(false);
    m.startHardDrain(START + MINUTE);
    expect(m.takeRelease()).toBe(false); // it holds its share until it is UP again
    m.markDown([], START + 2 * MINUTE);
    expect(m.takeRelease()).toBe(false);
    m.markUp(START + DURATION, 'unavailability ended');
    expect(m.takeRelease()).toBe(true);
    expect(m.takeRelease()).toBe(false); // once
  });

  test('held: the reason is logged and shown, once per reason', () => {
    const { m } = waitingForBudget();
    const why = 'disruption budget of fw-a: 2 of 2 machines hosting it down (sim-02, sim-03)';
    m.command({ type: 'disruption-held', why }, START + 1);
    m.command({ type: 'disruption-held', why }, START + 2);
    m.command({ type: 'disruption-held', why: 'disruption budget of fw-a: waiting behind sim-04' }, START + 3);
    expect(m.view(START).history.filter((e) => e.what === 'held by disruption budgets').map((e) => e.atMs)).toEqual([START + 1, START + 3]);
    expect(m.waitingOn(START + 3)).toBe("the frameworks' disruption budgets: disruption budget of fw-a: waiting behind sim-04 (3 tasks to kill)");
    expect(m.nextDrainStep(START + 3)).toBe('wait');
  });

  test('a grant while not waiting (stale) is ignored', () => {
    const { m } = drainingWithThreeFrameworks();
    m.command({ type: 'disruption-granted' }, T0 + 2_000);
    expect(m.needsBudget()).toBe(true);
    expect(m.phase).toBe('draining');
  });

  test('a cancel while waiting returns it to UP and releases the request', () => {
    const { m } = waitingForBudget();
    m.command({ type: 'cancel' }, START + MINUTE);
    expect(m.nextDrainStep(START + MINUTE)).toBe('cancel');
    m.cancelDrain(START + MINUTE);
    expect(m.mode).toBe('UP');
    expect(m.takeRelease()).toBe(true);
  });

  test("an operator's down while waiting skips the budgets and gives the request up", () => {
    const { m } = waitingForBudget();
    m.command({ type: 'down' }, START + MINUTE);
    expect(m.nextDrainStep(START + MINUTE)).toBe('go-down');
    expect(m.mayGoDown(START + MINUTE)).toBe(true);
    expect(m.needsBudget()).toBe(false);
    m.startHardDrain(START + MINUTE);
    expect(m.takeRelease()).toBe(true);
    m.markDown([], START + 2 * MINUTE);
    m.markUp(START + DURATION, 'unavailability ended');
    expect(m.takeRelease()).toBe(false); // given up already: nothing to release twice
  });

  test('tasks that leave while it waits: it goes down without the budgets, releasing the request', () => {
    const { m, nextId } = waitingForBudget();
    m.observe(EMPTY, START + MINUTE, nextId);
    expect(m.nextDrainStep(START + MINUTE)).toBe('go-down');
    expect(m.needsBudget()).toBe(false);
    m.startHardDrain(START + MINUTE);
    expect(m.takeRelease()).toBe(true);
  });

  test('an extension to a deadline ahead puts it back to draining, frees its slot and releases the request', () => {
    const { m } = waitingForBudget({ maxParallel: 1 });
    m.command({ type: 'extend', deadlineMs: START + 2 * HOUR, startMs: START + 2 * HOUR }, START + MINUTE);
    expect(m.phase).toBe('draining');
    expect(m.takeRelease()).toBe(true);
    expect(m.needsBudget()).toBe(true);
    // Ready again later, it waits for a slot again.
    expect(m.mayGoDown(START + 2 * HOUR)).toBe(false);
    expect(m.phase).toBe('waiting-for-slot');
  });

  test('a Mesos reschedule to the same (past) time keeps it waiting, in its place', () => {
    const { m } = waitingForBudget();
    m.command({ type: 'reschedule', unavailability: { startMs: START, durationMs: DURATION } }, START + MINUTE);
    expect(m.phase).toBe('waiting-for-budget');
    expect(m.takeRelease()).toBe(false);
  });

  test('no registry (nobody subscribed): it goes on as granted, with nothing to release', () => {
    const { m } = waitingForBudget();
    m.budgetsUnreachable(START);
    expect(m.needsBudget()).toBe(false);
    m.startHardDrain(START);
    m.markDown([], START + 1);
    m.markUp(START + DURATION, 'unavailability ended');
    expect(m.takeRelease()).toBe(false);
    expect(m.view(START).history).toContainEqual({
      atMs: START,
      what: 'disruption budgets not checked',
      detail: 'no framework registry: no framework has subscribed',
    });
  });

  test('a resumed machine keeps waiting, and takes the grant', () => {
    const { m } = waitingForBudget();
    const resumed = MachineState.resume(JSON.parse(JSON.stringify(m.snapshot())) as MachineSnapshot);
    expect(resumed.phase).toBe('waiting-for-budget');
    resumed.command({ type: 'disruption-granted' }, START + MINUTE);
    expect(resumed.nextDrainStep(START + MINUTE)).toBe('go-down');
  });
});

describe('disruption budgets and the downtime', () => {
  test('a machine held by the budgets gets its whole duration from when it really went down', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.observe(tasks('fw-a'), START, nextId);
    m.escalate(START);
    m.askBudget(START);
    m.command({ type: 'disruption-granted' }, START + 2 * HOUR);
    m.startHardDrain(START + 2 * HOUR);
    m.markDown([], START + 2 * HOUR + MINUTE);
    expect(m.upAtMs).toBe(START + 2 * HOUR + MINUTE + DURATION);
  });
});

describe('moving to the mailboxes (a run from before the scheduler API)', () => {
  test('the open inverse offers are posted to the mailboxes once, the answered ones not', () => {
    const { m } = drainingWithThreeFrameworks();
    m.recordAnswers({ frameworkId: 'fw-b', answer: 'ACCEPT', offerIds: ['io-2'], atMs: T0 + 2_000 });
    const sent = m.toMailboxes();
    expect(sent.map((d) => d.idempotencyKey)).toEqual(['io-1/mailbox', 'io-3/mailbox']);
    expect(sent[0]).toEqual({
      idempotencyKey: 'io-1/mailbox',
      frameworkId: 'fw-a',
      notice: {
        kind: 'inverse-offers',
        offers: [{ offerId: 'io-1', agentId: AGENT, unavailability: { startMs: START, durationMs: DURATION }, machine: { hostname: 'sim-01', ip: '192.0.2.1' } }],
      },
    });
    expect(m.toMailboxes()).toEqual([]);
    expect(MachineState.resume(JSON.parse(JSON.stringify(m.snapshot())) as MachineSnapshot).toMailboxes()).toEqual([]);
  });

  test('an offer whose framework has no mailbox is forgotten, so that it is offered again', () => {
    const { m, nextId } = drainingWithThreeFrameworks();
    m.toMailboxes();
    m.notSubscribed('io-1/mailbox', T0 + 2_000);
    expect(offered(m.observe(tasks('fw-a', 'fw-b', 'fw-c'), T0 + 3_000, nextId))).toEqual([{ frameworkId: 'fw-a', offerId: 'io-4' }]);
  });
});
