// Pure helpers of the benchmarks (bench-fleet, bench-scale): percentiles, /proc parsing, targets, escalation lags and
// tables. No I/O here, so that the unit tests (test/unit/bench-measure-support.test.ts) cover them exactly.
import type { MachineView } from '../src/domain/window';

/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, not ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * User + system CPU time of a process in clock ticks, from the text of /proc/<pid>/stat. The command name (field 2) is
 * in parentheses and may hold spaces or parentheses, so the fields are counted from the last ')'.
 */
export function cpuTicksFromStat(stat: string): number {
  const end = stat.lastIndexOf(')');
  if (end < 0) throw new Error('not a /proc/<pid>/stat line: no command name in parentheses');
  // After ") ": field 3 (state) is index 0, so utime (field 14) is index 11 and stime (field 15) index 12.
  const fields = stat.slice(end + 2).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('not a /proc/<pid>/stat line: no utime/stime');
  return utime + stime;
}

/** A field in kB of /proc/<pid>/status (VmHWM: peak resident set; VmRSS: now), in MiB; undefined when absent. */
export function statusFieldMb(status: string, field: 'VmHWM' | 'VmRSS'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : undefined;
}

/**
 * How late each machine's hard drain started after its deadline (ms), for the machines whose hard drain the deadline
 * triggered ('hard drain' entry with detail "deadline: …" in the machine's history). Machines drained early or by an
 * operator have none.
 */
export function escalationLagsMs(views: readonly Pick<MachineView, 'deadlineMs' | 'history'>[]): number[] {
  const lags: number[] = [];
  for (const view of views) {
    const entry = deadlineHardDrain(view);
    if (entry) lags.push(entry.atMs - view.deadlineMs);
  }
  return lags;
}

/** The 'hard drain' entry the deadline made (detail "deadline: …"), if the machine had one. */
function deadlineHardDrain(view: Pick<MachineView, 'history'>): MachineView['history'][number] | undefined {
  return view.history.find((e) => e.what === 'hard drain' && (e.detail ?? '').startsWith('deadline'));
}

/** A kill the simulated cluster logged (src/sim/fleet.ts KillRecord): the host, when, and why. */
export interface LoggedKill {
  hostname: string;
  at: string;
  reason: string;
}

/**
 * How late each deadline-escalated hard drain's first kill reached the cluster after the deadline (ms), with its
 * machine, in the order of `views`: the effect an operator sees, later than the 'hard drain' decision by however long
 * the activity took to be scheduled and run. Machines without a deadline escalation, or whose hard drain found nothing
 * to kill, have none.
 */
export function killLagsOf<V extends Pick<MachineView, 'id' | 'deadlineMs' | 'history'>>(
  views: readonly V[],
  kills: readonly LoggedKill[],
): { view: V; lagMs: number }[] {
  const firstKill = new Map<string, number>();
  for (const k of kills) {
    if (k.reason !== 'hard-drain') continue;
    const at = Date.parse(k.at);
    firstKill.set(k.hostname, Math.min(firstKill.get(k.hostname) ?? Infinity, at));
  }
  const lags: { view: V; lagMs: number }[] = [];
  for (const view of views) {
    if (!deadlineHardDrain(view)) continue;
    const at = view.id.hostname === undefined ? undefined : firstKill.get(view.id.hostname);
    if (at !== undefined) lags.push({ view, lagMs: at - view.deadlineMs });
  }
  return lags;
}

/**
 * How long each workflow task of a history waited to be taken by a worker (scheduled → started) and how long the
 * worker took (started → completed, failed or timed out), in ms: where a workflow's time goes under load.
 */
