// What machines and windows publish in their memo, and how readers take it back (src/temporal/published-state.ts).
import {
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
});

test('a window view round-trips, and a too large one is left to the query', () => {
  const view = { id: 'w-1', state: 'ACTIVE', machineModes: [{ id: machine, mode: 'DRAINING', phase: 'draining' }] };
  const text = JSON.stringify(view);
  expect(windowViewFromMemo({ [WINDOW_VIEW_MEMO]: publishedWindowView(text) })).toEqual(view);
  expect(publishedWindowView(text + ' '.repeat(MEMO_MAX_CHARS))).toEqual({ tooLarge: true });
  expect(windowViewFromMemo({ [WINDOW_VIEW_MEMO]: { tooLarge: true } })).toBeUndefined();
});
