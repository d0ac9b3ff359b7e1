// What the Temporal Web UI shows of maint's workflows: summaries of workflows, activities and timers, and the markdown
// of the current details (capped tables).
import { formatDurationShort, formatUtcClock } from '../../src/domain/time';
import {
  agentDrainSummary,
  coalesced,
  drainWaitSummary,
  hardDrainSummary,
  lastNoticesSummary,
  lookSummary,
  machineDetails,
  machineWorkflowSummary,
  markdownTable,
  MAX_DETAIL_ROWS,
  registryDetails,
  scheduleDetails,
  upTimerSummary,
  windowDetails,
  windowWorkflowSummary,
  type MachineDetailsInput,
  type WindowDetailsMachine,
} from '../../workflows/summaries';

const NOW = Date.parse('2026-11-26T13:20:00Z');
const AT = (hhmmss: string) => Date.parse(`2026-11-26T${hhmmss}Z`);

describe('formatDurationShort', () => {
  test.each([
    [30_000, '30s'],
    [5 * 60_000, '5m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [61_234, '1m1s'],
    [26 * 3_600_000 + 61_000, '1d2h'],
    [3_600_000 + 5_000, '1h'], // a gap (no minutes) ends it: rounded down
    [250, '250ms'],
    [0, '0s'],
  ])('%p ms is %p', (ms, text) => expect(formatDurationShort(ms)).toBe(text));
});

describe('formatUtcClock', () => {
  test('the time of day in UTC, seconds only when there are some, the date only on another day', () => {
    expect(formatUtcClock(AT('14:00:00'), NOW)).toBe('14:00 UTC');
    expect(formatUtcClock(AT('14:00:30'), NOW)).toBe('14:00:30 UTC');
    expect(formatUtcClock(Date.parse('2026-11-27T02:00:00Z'), NOW)).toBe('2026-11-27 02:00 UTC');
  });
});

describe('summaries', () => {
  test('a machine workflow: its label, its deadline and its window', () => {
    expect(machineWorkflowSummary('sim-07 (192.0.2.7)', AT('14:00:00'), 'w-3', NOW)).toBe(
      'sim-07 (192.0.2.7): drain by 14:00 UTC, window w-3',
    );
  });

  test('a window: its machines, its deadline and how long they stay down', () => {
    expect(windowWorkflowSummary({ id: 'w-3', machines: 6, deadlineMs: AT('14:00:00'), upAfterMs: 300_000 }, NOW)).toBe(
      'window w-3: 6 machines, drain by 14:00 UTC, down for 5m',
    );
    expect(windowWorkflowSummary({ id: 'w-4', origin: 'mesos', machines: 1, deadlineMs: AT('15:30:00') }, NOW)).toBe(
      'window w-4 (Mesos schedule): 1 machine, unavailable from 15:30 UTC',
    );
  });

  test('the hard drain says how many tasks it kills and the grace in human units', () => {
    expect(hardDrainSummary('sim-07', 4, 30_000)).toBe('hard drain sim-07: kill 4 tasks, grace ≤ 30s');
    expect(hardDrainSummary('sim-07', 1, 90 * 60_000)).toBe('hard drain sim-07: kill 1 task, grace ≤ 1h30m');
    expect(hardDrainSummary('sim-07', 0, undefined)).toBe("hard drain sim-07: kill 0 tasks, each task's own grace");
    expect(hardDrainSummary('sim-07', 2, 1_000, true)).toBe('hard drain sim-07: kill 2 tasks, grace ≤ 1s, then shut it down');
  });

  test('an agent drain: the grace and whether the agent is marked gone', () => {
    expect(agentDrainSummary('agent-sim-05', 60_000, true)).toBe(
      'drain agent agent-sim-05: kill its tasks (grace ≤ 1m), wait until none is left, then mark it gone',
    );
  });

  test('a look at the machine says what it saw last', () => {
    expect(lookSummary('sim-07', 'draining', undefined)).toBe('look at sim-07 (draining): tasks and answers, first look');
    expect(lookSummary('sim-07', 'draining', 3)).toBe('look at sim-07 (draining): tasks and answers, 3 tasks at the last look');
  });

  test('timers say what they wait for, in human units', () => {
    expect(drainWaitSummary('sim-07', 'draining', { kind: 'deadline', atMs: AT('14:00:00') }, NOW)).toBe(
      'deadline of sim-07 at 14:00 UTC',
    );
    expect(drainWaitSummary('sim-07', 'draining', { kind: 'armed-kills', untilMs: AT('14:00:05') }, NOW)).toBe(
      'deadline of sim-07 passed: its armed kills act first (until 14:00:05 UTC)',
    );
    expect(drainWaitSummary('sim-07', 'draining', { kind: 'look', inMs: 10_000 }, NOW)).toBe('look at sim-07 again in 10s');
    expect(drainWaitSummary('sim-07', 'waiting-for-slot', { kind: 'look', inMs: 10_000 }, NOW)).toBe(
      'look at sim-07 again in 10s (waits for a slot)',
    );
    expect(drainWaitSummary('sim-07', 'draining', { kind: 'refuse-filter', atMs: AT('13:20:05') }, NOW)).toBe(
      'a refuse filter on sim-07 ends at 13:20:05 UTC: offer again',
    );
    expect(upTimerSummary('sim-07', AT('15:00:00'), NOW)).toBe('bring sim-07 up at 15:00 UTC (end of its unavailability)');
    expect(lastNoticesSummary('sim-07', 60_000)).toBe('sim-07: let the last notices reach the frameworks (at most 1m)');
  });
});

describe('markdownTable', () => {
  test('one row per line, cells kept on one line and in their column', () => {
    expect(markdownTable(['a', 'b'], [['x | y', 'two\nlines'], ['', 'z']])).toBe(
      ['| a | b |', '|---|---|', '| x \\| y | two lines |', '| | z |'].join('\n'),
    );
    expect(markdownTable(['a', 'n'], [['x', '1']], { centered: ['n'] })).toContain('|---|:---:|');
  });

  test('capped, with how many were left out', () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`m-${i}`]);
    const text = markdownTable(['machine'], rows);
    expect(text.split('\n').filter((l) => l.startsWith('| m-'))).toHaveLength(MAX_DETAIL_ROWS);
    expect(text).toContain(`… and ${120 - MAX_DETAIL_ROWS} more`);
  });

  test('a long cell is cut', () => {
    const text = markdownTable(['x'], [['y'.repeat(1_000)]]);
    expect(text.length).toBeLessThan(300);
    expect(text).toContain('…');
  });
});