export function workflowTaskTimes(events: readonly { type: string; atMs: number }[]): { waitMs: number[]; runMs: number[] } {
  const waitMs: number[] = [];
  const runMs: number[] = [];
  let scheduledAt: number | undefined;
  let startedAt: number | undefined;
  for (const e of events) {
    if (e.type === 'WORKFLOW_TASK_SCHEDULED') scheduledAt = e.atMs;
    else if (e.type === 'WORKFLOW_TASK_STARTED' && scheduledAt !== undefined) {
      waitMs.push(e.atMs - scheduledAt);
      startedAt = e.atMs;
      scheduledAt = undefined;
    } else if (/^WORKFLOW_TASK_(COMPLETED|FAILED|TIMED_OUT)$/.test(e.type) && startedAt !== undefined) {
      runMs.push(e.atMs - startedAt);
      startedAt = undefined;
    }
  }
  return { waitMs, runMs };
}

/** How many of each item: e.g. history events by type, most frequent first. */
export function countBy(items: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export interface Target {
  name: string;
  measured: number;
  /** 'min': measured must be at least limit; 'max': at most. */
  kind: 'min' | 'max';
  limit: number;
  unit?: string;
}

/** PASS or MISS; a figure that could not be measured (NaN) is a MISS. */
export function verdict(t: Target): 'PASS' | 'MISS' {
  if (!Number.isFinite(t.measured)) return 'MISS';
  return (t.kind === 'min' ? t.measured >= t.limit : t.measured <= t.limit) ? 'PASS' : 'MISS';
}

export function targetLine(t: Target): string {
  const unit = t.unit ? ` ${t.unit}` : '';
  return `${verdict(t)}  ${t.name}: ${round(t.measured, 3)}${unit} (target ${t.kind === 'min' ? '≥' : '≤'} ${t.limit}${unit})`;
}

/** A Markdown table: the header row, then the rows; cells as given. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * A positive integer option: `--name N` or `--name=N` in argv, else the environment variable, else the default. A
 * value that is not a positive integer is an error naming the option.
 */
export function intOption(argv: readonly string[], name: string, envValue: string | undefined, fallback: number): number {
  let raw: string | undefined;
  let from = `--${name}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}`) raw = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) raw = arg.slice(name.length + 3);
  }
  if (raw === undefined && envValue !== undefined && envValue !== '') {
    raw = envValue;
    from = 'environment';
  }
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} (${from}): "${raw}" is not a positive integer`);
  return n;
}

/** One sample of Prometheus' text exposition format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text page (comments and unparsable lines left out). */
export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

/** What the server did between two scrapes of one kind of operation: how many, and the seconds they took in all. */
export interface ServerWork {
  operation: string;
  count: number;
  seconds: number;
}

/** How much a metric grew between two scrapes, by the value of `label`, summed over every other label. */
export function growthBy(before: readonly MetricSample[], after: readonly MetricSample[], name: string, label = 'operation'): Map<string, number> {
  const sums = (samples: readonly MetricSample[]): Map<string, number> => {
    const by = new Map<string, number>();
    for (const s of samples) if (s.name === name) by.set(s.labels[label] ?? '', (by.get(s.labels[label] ?? '') ?? 0) + s.value);
    return by;
  };
  const [b, a] = [sums(before), sums(after)];
  return new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)]));
}

/**
 * The server's work between two scrapes, by the value of `label` (a counter `countName` and the `_sum` of a latency
 * histogram `secondsName`, summed over every other label), most seconds first. Series that did not change are left out.
 */
export function serverWorkBetween(
  before: readonly MetricSample[],
  after: readonly MetricSample[],
  countName: string,
  secondsName: string,
  label = 'operation',
): ServerWork[] {
  const counts = growthBy(before, after, countName, label);
  const seconds = growthBy(before, after, secondsName, label);
  return [...new Set([...counts.keys(), ...seconds.keys()])]
    .map((operation) => ({ operation, count: counts.get(operation) ?? 0, seconds: seconds.get(operation) ?? 0 }))
    .filter((w) => w.count > 0 || w.seconds > 0)
    .sort((x, y) => y.seconds - x.seconds);
}
