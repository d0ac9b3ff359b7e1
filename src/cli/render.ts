// Output for people (aligned tables, optional colour) and for scripts (JSON, int64 exact).
import { stringify } from 'lossless-json';
import { formatDuration } from '../domain/time';
import type { MachineId } from '../domain/machine';
import type { MachineJson, MachineReportJson, MesosClusterStatus, MesosSchedule, Nanos, WindowJson, WindowSummaryJson } from './views';

export type Format = 'table' | 'json';

export interface Style {
  color: boolean;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
type Paint = keyof typeof CODES;

export function paint(style: Style, how: Paint, text: string): string {
  return style.color ? `\x1b[${CODES[how]}m${text}\x1b[0m` : text;
}

export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

/** JSON for scripts: BigInt as bare numbers. Pretty by default; `compact` for one object per line. */
export function json(value: unknown, compact = false): string {
  return stringify(value, undefined, compact ? undefined : 2) ?? 'null';
}

/** Columns padded to their widest cell; the last column is not padded. Cells may hold colour codes. */
export function table(headers: string[], rows: string[][], style: Style): string {
  const all = [headers.map((h) => paint(style, 'bold', h)), ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ''))));
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell)))).join('  ').trimEnd())
    .join('\n');
}

export function machineName(id: MachineId): string {
  if (id.hostname && id.ip) return `${id.hostname} (${id.ip})`;
  return id.hostname || id.ip || '<unnamed>';
}

export function modeText(style: Style, mode: string): string {
  const how: Paint | undefined = mode === 'DOWN' ? 'red' : mode === 'DRAINING' ? 'yellow' : mode === 'UP' ? 'green' : undefined;
  return how ? paint(style, how, mode) : mode;
}

/** "in 1m05s" / "4s ago" / "now", to the second. */
export function relative(atMs: number, nowMs: number): string {
  const s = Math.round((atMs - nowMs) / 1000);
  if (s === 0) return 'now';
  const text = formatDuration(Math.abs(s) * 1000);
  return s > 0 ? `in ${text}` : `${text} ago`;
}

/** "2026-11-27 14:00:05Z": ISO, to the second, readable. */
export function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function progressBar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} machines done`;
}

export const isDone = (m: { phase: string }) => m.phase === 'done';

function policyText(p: WindowJson['policy']): string {
  const parts: string[] = [p.escalation];
  parts.push(p.downWhenDrained ? 'down when drained' : 'no early down');
  parts.push(p.autoUp ? 'auto up' : 'up by operator');
  if (p.maxParallel !== undefined) parts.push(`max parallel ${p.maxParallel}`);
  if (p.maxGracePeriod !== undefined) parts.push(`max grace ${p.maxGracePeriod}`);
  return parts.join(', ');
}

function answersText(m: MachineJson): string {
  const given = m.answers.map((a) => `${a.frameworkId} ${a.answer}${a.late ? ' (late)' : ''}`);
  const open = m.outstandingOffers.filter((o) => !m.answers.some((a) => a.frameworkId === o.frameworkId)).map((o) => `${o.frameworkId} ?`);
  return [...given, ...open].join(', ') || '-';
}

/** A machine's own deadline, counting down while it still drains. */
function deadlineText(m: MachineJson, nowMs: number): string {
  if (m.mode !== 'DRAINING') return '-';
  const at = Date.parse(m.deadline);
  return at > nowMs ? relative(at, nowMs) : 'passed';
}

export function windowView(w: WindowJson, style: Style, nowMs: number): string {
  const deadline = Date.parse(w.deadline);
  const u = w.unavailability;
  const head = [
    `window ${paint(style, 'bold', w.id)}  ${stateText(style, w.state)}  (${w.origin}, by ${w.createdBy})`,
    `deadline     ${when(w.deadline)} (${relative(deadline, nowMs)})`,
    `unavailable  from ${when(u.start)}${u.duration ? ` for ${u.duration}` : ', until an operator brings the machines up'}`,
    `policy       ${policyText(w.policy)}`,
    `progress     ${progressBar(w.machines.filter(isDone).length, w.machines.length)}`,
  ];
  const rows = w.machines.map((m) => [
    machineName(m.id),
    modeText(style, m.mode),
    m.phase,
    String(m.remaining.length),
    deadlineText(m, nowMs),
    answersText(m),
    m.waitingOn || '-',
  ]);
  return `${head.join('\n')}\n\n${table(['MACHINE', 'MODE', 'PHASE', 'TASKS', 'DEADLINE', 'ANSWERS', 'WAITING ON'], rows, style)}`;
}

function stateText(style: Style, state: string): string {
  return state === 'ACTIVE' ? paint(style, 'yellow', state) : state === 'CANCELLED' ? paint(style, 'dim', state) : paint(style, 'green', state);
}

function modeCounts(machines: { mode: string }[]): string {
  const counts = new Map<string, number>();
  for (const m of machines) counts.set(m.mode, (counts.get(m.mode) ?? 0) + 1);
  return [...counts].map(([mode, n]) => `${n} ${mode}`).join(', ');
}

export function windowList(windows: WindowSummaryJson[], style: Style, nowMs: number): string {
  if (windows.length === 0) return 'no windows';
  const rows = windows.map((w) => [
    w.id,
    stateText(style, w.state),
    w.origin,
    `${when(w.deadline)} (${relative(Date.parse(w.deadline), nowMs)})`,
    w.unavailability.duration ?? '-',
    `${w.machines.length}: ${modeCounts(w.machines)}`,
  ]);
  return table(['ID', 'STATE', 'ORIGIN', 'DEADLINE', 'DURATION', 'MACHINES'], rows, style);
}

export function machineReport(r: MachineReportJson, style: Style, nowMs: number): string {
  const lines = [`machine ${paint(style, 'bold', machineName(r.id))}  ${modeText(style, r.mode)}`];
  if (r.window) lines.push(`window       ${r.window}`);
  if (r.unavailability) lines.push(`unavailable  from ${when(r.unavailability.start)}${r.unavailability.duration ? ` for ${r.unavailability.duration}` : ''}`);
  const m = r.maintenance;
  if (m) {
    if (!r.window) lines.push(`last window  ${r.lastWindow}`);
    lines.push(`phase        ${m.phase}`, `deadline     ${when(m.deadline)} (${relative(Date.parse(m.deadline), nowMs)})`);
    lines.push(`waiting on   ${m.waitingOn || '-'}`, `answers      ${answersText(m)}`, `tasks        ${m.remaining.length} remaining, ${m.killed.length} killed`);
  }
  if (r.cluster) lines.push(`cluster      agent ${r.cluster.agentId}, ${r.cluster.tasks} tasks${r.cluster.down ? ', agent down' : ''}`);
  if (r.history.length) {
    lines.push('', table(['AT', 'WHAT', 'DETAIL'], r.history.map((e) => [when(e.at), e.what, e.detail ?? '']), style));
  }
  return lines.join('\n');
}

/** Nanoseconds since the epoch as an ISO instant (to the millisecond), exact enough for reading. */
export function nanosText(n: Nanos | undefined): string {
  if (n === undefined) return '-';
  const ms = Number(BigInt(n) / 1_000_000n);
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${n}ns` : when(date.toISOString());
}