describe('windowDetails', () => {
  const machine = (n: number, over: Partial<WindowDetailsMachine> = {}): WindowDetailsMachine => ({
    label: `sim-${String(n).padStart(2, '0')}`,
    mode: 'DRAINING',
    phase: 'draining',
    ...over,
  });
  const base = { id: 'w-3', state: 'ACTIVE', deadlineMs: AT('14:00:00'), escalation: 'hard-drain' };

  test('counts by mode, then a row per machine: mode, phase, tasks remaining, deadline, what it waits on', () => {
    const text = windowDetails(
      {
        ...base,
        maxParallel: 1,
        machines: [
          machine(1, { remaining: 4 }),
          machine(2),
          machine(3, { mode: 'DOWN', phase: 'down', remaining: 0, upAtMs: AT('15:00:00') }),
          machine(4, { phase: 'waiting-for-slot', remaining: 0 }),
          machine(5, { mode: 'UP', phase: 'done' }),
        ],
      },
      NOW,
    );
    expect(text).toContain('**window w-3** is **ACTIVE**: 5 machines, 3 DRAINING, 1 DOWN, 1 UP');
    expect(text).toContain('Deadline: 14:00 UTC · escalation hard-drain · at most 1 down at once');
    expect(text).toContain('| machine | mode | phase | tasks remaining | deadline | waiting on |');
    expect(text).toContain('| sim-01 | DRAINING | draining | 4 | 14:00 UTC | 4 tasks to leave, answers, the deadline 14:00 UTC |');
    expect(text).toContain('| sim-02 | DRAINING | draining | – | 14:00 UTC | answers, the deadline 14:00 UTC |');
    expect(text).toContain('| sim-03 | DOWN | down | 0 | – | up at 15:00 UTC |');
    expect(text).toContain('| sim-04 | DRAINING | waiting-for-slot | 0 | 14:00 UTC | a slot (at most 1 down at once) |');
    expect(text).toContain('| sim-05 | UP | done | – | – | nothing: back UP |');
  });

  test('a window of 500 machines shows 50 rows, those still in maintenance first, and counts them all', () => {
    const machines = Array.from({ length: 500 }, (_, i) =>
      i < 400 ? machine(i, { mode: 'UP', phase: 'done' }) : machine(i, { remaining: 1 }),
    );
    const text = windowDetails({ ...base, machines }, NOW);
    const rows = text.split('\n').filter((l) => l.startsWith('| sim-'));
    expect(rows).toHaveLength(MAX_DETAIL_ROWS);
    expect(rows.every((r) => r.includes('| DRAINING |'))).toBe(true);
    expect(text).toContain('500 machines, 100 DRAINING, 0 DOWN, 400 UP');
    expect(text).toContain('… and 450 more');
    expect(text.length).toBeLessThan(8_000);
  });
});

