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

  test("an inverse offer names the agent and carries the machine's unavailability, keyed by its offer id", () => {
    const m = start();
    const [delivery] = m.observe(tasks('fw-a'), T0 + 1_000, offerIds());
    expect(delivery).toEqual({
      idempotencyKey: 'io-1',
      frameworkId: 'fw-a',
      notice: {
        kind: 'inverse-offers',
        offers: [{ offerId: 'io-1', agentId: AGENT, unavailability: { startMs: START, durationMs: DURATION } }],
      },
    });
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
