// Operators steering a window on the time-skipping server: extend, cancel, down now, up, and what is refused.
import { WithStartWorkflowOperation } from '@temporalio/client';
import { MaintError } from '../../src/domain/errors';
import type { MachineId } from '../../src/domain/machine';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import type { MachinePhase } from '../../src/domain/window';
import { cancelWindow, scheduleView } from '../../workflows/messages';
import { windowWorkflow, type WindowInput } from '../../workflows/window';
import { eventually } from '../support/eventually';
import { Harness, simMachine as sim } from '../support/harness';
import { timeSkippingSuite } from '../support/time-skipping';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const suite = timeSkippingSuite();

/** Lets workflow time pass (skipped) until the machine reaches the phase. */
async function until(h: Harness, machine: MachineId, phase: MachinePhase, stepMs = MINUTE) {
  for (let i = 0; i < 500; i++) {
    const view = await h.windows.machine(machine);
    if (view?.phase === phase) return view;
    await suite.env().sleep(stepMs);
  }
  throw new Error(`${machine.hostname} never reached ${phase}`);
}

async function refusal(p: Promise<unknown>): Promise<MaintError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MaintError);
  return err as MaintError;
}

test('extension moves the deadline, rescinds the inverse offers and sends new ones with the new unavailability', async () => {
  const h = suite.harness();
  await h.run(async () => {
    const window = await h.open([sim(6)], { durationMs: 2 * HOUR });
    // Its first look's offers out first ('draining' alone may be the window's view of a run not started yet).
    await eventually(() => h.eventsOf('silent', 'INVERSE_OFFERS').length === 1, "silent's first inverse offer");
    const extended = await h.windows.extend(window.id, { byMs: 30 * MINUTE });
    expect(extended.window.deadlineMs).toBe(window.deadlineMs + 30 * MINUTE);
    expect(extended.window.unavailability.startMs).toBe(window.unavailability.startMs + 30 * MINUTE);
    await h.windowResult(window.id);
    const [machine] = (await h.windows.get(window.id)).machines;
    const hardDrain = machine.history.find((e) => e.what === 'hard drain')!;
    expect(hardDrain.atMs).toBeGreaterThanOrEqual(window.deadlineMs + 30 * MINUTE);
    const offers = h.eventsOf('silent', 'INVERSE_OFFERS').map((r) => r.event);
    const starts = offers.map((e) =>
      e.type === 'INVERSE_OFFERS' ? BigInt(e.inverse_offers.inverse_offers[0].unavailability.start.nanoseconds) : 0n,
    );
    expect(starts).toEqual([
      BigInt(window.unavailability.startMs) * 1_000_000n,
      BigInt(window.unavailability.startMs + 30 * MINUTE) * 1_000_000n,
    ]);
    expect(h.eventsOf('silent', 'RESCIND_INVERSE_OFFER').length).toBeGreaterThanOrEqual(1);
    // The decliner is asked again about the new unavailability, and declines again.
    expect(h.eventsOf('decliner', 'INVERSE_OFFERS')).toHaveLength(2);
    expect(machine.killed.map((t) => t.frameworkId).sort()).toEqual(['decliner', 'silent']);
  });
});

test('cancellation returns DRAINING machines to UP, rescinds open inverse offers and kills nothing', async () => {
  const h = suite.harness();
  await h.run(async () => {
    const window = await h.open([sim(6), sim(12)], { durationMs: HOUR });
    // Both machines' first looks made their offers ('draining' alone may be the window's view of a run not started).
    const offers = () => h.eventsOf('silent', 'INVERSE_OFFERS').flatMap((r) => (r.event.type === 'INVERSE_OFFERS' ? r.event.inverse_offers.inverse_offers : []));
    await eventually(() => offers().length === 2, "silent's inverse offers for both machines");
    const cancelled = await h.windows.cancel(window.id);
    expect(cancelled.window.state).toBe('CANCELLED');
    const result = await h.windowResult(window.id);
    expect(result.state).toBe('CANCELLED');
    const { machines } = await h.windows.get(window.id);
    for (const m of machines) {
      expect(m.mode).toBe('UP');
      expect(m.killed).toEqual([]);
      expect(m.outstandingOffers).toEqual([]);
    }
    expect(h.fleet.stats().kills).toEqual({});
    // The window completes once its machines report UP; their rescinds go through the mailbox, a moment later.
    await eventually(() => h.eventsOf('silent', 'RESCIND_INVERSE_OFFER').length >= 2, "silent's two offers rescinded");
    expect(h.eventsOf('silent', 'RESCIND_INVERSE_OFFER')).toHaveLength(2);
  });
});