function nanosDuration(n: Nanos | undefined): string {
  if (n === undefined) return '-';
  return formatDuration(Number(BigInt(n) / 1_000_000n));
}

export function scheduleView(s: MesosSchedule, style: Style): string {
  const windows = s.windows ?? [];
  if (windows.length === 0) return 'the schedule is empty';
  const rows = windows.map((w, i) => [
    String(i),
    nanosText(w.unavailability?.start?.nanoseconds),
    nanosDuration(w.unavailability?.duration?.nanoseconds),
    (w.machine_ids ?? []).map(machineName).join(', '),
  ]);
  return table(['#', 'START', 'DURATION', 'MACHINES'], rows, style);
}

/** One row per machine in maintenance: Mesos' modes and answers, with maint's phase and window where known. */
export interface StatusRow {
  id: MachineId;
  mode: 'DRAINING' | 'DOWN';
  answers: { framework: string; answer: string }[];
  window?: string;
  phase?: string;
}

export function statusRows(status: MesosClusterStatus, windows: WindowSummaryJson[]): StatusRow[] {
  const where = (id: MachineId) => {
    const key = JSON.stringify([id.hostname?.toLowerCase(), id.ip]);
    for (const w of windows) {
      const m = w.machines.find((x) => JSON.stringify([x.id.hostname?.toLowerCase(), x.id.ip]) === key && x.phase !== 'done');
      if (m) return { window: w.id, phase: m.phase };
    }
    return {};
  };
  return [
    ...(status.draining_machines ?? []).map((d) => ({
      id: d.id,
      mode: 'DRAINING' as const,
      answers: (d.statuses ?? []).map((s) => ({ framework: s.framework_id.value, answer: s.status })),
      ...where(d.id),
    })),
    ...(status.down_machines ?? []).map((id) => ({ id, mode: 'DOWN' as const, answers: [], ...where(id) })),
  ];
}

export function statusView(rows: StatusRow[], style: Style): string {
  if (rows.length === 0) return 'no machine is in maintenance';
  return table(
    ['MACHINE', 'MODE', 'PHASE', 'WINDOW', 'ANSWERS'],
    rows.map((r) => [
      machineName(r.id),
      modeText(style, r.mode),
      r.phase ?? '-',
      r.window ?? '-',
      r.answers.map((a) => `${a.framework} ${a.answer}`).join(', ') || '-',
    ]),
    style,
  );
}
