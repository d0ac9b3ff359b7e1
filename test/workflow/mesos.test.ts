// Mesos' maintenance primitives on the time-skipping server: a schedule posted the Mesos way changes no mode on its
// own however much time passes; down, up, a new schedule and one that leaves a machine out do what Mesos does.
import { ErrorCode, MaintError } from '../../src/domain/errors';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { fromNanos } from '../../src/domain/unavailability';
import { machineKey } from '../../src/domain/machine';
import { simMachine as sim } from '../support/harness';
import { timeSkippingSuite } from '../support/time-skipping';
import type { Harness } from '../support/harness';

const HOUR = 3_600_000;
const suite = timeSkippingSuite();

const inHours = async (h: Harness, hours: number) =>
  fromNanos({ start: BigInt((await h.env.currentTimeMs()) + hours * HOUR) * 1_000_000n + 7n, duration: BigInt(HOUR) * 1_000_000n });

/** The machine's maintenance; an empty view until its window has started its workflow. */
async function machineOf(h: Harness, n: number) {
  return (await h.windows.machine(sim(n))) ?? { answers: [], mode: undefined, phase: undefined, unavailability: { startMs: NaN } };
}

/** The machines in maintenance and their modes, as Mesos' status lists them. */
async function modes(h: Harness) {
  const view = await h.maintenance.view();
  const down = new Set(view.down);
  return view.windows.flatMap((w) => w.machines.map((id) => ({ id, mode: down.has(machineKey(id)) ? 'DOWN' : 'DRAINING' })));
}

/** Lets time pass (the server skips it) until the condition holds. */
async function until(h: Harness, what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await h.env.sleep(60_000);
  }
  throw new Error(`never: ${what}`);
}

test('a Mesos window changes no mode on its own; down and up are the operator’s, and up leaves the schedule', async () => {
  const h = suite.harness({ checkIntervalMs: 30 * 60_000 });
  await h.run(async () => {
    const unavailability = await inHours(h, 1);
    await h.maintenance.update([{ machines: [sim(6)], unavailability }], 'operator', false);
    expect(await modes(h)).toEqual([{ id: sim(6), mode: 'DRAINING' }]);

    // Ten hours later, well past start and end: still DRAINING, nothing killed, the answers recorded.
    await until(h, 'answers', async () => (await h.windows.machine(sim(6)))?.answers.length === 2);
    await h.env.sleep(10 * HOUR);
    const machine = await machineOf(h, 6);
    expect(machine).toMatchObject({ mode: 'DRAINING', phase: 'draining' });
    expect(machine.answers.map((a) => `${a.frameworkId}:${a.answer}`).sort()).toEqual(['decliner:DECLINE', 'mover:ACCEPT']);
    expect(h.fleet.stats().kills).toEqual({});
    // The exact nanoseconds travel to the frameworks.
    const offer = h.eventsOf('decliner', 'INVERSE_OFFERS')[0].event as any;
    expect(offer.inverse_offers.inverse_offers[0].unavailability.start.nanoseconds).toBe(
      BigInt(unavailability.exact!.startNs),
    );

    // Up refuses a DRAINING machine; down takes it DOWN at once in the schedule, then for real.
    await expect(h.maintenance.up([sim(6)], false)).rejects.toMatchObject({ code: ErrorCode.INVALID });
    await h.maintenance.down([sim(6)], false);
    expect(await modes(h)).toEqual([{ id: sim(6), mode: 'DOWN' }]);
    await until(h, 'sim-06 DOWN', async () => (await machineOf(h, 6)).phase === 'down');
    expect(Object.values(h.fleet.stats().kills)).toEqual([1, 1]); // decliner's and silent's tasks, once each
    await h.env.sleep(10 * HOUR);
    expect((await machineOf(h, 6)).mode).toBe('DOWN'); // no autoUp

    await h.maintenance.up([sim(6)], false);
    expect((await h.maintenance.view()).windows).toEqual([]);
    expect((await h.windowResult('w-1')).state).toBe('COMPLETED');
    expect((await machineOf(h, 6)).mode).toBe('UP');
  });
});