test('down now hard-drains at once, and up brings the machine back before its window ends', async () => {
  const h = suite.harness();
  await h.run(async () => {
    const window = await h.open([sim(6)], { durationMs: 4 * HOUR });
    await until(h, sim(6), 'draining');
    await h.windows.down(window.id, { machines: [sim(6)] });
    const down = await until(h, sim(6), 'down', 1_000);
    expect(down.mode).toBe('DOWN');
    const hardDrain = down.history.find((e) => e.what === 'hard drain')!;
    expect(hardDrain.atMs).toBeLessThan(window.deadlineMs);
    expect(hardDrain.detail).toMatch(/^operator/);
    // The decliner's and silent's tasks are killed, once. The mover may place its moved task back on the emptied
    // machine before the down: the down kills it too (once), so nothing is lost.
    const { kills, lost } = h.fleet.stats();
    expect(Object.keys(kills).filter((id) => /^(decliner|silent)\./.test(id))).toHaveLength(2);
    expect(Object.values(kills).every((n) => n === 1)).toBe(true);
    expect(lost).toEqual([]);
    await h.windows.up(window.id, {});
    const result = await h.windowResult(window.id);
    expect(result.state).toBe('COMPLETED');
    const [machine] = (await h.windows.get(window.id)).machines;
    const up = machine.history.find((e) => e.what === 'UP')!;
    expect(up.detail).toBe('operator');
    expect(up.atMs).toBeLessThan(window.unavailability.startMs + 4 * HOUR);
  });
});

test('an answer after the hard drain started is recorded as late and changes nothing', async () => {
  const h = suite.harness();
  await h.run(async () => {
    const window = await h.open([sim(6)]); // no duration: stays DOWN until an operator says up
    await until(h, sim(6), 'down');
    const [offer] = h.eventsOf('silent', 'INVERSE_OFFERS');
    const offerId = offer.event.type === 'INVERSE_OFFERS' ? offer.event.inverse_offers.inverse_offers[0].id.value : '';
    await h.answer('silent', 'ACCEPT', [offerId]);
    await suite.env().sleep(MINUTE);
    const machine = (await h.windows.machine(sim(6)))!;
    expect(machine.mode).toBe('DOWN');
    expect(machine.answers).toContainEqual(expect.objectContaining({ frameworkId: 'silent', answer: 'ACCEPT', late: true }));
    expect(machine.upAtMs).toBeUndefined();
    await h.windows.up(window.id, {});
    expect((await h.windowResult(window.id)).state).toBe('COMPLETED');
  });
});

test('escalation "notify" leaves the machine DRAINING past its deadline until an operator brings it down', async () => {
  const h = suite.harness();
  await h.run(async () => {
    const window = await h.open([sim(6)], { durationMs: HOUR, policy: { escalation: 'notify' } });
    const waiting = await until(h, sim(6), 'awaiting-operator');
    expect(waiting.mode).toBe('DRAINING');
    expect(waiting.waitingOn).toMatch(/an operator/);
    expect(h.fleet.stats().kills).toEqual({});
    await suite.env().sleep(3 * HOUR); // nothing happens by itself
    expect((await h.windows.machine(sim(6)))!.phase).toBe('awaiting-operator');
    await h.windows.down(window.id, {});
    const result = await h.windowResult(window.id);
    expect(result.state).toBe('COMPLETED');
    // The decliner's and silent's tasks are killed, once. The mover may place its moved task back on the emptied
    // machine before the down: the down kills it too (once), so nothing is lost.
    const { kills, lost } = h.fleet.stats();
    expect(Object.keys(kills).filter((id) => /^(decliner|silent)\./.test(id))).toHaveLength(2);
    expect(Object.values(kills).every((n) => n === 1)).toBe(true);
    expect(lost).toEqual([]);
  });
});

