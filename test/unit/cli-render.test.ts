// What the CLI prints: aligned tables for people (colour only when asked), JSON for scripts with int64 exact.
import { parseJson } from '../../src/lib/json';
import {
  json,
  machineReport,
  progressBar,
  relative,
  scheduleView,
  statusRows,
  statusView,
  table,
  visibleLength,
  windowList,
  windowView,
} from '../../src/cli/render';
import type { MachineJson, WindowJson } from '../../src/cli/views';

const plain = { color: false };
const NOW = Date.parse('2026-11-27T13:58:55Z');

function machine(n: number, over: Partial<MachineJson>): MachineJson {
  return {
    id: { hostname: `sim-0${n}`, ip: `192.0.2.${n}` },
    mode: 'DRAINING',
    phase: 'draining',
    window: 'w-3',
    unavailability: { start: '2026-11-27T14:00:00.000Z', duration: '5m' },
    deadline: '2026-11-27T14:00:00.000Z',
    waitingOn: 'answers from silent; the deadline',
    answers: [],
    outstandingOffers: [],
    remaining: [],
    killed: [],
    history: [],
    ...over,
  };
}

const WINDOW: WindowJson = {
  id: 'w-3',
  origin: 'native',
  state: 'ACTIVE',
  unavailability: { start: '2026-11-27T14:00:00.000Z', duration: '5m' },
  deadline: '2026-11-27T14:00:00.000Z',
  policy: { escalation: 'hard-drain', downWhenDrained: true, autoUp: true, maxParallel: 2 },
  createdAt: '2026-11-27T13:00:00.000Z',
  createdBy: 'ops',
  machines: [
    machine(1, { mode: 'UP', phase: 'done', waitingOn: '' }),
    machine(2, {
      answers: [{ frameworkId: 'mover', answer: 'ACCEPT', at: '2026-11-27T13:59:00.000Z', offerId: 'o-1', late: false }],
      outstandingOffers: [{ offerId: 'o-2', frameworkId: 'silent' }],
      remaining: [{ taskId: 't-1', frameworkId: 'silent' }, { taskId: 't-2', frameworkId: 'decliner' }],
    }),
  ],
};

test('a window: header with deadline countdown and progress, one aligned row per machine', () => {
  expect(windowView(WINDOW, plain, NOW)).toBe(
    [
      'window w-3  ACTIVE  (native, by ops)',
      'deadline     2026-11-27 14:00:00Z (in 1m5s)',
      'unavailable  from 2026-11-27 14:00:00Z for 5m',
      'policy       hard-drain, down when drained, auto up, max parallel 2',
      'progress     [##########..........] 1/2 machines done',
      '',
      'MACHINE             MODE      PHASE     TASKS  DEADLINE  ANSWERS                 WAITING ON',
      'sim-01 (192.0.2.1)  UP        done      0      -         -                       -',
      'sim-02 (192.0.2.2)  DRAINING  draining  2      in 1m5s   mover ACCEPT, silent ?  answers from silent; the deadline',
    ].join('\n'),
  );
});

test('colour only when asked, and alignment ignores colour codes', () => {
  const coloured = windowView(WINDOW, { color: true }, NOW);
  expect(coloured).toContain('\x1b[33mDRAINING\x1b[0m');
  const lines = coloured.split('\n').slice(-2);
  expect(visibleLength(lines[0]).toString()).toBe(String(visibleLength(windowView(WINDOW, plain, NOW).split('\n').at(-2)!)));
  expect(windowView(WINDOW, plain, NOW)).not.toContain('\x1b');
});

test('a deadline that has passed, a window without duration', () => {
  const later = Date.parse('2026-11-27T14:02:00Z');
  const w = { ...WINDOW, unavailability: { start: WINDOW.unavailability.start } };
  const text = windowView(w, plain, later);
  expect(text).toContain('deadline     2026-11-27 14:00:00Z (2m ago)');
  expect(text).toContain('until an operator brings the machines up');
  expect(text).toMatch(/sim-02 \(192\.0\.2\.2\)\s+DRAINING\s+draining\s+2\s+passed/);
});

test('tables pad every column but the last; relative times and the progress bar', () => {
  expect(table(['A', 'LONGER'], [['xxxx', 'y'], ['z', '']], plain)).toBe('A     LONGER\nxxxx  y\nz');
  expect(relative(NOW + 90_000, NOW)).toBe('in 1m30s');
  expect(relative(NOW - 4_000, NOW)).toBe('4s ago');
  expect(relative(NOW + 200, NOW)).toBe('now');
  expect(progressBar(0, 4, 8)).toBe('[........] 0/4 machines done');
  expect(progressBar(3, 4, 8)).toBe('[######..] 3/4 machines done');
});

