// What machines and windows publish in their memo, and how readers take it back (src/temporal/published-state.ts).
import {
  hasPublishedState,
  MACHINE_STATE_MEMO,
  MEMO_MAX_CHARS,
  publishedState,
  publishedWindowView,
  stateFromMemo,
  WINDOW_VIEW_MEMO,
  windowViewFromMemo,
} from '../../src/temporal/published-state';
import { MachineState } from '../../workflows/machine-state';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { fromListing } from '../../src/service/windows';
import type { MachineMode, MachinePhase, WindowView } from '../../src/domain/window';

const machine = { hostname: 'sim-01', ip: '192.0.2.1' };
const started = MachineState.start(
  {
    instance: 'maint',
    windowId: 'w-1',
    machine,
    unavailability: { startMs: 3_600_000, durationMs: 60_000 },
    deadlineMs: 3_600_000,
    policy: DEFAULT_POLICY,
    checkIntervalMs: 1_000,
  },
  0,
);

test('a published machine state reads back as the same view, its pending notices left out', () => {
  const { deliveries: _pending, ...state } = started.snapshot();
  const memo = { [MACHINE_STATE_MEMO]: publishedState(JSON.stringify(state)) };
  const read = stateFromMemo(JSON.parse(JSON.stringify(memo)));
  expect(read).toBeDefined();
  expect(MachineState.resume(read!).view(1_000)).toEqual(started.view(1_000));
  expect(read!.deliveries).toEqual([]);
});

test('a state too large is not published: the reader finds none and queries the workflow', () => {
  const { deliveries: _pending, ...state } = started.snapshot();
  const text = JSON.stringify(state) + ' '.repeat(MEMO_MAX_CHARS);
  expect(publishedState(text)).toEqual({ tooLarge: true });
  expect(stateFromMemo({ [MACHINE_STATE_MEMO]: { tooLarge: true } })).toBeUndefined();
  expect(stateFromMemo(undefined)).toBeUndefined(); // a run from before the memo
  expect(stateFromMemo({})).toBeUndefined();
  // Published all the same: the run has taken its first task, so a reader describes it rather than wait for it.
  expect(hasPublishedState({ [MACHINE_STATE_MEMO]: { tooLarge: true } })).toBe(true);
  expect(hasPublishedState({})).toBe(false);
  expect(hasPublishedState(undefined)).toBe(false);
});

test('a window view round-trips, and a too large one is left to the query', () => {
  const view = { id: 'w-1', state: 'ACTIVE', machineModes: [{ id: machine, mode: 'DRAINING', phase: 'draining' }] };
  const text = JSON.stringify(view);
  expect(windowViewFromMemo({ [WINDOW_VIEW_MEMO]: publishedWindowView(text) })).toEqual(view);
  expect(publishedWindowView(text + ' '.repeat(MEMO_MAX_CHARS))).toEqual({ tooLarge: true });
  expect(windowViewFromMemo({ [WINDOW_VIEW_MEMO]: { tooLarge: true } })).toBeUndefined();
});

describe("a window's machines from visibility (fromListing): the listed state unless the window has seen it further", () => {
  const listedAtMs = 1_000;
  const view = started.view(listedAtMs); // DRAINING, draining
  const { deliveries: _pending, ...published } = started.snapshot();
  const state = stateFromMemo({ [MACHINE_STATE_MEMO]: publishedState(JSON.stringify(published)) })!;
  const run = { startMs: 0, published: true, state };
  const window = { id: 'w-1', state: 'ACTIVE', machineModes: [] } as unknown as WindowView;
  const entry = (mode: MachineMode, phase: MachinePhase) => ({ id: machine, mode, phase });

  test('a listed state as current as the window, or ahead of it within a mode or by one, is read as it is', () => {
    expect(fromListing(run, window, entry('DRAINING', 'draining'), listedAtMs)).toEqual(view);
    // Within a mode either may be ahead (the machine publishes its state, then tells its window): the machine's own.
    expect(fromListing(run, window, entry('DRAINING', 'hard-draining'), listedAtMs)).toEqual(view);
    const down = MachineState.resume(structuredClone(state));
    down.markDown([], 2_000);
    const { deliveries: _d, ...downState } = down.snapshot();
    expect(fromListing({ ...run, state: { ...downState, deliveries: [] } }, window, entry('DRAINING', 'hard-draining'), 2_000)?.mode).toBe('DOWN');
  });

  test('a listed state behind the window (it has seen the machine DOWN or UP), or of another window, is described', () => {
    expect(fromListing(run, window, entry('DOWN', 'down'), listedAtMs)).toBeUndefined();
    expect(fromListing(run, window, entry('UP', 'done'), listedAtMs)).toBeUndefined();
    expect(fromListing(run, { ...window, id: 'w-2' }, entry('DRAINING', 'draining'), listedAtMs)).toBeUndefined();
    expect(fromListing(undefined, window, entry('DRAINING', 'draining'), listedAtMs)).toBeUndefined(); // not listed yet
  });

  test('a run that published nothing yet shows as its window does a moment after its start, and is described after', () => {
    const unpublished = { startMs: 0, published: false };
    expect(fromListing(unpublished, window, entry('DRAINING', 'draining'), 5_000)?.waitingOn).toBe('its workflow to start');
    expect(fromListing(unpublished, window, entry('DRAINING', 'draining'), 61_000)).toBeUndefined(); // from before memos
    expect(fromListing({ startMs: 0, published: true }, window, entry('DRAINING', 'draining'), 5_000)).toBeUndefined(); // too large
  });
});