test('refusals change nothing: a machine in two windows, a deadline moved earlier, up while DRAINING, cancel twice', async () => {
  const h = suite.harness();
  await h.run(async () => {
    const window = await h.open([sim(6)], { durationMs: HOUR });
    const twice = await refusal(h.open([sim(12), sim(6)]));
    expect(twice.code).toBe('CONFLICT');
    expect(twice.message).toBe('machines[1]: sim-06 (192.0.2.6) is already in window w-1');
    expect(twice.field).toBe('machines[1]');
    const schedule = await suite.env().client.workflow.getHandle(h.ids.schedule).query(scheduleView);
    expect(schedule.windows.map((w) => w.id)).toEqual(['w-1']); // sim-12 was not reserved either
    expect(await h.windows.machine(sim(12))).toBeUndefined();

    const earlier = await refusal(h.windows.extend(window.id, { deadlineMs: window.deadlineMs - MINUTE }));
    expect(earlier.code).toBe('INVALID');
    expect(earlier.field).toBe('deadline');

    const up = await refusal(h.windows.up(window.id, { machines: [sim(6)] }));
    expect(up.code).toBe('CONFLICT');
    expect(up.message).toMatch(/sim-06 \(192\.0\.2\.6\) is DRAINING \(draining\), not DOWN/);

    const stranger = await refusal(h.windows.down(window.id, { machines: [sim(7)] }));
    expect(stranger.code).toBe('INVALID');

    await h.windows.cancel(window.id);
    const again = await refusal(h.windows.cancel(window.id));
    expect(again.code).toBe('CONFLICT');
    expect((await h.windows.get(window.id)).window.deadlineMs).toBe(window.deadlineMs);
    expect((await refusal(h.windows.get('w-9'))).code).toBe('NOT_FOUND');
  });
});

/**
 * A window started directly (the schedule checks a machine is in one window at a time; the Mesos path can still start
 * a window whose machine's previous run is finishing), with the test's instance and settings.
 */
function directWindow(h: Harness, id: string, machines: MachineId[], startMs: number): WindowInput {
  return {
    spec: {
      id,
      machines,
      unavailability: { startMs, durationMs: HOUR },
      deadlineMs: startMs,
      policy: { ...DEFAULT_POLICY },
      createdAtMs: startMs - HOUR,
      createdBy: 'operator',
    },
    settings: { instance: h.ids.instance, checkIntervalMs: 60_000, armDeadlineKills: false },
  };
}

test("a cancel in the window's first workflow task reaches its machines once they start, and the request succeeds", async () => {
  const h = suite.harness();
  await h.run(async () => {
    const other = await h.open([sim(2)]); // starts the schedule, which machines report to; sim-02 stays DRAINING
    const startMs = (await suite.env().currentTimeMs()) + HOUR;
    // Update-with-start: the cancel is in the same activation as the window's start, before any machine has started.
    const cancelled = await suite.env().client.workflow.executeUpdateWithStart(cancelWindow, {
      startWorkflowOperation: new WithStartWorkflowOperation(windowWorkflow, {
        workflowId: h.ids.window('w-at-once'),
        taskQueue: h.taskQueue,
        args: [directWindow(h, 'w-at-once', [sim(6), sim(12)], startMs)],
        workflowIdConflictPolicy: 'FAIL',
      }),
    });
    expect(cancelled.state).toBe('CANCELLED');
    const result = await h.windowResult('w-at-once');
    expect(result.state).toBe('CANCELLED');
    expect(result.machineModes.map((m) => [m.mode, m.phase])).toEqual([
      ['UP', 'done'],
      ['UP', 'done'],
    ]);
    expect(h.fleet.stats().kills).toEqual({});
    await h.windows.cancel(other.id);
    await h.windowResult(other.id);
  });
});

test("a cancel while a machine waits for its previous maintenance to end goes to this window's run, not that one", async () => {
  const h = suite.harness();
  await h.run(async () => {
    const first = await h.open([sim(6)], { durationMs: HOUR });
    await until(h, sim(6), 'draining');
    const startMs = (await suite.env().currentTimeMs()) + 2 * HOUR;
    const next = await suite.env().client.workflow.start(windowWorkflow, {
      workflowId: h.ids.window('w-next'),
      taskQueue: h.taskQueue,
      args: [directWindow(h, 'w-next', [sim(6)], startMs)],
    });
    await next.executeUpdate(cancelWindow, { args: [] });
    // The first window's run of sim-06 was not told: it still drains towards its own deadline.
    await suite.env().sleep(5 * MINUTE);
    const still = await h.windows.machine(sim(6));
    expect([still?.windowId, still?.mode, still?.phase]).toEqual([first.id, 'DRAINING', 'draining']);
    // Once that run ends, the next window starts its own, which takes the cancel and ends UP without a drain.
    await h.windows.cancel(first.id);
    const result = await next.result();
    expect(result.state).toBe('CANCELLED');
    expect(result.machineModes).toEqual([{ id: sim(6), mode: 'UP', phase: 'done' }]);
    expect(h.fleet.stats().kills).toEqual({});
  });
});