describe('machineDetails', () => {
  const base: MachineDetailsInput = {
    label: 'sim-07 (192.0.2.7)',
    mode: 'DRAINING',
    phase: 'draining',
    windowId: 'w-3',
    deadlineMs: AT('14:00:00'),
    waitingOn: '3 tasks to leave; deadline …',
    remaining: [{ frameworkId: 'mover' }, { frameworkId: 'decliner' }, { frameworkId: 'silent' }],
    killed: [],
    answers: [
      { frameworkId: 'mover', answer: 'ACCEPT', atMs: AT('13:10:00'), late: false },
      { frameworkId: 'decliner', answer: 'DECLINE', atMs: AT('13:11:00'), late: false, plan: 'WAIT' },
    ],
    openOffers: [{ frameworkId: 'silent' }],
    looked: true,
  };

  test("each framework's answer and tasks, the deadline, tasks remaining and what it waits on", () => {
    const text = machineDetails(base, NOW);
    expect(text).toContain('**sim-07 (192.0.2.7)** is **DRAINING** (draining) in window w-3');
    expect(text).toContain('Waiting on: 3 tasks to leave; deadline …');
    expect(text).toContain('Deadline: 2026-11-26T14:00:00.000Z · tasks remaining: 3 · killed: 0');
    expect(text).toContain('| framework | answer | at | tasks here | killed |\n|---|---|---|:---:|:---:|');
    expect(text).toContain('| mover | ACCEPT | 2026-11-26T13:10:00.000Z | 1 | 0 |');
    expect(text).toContain('| decliner | DECLINE, plan WAIT | 2026-11-26T13:11:00.000Z | 1 | 0 |');
    expect(text).toContain('| silent | no answer yet | | 1 | 0 |');
  });

  test('after the hard drain: what was killed, late answers, when it comes up', () => {
    const text = machineDetails(
      {
        ...base,
        mode: 'DOWN',
        phase: 'down',
        upAtMs: AT('15:00:00'),
        remaining: [],
        killed: [{ frameworkId: 'silent' }, { frameworkId: 'silent' }],
        answers: [{ frameworkId: 'silent', answer: 'ACCEPT', atMs: AT('14:00:01'), late: true }],
        openOffers: [],
      },
      NOW,
    );
    expect(text).toContain('· tasks remaining: 0 · killed: 2 · up at 2026-11-26T15:00:00.000Z');
    expect(text).toContain('| silent | ACCEPT (late) | 2026-11-26T14:00:01.000Z | 0 | 2 |');
  });

  test('before the first look, and a framework with tasks but no offer', () => {
    expect(machineDetails({ ...base, looked: false, remaining: [], answers: [], openOffers: [] }, NOW)).toContain(
      'tasks remaining: not looked at yet',
    );
    const text = machineDetails({ ...base, answers: [], openOffers: [] }, NOW);
    expect(text).toContain('| silent | not offered (not subscribed, or its refuse filter holds) | | 1 | 0 |');
  });
});

describe('schedule and registry details', () => {
  test('the schedule: windows open, machines by mode, a row per window', () => {
    const text = scheduleDetails(
      {
        windows: [
          { id: 'w-1', machines: 2 },
          { id: 'w-2', machines: 1 },
        ],
        entries: [
          { windowId: 'w-1', mode: 'DRAINING' },
          { windowId: 'w-1', mode: 'DOWN' },
          { windowId: 'w-2', mode: 'DRAINING' },
        ],
        outbox: 3,
      },
      NOW,
    );
    expect(text).toContain('**maintenance schedule**: 2 windows open, 2 machines DRAINING, 1 DOWN');
    expect(text).toContain('Still to carry out: 3 window starts and commands');
    expect(text).toContain('| w-1 | 2 | 1 | 1 |');
    expect(text).toContain('| w-2 | 1 | 1 | 0 |');
  });

  test('the registry: frameworks with their budgets, machines in maintenance, the budgets queue', () => {
    const text = registryDetails(
      {
        frameworks: [
          { frameworkId: 'mover', principal: 'ops', webhookUrl: 'http://x', budget: { maxTasksKilled: 2 } },
          { frameworkId: 'silent' },
        ],
        machinesInMaintenance: 6,
        granted: 1,
        waiting: 2,
      },
      NOW,
    );
    expect(text).toContain('**framework registry**: 2 frameworks subscribed, 6 machines in maintenance');
    expect(text).toContain('Disruption budgets: 1 let go, 2 waiting');
    expect(text).toContain('| mover | ops | webhook | at most 2 tasks killed |');
    expect(text).toContain('| silent | – | stream or pull | none |');
  });
});

describe('coalesced', () => {
  test('renders once for a burst of calls, after them', async () => {
    const seen: number[] = [];
    let value = 0;
    const refresh = coalesced(() => seen.push(value));
    for (value = 1; value <= 500; value++) refresh();
    value = 500;
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual([500]);
    refresh();
    await Promise.resolve();
    expect(seen).toEqual([500, 500]);
  });
});