test('the windows list: one row per window with its modes counted', () => {
  const list = windowList(
    [
      {
        id: 'w-3',
        origin: 'native',
        state: 'ACTIVE',
        unavailability: { start: '2026-11-27T14:00:00.000Z', duration: '5m' },
        deadline: '2026-11-27T14:00:00.000Z',
        createdAt: '2026-11-27T13:00:00.000Z',
        machines: [
          { id: { hostname: 'a' }, mode: 'DOWN', phase: 'down' },
          { id: { hostname: 'b' }, mode: 'DRAINING', phase: 'draining' },
          { id: { hostname: 'c' }, mode: 'DOWN', phase: 'down' },
        ],
      },
    ],
    plain,
    NOW,
  );
  expect(list).toBe(
    'ID   STATE   ORIGIN  DEADLINE                        DURATION  MACHINES\n' +
      'w-3  ACTIVE  native  2026-11-27 14:00:00Z (in 1m5s)  5m        3: 2 DOWN, 1 DRAINING',
  );
  expect(windowList([], plain, NOW)).toBe('no windows');
});

test('JSON keeps int64 nanoseconds exact and is one line when compact', () => {
  const schedule = parseJson('{"windows":[{"machine_ids":[{"hostname":"a"}],"unavailability":{"start":{"nanoseconds":1443830400000000001}}}]}');
  expect(json(schedule, true)).toBe('{"windows":[{"machine_ids":[{"hostname":"a"}],"unavailability":{"start":{"nanoseconds":1443830400000000001}}}]}');
  expect(json({ a: 1 })).toBe('{\n  "a": 1\n}');
  expect(scheduleView(schedule as object, plain)).toBe('#  START                 DURATION  MACHINES\n0  2015-10-03 00:00:00Z  -         a');
  expect(scheduleView({}, plain)).toBe('the schedule is empty');
});

test("status: Mesos' modes and answers joined with maint's phase and window (Mesos machine equality)", () => {
  const rows = statusRows(
    {
      draining_machines: [
        { id: { hostname: 'SIM-02', ip: '192.0.2.2' }, statuses: [{ status: 'DECLINE', framework_id: { value: 'decliner' } }] },
        { id: { hostname: 'mesos-only' } },
      ],
      down_machines: [{ hostname: 'sim-01', ip: '192.0.2.1' }],
    },
    [
      {
        id: 'w-3',
        origin: 'native',
        state: 'ACTIVE',
        unavailability: { start: '2026-11-27T14:00:00.000Z' },
        deadline: '2026-11-27T14:00:00.000Z',
        createdAt: '2026-11-27T13:00:00.000Z',
        machines: [
          { id: { hostname: 'sim-01', ip: '192.0.2.1' }, mode: 'DOWN', phase: 'down' },
          { id: { hostname: 'sim-02', ip: '192.0.2.2' }, mode: 'DRAINING', phase: 'hard-draining' },
          { id: { hostname: 'mesos-only', ip: '10.0.0.1' }, mode: 'DRAINING', phase: 'draining' }, // another machine for Mesos
        ],
      },
    ],
  );
  expect(statusView(rows, plain)).toBe(
    [
      'MACHINE             MODE      PHASE          WINDOW  ANSWERS',
      'SIM-02 (192.0.2.2)  DRAINING  hard-draining  w-3     decliner DECLINE',
      'mesos-only          DRAINING  -              -       -',
      'sim-01 (192.0.2.1)  DOWN      down           w-3     -',
    ].join('\n'),
  );
  expect(statusView([], plain)).toBe('no machine is in maintenance');
});

test('a machine: mode, window, phase, answers, tasks, cluster view and history', () => {
  const text = machineReport(
    {
      id: { hostname: 'sim-02', ip: '192.0.2.2' },
      mode: 'DRAINING',
      unavailability: { start: '2026-11-27T14:00:00.000Z', duration: '5m' },
      window: 'w-3',
      lastWindow: 'w-3',
      maintenance: WINDOW.machines[1],
      history: [{ at: '2026-11-27T13:58:00.000Z', what: 'DRAINING', detail: 'window w-3' }],
      cluster: { agentId: 'agent-sim-02', down: false, tasks: 2 },
    },
    plain,
    NOW,
  );
  expect(text.split('\n')).toEqual([
    'machine sim-02 (192.0.2.2)  DRAINING',
    'window       w-3',
    'unavailable  from 2026-11-27 14:00:00Z for 5m',
    'phase        draining',
    'deadline     2026-11-27 14:00:00Z (in 1m5s)',
    'waiting on   answers from silent; the deadline',
    'answers      mover ACCEPT, silent ?',
    'tasks        2 remaining, 0 killed',
    'cluster      agent agent-sim-02, 2 tasks',
    '',
    'AT                    WHAT      DETAIL',
    '2026-11-27 13:58:00Z  DRAINING  window w-3',
  ]);
});
