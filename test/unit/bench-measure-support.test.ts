import {
  countBy,
  cpuTicksFromStat,
  escalationLagsMs,
  intOption,
  killLagsOf,
  parsePrometheusText,
  percentile,
  serverWorkBetween,
  statusFieldMb,
  table,
  targetLine,
  verdict,
  workflowTaskTimes,
} from '../../scripts/bench-measure-support';

describe('percentile (nearest rank)', () => {
  it('takes the value at the rank, not an interpolation', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 100)).toBe(5);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 20)).toBe(1);
    expect(percentile(values, 21)).toBe(2);
  });

  it('gives the largest of 100 values but one for p99, and the largest of fewer', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile([10, 20, 30], 99)).toBe(30);
  });

  it('is NaN for no values and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });
});

describe('/proc parsing', () => {
  it('adds utime and stime of a stat line, whatever the command name holds', () => {
    // Fields 14 and 15 (utime 1234, stime 56) after a command name with a space and a parenthesis.
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 1234 56 0 0 20 0 11 0 500 1000 200';
    expect(cpuTicksFromStat(stat)).toBe(1290);
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => cpuTicksFromStat('hello')).toThrow(/parentheses/);
    expect(() => cpuTicksFromStat('1 (x) S 1')).toThrow(/utime/);
  });

  it('reads VmHWM and VmRSS in MiB from a status file', () => {
    const status = 'Name:\tnode\nVmPeak:\t 9999 kB\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n';
    expect(statusFieldMb(status, 'VmHWM')).toBe(2);
    expect(statusFieldMb(status, 'VmRSS')).toBe(1);
    expect(statusFieldMb('Name:\tnode\n', 'VmHWM')).toBeUndefined();
  });
});

describe('escalation lags', () => {
  it('counts only hard drains the deadline started, from the deadline', () => {
    const lags = escalationLagsMs([
      { deadlineMs: 1_000, history: [{ atMs: 0, what: 'DRAINING' }, { atMs: 1_250, what: 'hard drain', detail: 'deadline: killing 2 tasks' }] },
      { deadlineMs: 1_000, history: [{ atMs: 400, what: 'hard drain', detail: 'drained: killing 0 tasks' }] },
      { deadlineMs: 1_000, history: [{ atMs: 900, what: 'hard drain', detail: 'operator: killing 1 tasks' }] },
      { deadlineMs: 5_000, history: [{ atMs: 5_010, what: 'hard drain', detail: 'deadline: killing 1 tasks' }] },
    ]);
    expect(lags).toEqual([250, 10]);
  });
});

describe('kill lags', () => {
  it('takes the first hard-drain kill of each deadline-escalated machine, from its deadline', () => {
    const view = (hostname: string, detail: string) => ({
      id: { hostname },
      deadlineMs: Date.parse('2026-01-01T00:00:01.000Z'),
      history: [{ atMs: 0, what: 'hard drain', detail }],
    });
    const lags = killLagsOf(
      [view('a', 'deadline: killing 2 tasks'), view('b', 'drained: killing 0 tasks'), view('c', 'deadline: killing 1 tasks'), view('d', 'deadline: killing 1 tasks')],
      [
        { hostname: 'a', at: '2026-01-01T00:00:01.700Z', reason: 'hard-drain' },
        { hostname: 'a', at: '2026-01-01T00:00:01.300Z', reason: 'hard-drain' },
        { hostname: 'b', at: '2026-01-01T00:00:00.500Z', reason: 'hard-drain' },
        { hostname: 'c', at: '2026-01-01T00:00:00.900Z', reason: 'drain' },
        { hostname: 'c', at: '2026-01-01T00:00:02.000Z', reason: 'hard-drain' },
      ],
    ).map((k) => k.lagMs);
    expect(lags).toEqual([300, 1_000]); // d killed nothing: no lag
  });

  it('says which machine each lag is of', () => {
    const views = ['a', 'b'].map((hostname) => ({ id: { hostname }, deadlineMs: 1_000, history: [{ atMs: 0, what: 'hard drain', detail: 'deadline: killing 1 tasks' }] }));
    const kills = [
      { hostname: 'b', at: new Date(1_250).toISOString(), reason: 'hard-drain' },
      { hostname: 'a', at: new Date(1_100).toISOString(), reason: 'hard-drain' },
    ];
    expect(killLagsOf(views, kills)).toEqual([
      { view: views[0], lagMs: 100 },
      { view: views[1], lagMs: 250 },
    ]);
  });
});