test('a new schedule re-offers with the new unavailability and wipes answers; a machine left out goes back UP', async () => {
  const h = suite.harness();
  await h.run(async () => {
    // sim-06 hosts mover (moves away and accepts), decliner (declines) and silent (never answers) tasks.
    await h.maintenance.update([{ machines: [sim(6)], unavailability: await inHours(h, 1) }], 'operator', false);
    await until(h, 'first answers', async () => (await machineOf(h, 6)).answers.length === 2);

    const moved = await inHours(h, 3);
    await h.maintenance.update([{ machines: [sim(6)], unavailability: moved }], 'operator', false);
    await until(h, 'answers to the new offers', async () => {
      const m = await machineOf(h, 6);
      return m.unavailability.startMs === moved.startMs && m.answers.length === 1 && h.eventsOf('silent', 'INVERSE_OFFERS').length === 2;
    });
    // Answers to the old unavailability are wiped: mover (its task gone) is not asked again and its ACCEPT is
    // gone; decliner answered the new offer; silent's unanswered offer was rescinded and made again.
    expect((await machineOf(h, 6)).answers).toEqual([expect.objectContaining({ frameworkId: 'decliner', answer: 'DECLINE' })]);
    expect(h.eventsOf('silent', 'RESCIND_INVERSE_OFFER')).toHaveLength(1);
    expect(h.eventsOf('mover', 'INVERSE_OFFERS')).toHaveLength(1);
    for (const framework of ['decliner', 'silent']) {
      const second = h.eventsOf(framework, 'INVERSE_OFFERS')[1].event as any;
      expect(second.inverse_offers.inverse_offers[0].unavailability.start.nanoseconds).toBe(BigInt(moved.exact!.startNs));
    }
    // Still one window: the machine kept its window and mode.
    expect(await modes(h)).toEqual([{ id: sim(6), mode: 'DRAINING' }]);
    expect((await h.windows.machine(sim(6)))?.windowId).toBe('w-1');

    await h.maintenance.update([], 'operator', false);
    expect(await modes(h)).toEqual([]);
    expect((await h.windowResult('w-1')).state).toBe('COMPLETED');
    expect((await machineOf(h, 6)).mode).toBe('UP');
    expect(h.fleet.stats().kills).toEqual({});
  });
});

test('the schedule refuses what Mesos refuses and keeps its state across continue-as-new', async () => {
  const h = suite.harness({ scheduleMaxHistoryEvents: 10 });
  await h.run(async () => {
    const u = await inHours(h, 1);
    await h.maintenance.update([{ machines: [sim(1), sim(3)], unavailability: u }], 'operator', false);
    await h.maintenance.down([sim(3)], false);
    // A DOWN machine cannot leave the schedule; nothing changes.
    await expect(h.maintenance.update([{ machines: [sim(1)], unavailability: u }], 'operator', false)).rejects.toEqual(
      new MaintError(ErrorCode.INVALID, `Machine '{"hostname":"sim-03","ip":"192.0.2.3"}' is deactivated and cannot be removed from the schedule`),
    );
    // Denied after the 400 checks: 403, nothing changes.
    await expect(h.maintenance.down([sim(1)], true)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await expect(h.maintenance.down([{ hostname: 'nowhere' }], true)).rejects.toEqual(
      new MaintError(ErrorCode.INVALID, `Machine '{"hostname":"nowhere"}' is not part of a maintenance schedule`),
    );
    // A native window cannot take a machine the Mesos schedule holds.
    await expect(h.open([sim(1)])).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
    for (let i = 0; i < 5; i++) await h.maintenance.update([{ machines: [sim(1), sim(3)], unavailability: u }], 'operator', false);
    const handle = h.env.client.workflow.getHandle(h.ids.schedule);
    // Let the last continue-as-new settle: the test server holds a query sent mid-way for a minute and more.
    await h.env.sleep(1_000);
    const first = (await handle.fetchHistory()).events![0].workflowExecutionStartedEventAttributes!;
    expect(first.continuedExecutionRunId).toBeTruthy(); // this run continued an earlier one
    const view = await h.maintenance.view();
    expect(await modes(h)).toEqual([
      { id: sim(1), mode: 'DRAINING' },
      { id: sim(3), mode: 'DOWN' },
    ]);
    expect(view.windows).toEqual([{ machines: [sim(1), sim(3)], unavailability: u }]);
  });
});

test('with a default policy configured (MAINT_MESOS_POLICY), a Mesos window runs on its own like a native one', async () => {
  const h = suite.harness({ mesosPolicy: DEFAULT_POLICY });
  await h.run(async () => {
    const unavailability = await inHours(h, 1);
    await h.maintenance.update([{ machines: [sim(6)], unavailability }], 'operator', false);
    expect((await h.windowResult('w-1')).state).toBe('COMPLETED');
    const machine = await machineOf(h, 6);
    expect(machine.mode).toBe('UP');
    expect(Object.values(h.fleet.stats().kills)).toEqual([1, 1]); // hard drain at the deadline
    expect(await modes(h)).toEqual([]);
  });
});
