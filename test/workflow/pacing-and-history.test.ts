// maxParallel pacing and continue-as-new, on the time-skipping server.
import type { MachineId } from '../../src/domain/machine';
import { activitiesRun } from '../../src/temporal/activities-run';
import type { Policy } from '../../src/domain/policy';
import type { HarnessOptions } from '../support/harness';
import { simMachine as sim } from '../support/harness';
import { timeSkippingSuite } from '../support/time-skipping';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const suite = timeSkippingSuite();

async function run(options: HarnessOptions, machines: MachineId[], durationMs: number, policy: Partial<Policy>) {
  const h = suite.harness(options);
  return h.run(async () => {
    const window = await h.open(machines, { durationMs, policy });
    await h.windowResult(window.id);
    return { h, window, detail: await h.windows.get(window.id) };
  });
}

test('maxParallel 1: drained machines wait for a slot and go DOWN one after another, each for its duration', async () => {
  // sim-01, sim-05 and sim-07 host only the mover's tasks: all three are drained at once.
  const { detail } = await run({}, [sim(1), sim(5), sim(7)], HOUR, { maxParallel: 1 });
  const intervals = detail.machines.map((m) => ({
    down: m.history.find((e) => e.what === 'DOWN')!.atMs,
    up: m.history.find((e) => e.what === 'UP')!.atMs,
    waited: m.history.some((e) => e.what === 'waiting for a slot'),
  }));
  intervals.sort((a, b) => a.down - b.down);
  expect(intervals.every((i) => i.waited)).toBe(true); // each asked the window for a slot
  for (let i = 1; i < intervals.length; i++) expect(intervals[i].down).toBeGreaterThanOrEqual(intervals[i - 1].up);
  for (const i of intervals) expect(i.up - Math.max(i.down, detail.window.unavailability.startMs)).toBeLessThan(HOUR + MINUTE);
  expect(detail.window.state).toBe('COMPLETED');
});

test('while a machine waits for a slot, its looks come further apart, up to eight check intervals', async () => {
  // Three drained machines, one slot, an hour each: the last waits about two hours for its slot.
  const { h, detail } = await run({}, [sim(1), sim(5), sim(7)], HOUR, { maxParallel: 1 });
  const checkIntervalMs = 60_000; // the harness's
  const last = [...detail.machines].sort((a, b) => at(b, 'DOWN') - at(a, 'DOWN'))[0];
  const waitedMs = at(last, 'DOWN') - at(last, 'waiting for a slot');
  expect(waitedMs).toBeGreaterThan(HOUR + 30 * MINUTE);
  const history = await suite.env().client.workflow.getHandle(h.ids.machine(last.id)).fetchHistory();
  const looks = activitiesRun(history.events!).filter((a) => a.type === 'inspectMachine');
  // A look a check interval would be 90 or more in the wait; doubling up to 8 intervals makes it 1, 2, 4, then 8 at most.
  expect(looks.length).toBeLessThan(3 + waitedMs / (8 * checkIntervalMs) + 4);
  // The timers between looks: those started before the machine is taken down (the up timer comes after).
  const down = history.events!.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'hardDrain');
  const timers = history.events!.slice(0, down).flatMap((e) => {
    const t = e.timerStartedEventAttributes?.startToFireTimeout;
    return t ? [Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6)] : [];
  });
  expect(Math.max(...timers)).toBe(8 * checkIntervalMs);
  expect(timers).toEqual(expect.arrayContaining([2 * checkIntervalMs, 4 * checkIntervalMs]));
  expect(detail.window.state).toBe('COMPLETED');
});

function at(machine: { history: { what: string; atMs: number }[] }, what: string): number {
  return machine.history.find((e) => e.what === what)!.atMs;
}

test('a long drain continues as new and resumes with everything it knew', async () => {
  const { h, detail } = await run(
    { checkIntervalMs: MINUTE, machineMaxHistoryEvents: 40 },
    [sim(6)],
    HOUR,
    {},
  );
  const [machine] = detail.machines;
  expect(machine.mode).toBe('UP');
  expect(machine.history[0].what).toBe('DRAINING'); // history from before the continue-as-new survived
  expect(machine.answers.map((a) => a.frameworkId).sort()).toEqual(['decliner', 'mover']);
  expect(Object.values(h.fleet.stats().kills)).toEqual([1, 1]);
  expect(h.eventsOf('silent', 'INVERSE_OFFERS')).toHaveLength(1); // not re-sent by the new run
  const history = await suite.env().client.workflow.getHandle(h.ids.machine(sim(6))).fetchHistory();
  const started = history.events![0].workflowExecutionStartedEventAttributes!;
  expect(started.continuedExecutionRunId).toBeTruthy();
});