describe('workflow task times', () => {
  it("pairs each task's scheduled, started and closing events; other events between them do not count", () => {
    const times = workflowTaskTimes([
      { type: 'WORKFLOW_EXECUTION_STARTED', atMs: 0 },
      { type: 'WORKFLOW_TASK_SCHEDULED', atMs: 0 },
      { type: 'WORKFLOW_TASK_STARTED', atMs: 40 },
      { type: 'WORKFLOW_TASK_COMPLETED', atMs: 45 },
      { type: 'TIMER_FIRED', atMs: 1_000 },
      { type: 'WORKFLOW_TASK_SCHEDULED', atMs: 1_000 },
      { type: 'WORKFLOW_EXECUTION_SIGNALED', atMs: 1_100 },
      { type: 'WORKFLOW_TASK_STARTED', atMs: 3_000 },
      { type: 'WORKFLOW_TASK_FAILED', atMs: 3_020 },
      { type: 'WORKFLOW_TASK_SCHEDULED', atMs: 3_020 },
      { type: 'WORKFLOW_TASK_STARTED', atMs: 3_030 },
      { type: 'WORKFLOW_TASK_COMPLETED', atMs: 3_032 },
    ]);
    expect(times).toEqual({ waitMs: [40, 2_000, 10], runMs: [5, 20, 2] });
  });
});

describe('helpers', () => {
  it('counts items, most frequent first, ties by name', () => {
    expect(countBy(['b', 'a', 'b', 'c', 'a', 'b'])).toEqual([
      ['b', 3],
      ['a', 2],
      ['c', 1],
    ]);
  });

  it('says PASS or MISS, and MISS for a figure that could not be measured', () => {
    expect(verdict({ name: 'r', measured: 0.5, kind: 'min', limit: 0.5 })).toBe('PASS');
    expect(verdict({ name: 'r', measured: 0.49, kind: 'min', limit: 0.5 })).toBe('MISS');
    expect(verdict({ name: 'l', measured: 1001, kind: 'max', limit: 1000 })).toBe('MISS');
    expect(verdict({ name: 'l', measured: Number.NaN, kind: 'max', limit: 1000 })).toBe('MISS');
    expect(targetLine({ name: 'lag', measured: 12.3456, kind: 'max', limit: 1000, unit: 'ms' })).toBe(
      'PASS  lag: 12.346 ms (target ≤ 1000 ms)',
    );
  });

  it('renders a Markdown table', () => {
    expect(table(['a', 'b'], [[1, 'x']])).toBe('| a | b |\n| --- | --- |\n| 1 | x |');
  });

  it('reads a positive integer option from argv, then the environment, then the default', () => {
    expect(intOption(['--machines', '200'], 'machines', '50', 1000)).toBe(200);
    expect(intOption(['--machines=300'], 'machines', undefined, 1000)).toBe(300);
    expect(intOption([], 'machines', '50', 1000)).toBe(50);
    expect(intOption([], 'machines', '', 1000)).toBe(1000);
    expect(() => intOption(['--machines', 'lots'], 'machines', undefined, 1000)).toThrow('--machines (--machines): "lots" is not a positive integer');
    expect(() => intOption([], 'machines', '0', 1000)).toThrow(/environment.*"0"/);
  });
});

describe("the dev server's own metrics (what the server did for each side)", () => {
  const page = (updates: number, updateSeconds: number) =>
    [
      '# HELP persistence_requests persistence requests',
      '# TYPE persistence_requests counter',
      `persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} ${updates}`,
      'persistence_requests{namespace="system",operation="GetNamespace",service_name="frontend"} 7',
      `persistence_latency_sum{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} ${updateSeconds}`,
      'persistence_latency_sum{namespace="system",operation="GetNamespace",service_name="frontend"} 0.5',
      'persistence_latency_sum{namespace="default",operation="GetNamespace",service_name="frontend"} 1e-3',
      'label_with_escapes{note="a \\"quoted\\" \\\\ value"} 1',
      'not a sample',
    ].join('\n');

  test('samples with their labels, escapes undone; comments and garbage left out', () => {
    const samples = parsePrometheusText(page(3, 0.25));
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({
      name: 'persistence_requests',
      labels: { namespace: 'default', operation: 'UpdateWorkflowExecution', service_name: 'history' },
      value: 3,
    });
    expect(samples[4]!.value).toBe(0.001);
    expect(samples[5]!.labels.note).toBe('a "quoted" \\ value');
  });

  test('the work between two scrapes, by operation over every other label, most seconds first; unchanged left out', () => {
    const work = serverWorkBetween(parsePrometheusText(page(3, 0.25)), parsePrometheusText(page(10, 2.25)), 'persistence_requests', 'persistence_latency_sum');
    expect(work).toEqual([{ operation: 'UpdateWorkflowExecution', count: 7, seconds: 2 }]);
    // A series new in the second scrape counts from zero.
    const fresh = serverWorkBetween([], parsePrometheusText(page(3, 0.25)), 'persistence_requests', 'persistence_latency_sum');
    expect(fresh.map((w) => [w.operation, w.count])).toEqual([['GetNamespace', 7], ['UpdateWorkflowExecution', 3]]);
  });
});
