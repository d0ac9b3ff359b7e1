// What the Temporal Web UI shows of maint's workflows: one-line summaries (of workflows, timers and activities) and the
// markdown of their current details. Pure and deterministic (workflow code calls it; unit tests read its output).
// Current details are no command and leave no history, but they are rebuilt at every change: tables are capped, so
// that a window of 500 machines or a registry of many frameworks renders a bounded string.
import type { MachineMode, MachinePhase } from '../src/domain/window';
import { formatDurationShort, formatUtcClock } from '../src/domain/time';

/** Rows a details table shows; the rest are counted in a last line. */
export const MAX_DETAIL_ROWS = 50;
/** A cell longer than this is cut: the UI renders details from a URL, which must stay short. */
const MAX_CELL = 160;

/** "1 task", "4 tasks". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A markdown table of at most `max` rows, then a line saying how many were left out. Columns named in `centered` are
 * centred: the UI renders tables without cell padding, and a number next to a date would read as one.
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  { max = MAX_DETAIL_ROWS, centered = [] }: { max?: number; centered?: readonly string[] } = {},
): string {
  // An empty cell is "| |", as maint's details always wrote it.
  const line = (cells: readonly string[]) => `|${cells.map((c) => (c ? ` ${cell(c)} ` : ' ')).join('|')}|`;
  const rule = `|${headers.map((h) => (centered.includes(h) ? ':---:' : '---')).join('|')}|`;
  const out = [line(headers), rule, ...rows.slice(0, max).map(line)];
  if (rows.length > max) out.push('', `… and ${rows.length - max} more`);
  return out.join('\n');
}

/** A table cell: one line, no column break, bounded. */
function cell(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/**
 * Calls `render` once after the handlers of the current activation have run, however many asked for it: a burst of
 * 500 machine reports renders a window's details once, not 500 times.
 */
export function coalesced(render: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    void Promise.resolve().then(() => {
      pending = false;
      render();
    });
  };
}

// ---- workflow summaries (static, set at start) --------------------------------------------------------------------

export function machineWorkflowSummary(label: string, deadlineMs: number, windowId: string, nowMs: number): string {
  return `${label}: drain by ${formatUtcClock(deadlineMs, nowMs)}, window ${windowId}`;
}

export function windowWorkflowSummary(
  w: { id: string; machines: number; deadlineMs: number; origin?: 'native' | 'mesos'; upAfterMs?: number },
  nowMs: number,
): string {
  const what = `window ${w.id}${w.origin === 'mesos' ? ' (Mesos schedule)' : ''}: ${count(w.machines, 'machine')}`;
  const by = w.origin === 'mesos' ? `unavailable from ${formatUtcClock(w.deadlineMs, nowMs)}` : `drain by ${formatUtcClock(w.deadlineMs, nowMs)}`;
  const back = w.upAfterMs === undefined ? '' : `, down for ${formatDurationShort(w.upAfterMs)}`;
  return `${what}, ${by}${back}`;
}

// ---- activity summaries -------------------------------------------------------------------------------------------

/** "hard drain sim-07: kill 4 tasks, grace ≤ 30s": each task gets min(its own grace, the policy's maximum). */
export function hardDrainSummary(label: string, tasks: number, maxGracePeriodMs: number | undefined, thenDown = false): string {
  const grace = maxGracePeriodMs === undefined ? "each task's own grace" : `grace ≤ ${formatDurationShort(maxGracePeriodMs)}`;
  return `hard drain ${label}: kill ${count(tasks, 'task')}, ${grace}${thenDown ? ', then shut it down' : ''}`;
}

/** A window's deadline kills armed for its machines (window-arms-kills). */
export function windowDeadlineKillSummary(windowId: string, machines: number, deadlineMs: number, nowMs: number): string {
  return `hard drain the ${count(machines, 'machine')} of window ${windowId} at the deadline, ${formatUtcClock(deadlineMs, nowMs)}, unless called off by then`;
}

/** The deadline's kills armed ahead of it (armed-kills). */
export function deadlineKillSummary(label: string, deadlineMs: number, nowMs: number): string {
  return `hard drain ${label} at its deadline, ${formatUtcClock(deadlineMs, nowMs)}, unless called off by then`;
}

export function agentDrainSummary(agentId: string, maxGracePeriodMs: number | undefined, markGone: boolean): string {
  const grace = maxGracePeriodMs === undefined ? "each task's own grace" : `grace ≤ ${formatDurationShort(maxGracePeriodMs)}`;
  return `drain agent ${agentId}: kill its tasks (${grace}), wait until none is left${markGone ? ', then mark it gone' : ''}`;
}

export function lookSummary(label: string, phase: MachinePhase, tasksAtLastLook: number | undefined): string {
  const last = tasksAtLastLook === undefined ? 'first look' : `${count(tasksAtLastLook, 'task')} at the last look`;
  return `look at ${label} (${phase}): tasks and answers, ${last}`;
}

// ---- timer summaries ----------------------------------------------------------------------------------------------

/** Why a draining machine waits: the deadline, a refuse filter ending, or only until its next look. */
export function drainWaitSummary(
  label: string,
  phase: MachinePhase,
  wait:
    | { kind: 'deadline'; atMs: number }
    | { kind: 'armed-kills'; untilMs: number }
    | { kind: 'refuse-filter'; atMs: number }
    | { kind: 'look'; inMs: number },
  nowMs: number,
): string {
  switch (wait.kind) {
    case 'deadline':
      return `deadline of ${label} at ${formatUtcClock(wait.atMs, nowMs)}`;
    case 'armed-kills':
      return `deadline of ${label} passed: its armed kills act first (until ${formatUtcClock(wait.untilMs, nowMs)})`;
    case 'refuse-filter':
      return `a refuse filter on ${label} ends at ${formatUtcClock(wait.atMs, nowMs)}: offer again`;
    case 'look': {
      const why = WAITING_FOR[phase];
      return `look at ${label} again in ${formatDurationShort(wait.inMs)}${why ? ` (${why})` : ''}`;
    }
  }
}

const WAITING_FOR: Partial<Record<MachinePhase, string>> = {
  'awaiting-operator': 'deadline passed: an operator decides',
  'waiting-for-slot': 'waits for a slot',
  'waiting-for-budget': "waits for the frameworks' disruption budgets",
};

export function upTimerSummary(label: string, upAtMs: number, nowMs: number): string {
  return `bring ${label} up at ${formatUtcClock(upAtMs, nowMs)} (end of its unavailability)`;
}

export function lastNoticesSummary(label: string, waitMs: number): string {
  return `${label}: let the last notices reach the frameworks (at most ${formatDurationShort(waitMs)})`;
}

// ---- window details -----------------------------------------------------------------------------------------------

export interface WindowDetailsMachine {
  label: string;
  mode: MachineMode;
  phase: MachinePhase;
  /** Tasks on the machine at its last report; undefined before it reported any. */
  remaining?: number;
  upAtMs?: number;
}

export interface WindowDetailsInput {
  id: string;
  state: string;
  deadlineMs: number;
  escalation: string;
  maxParallel?: number;
  machines: Iterable<WindowDetailsMachine>;
}

/** The window's current details: how many machines are in each mode, then one row per machine (capped). */
export function windowDetails(w: WindowDetailsInput, nowMs: number): string {
  const modes: Record<MachineMode, number> = { DRAINING: 0, DOWN: 0, UP: 0 };
  const active: string[][] = [];
  const over: string[][] = [];
  let total = 0;
  for (const m of w.machines) {
    total++;
    modes[m.mode]++;
    // Machines still in maintenance first; rows past the cap are never built (500 machines make 50 rows, not 500).
    const rows = m.phase === 'done' ? over : active;
    if (rows.length >= MAX_DETAIL_ROWS) continue;
    rows.push([
      m.label,
      m.mode,
      m.phase,
      m.remaining === undefined ? '–' : String(m.remaining),
      m.phase === 'down' || m.phase === 'done' || m.phase === 'hard-draining' ? '–' : formatUtcClock(w.deadlineMs, nowMs),
      machineWaitsOn(m, w, nowMs),
    ]);
  }
  const rows = [...active, ...over].slice(0, MAX_DETAIL_ROWS);
  const pacing = w.maxParallel === undefined ? '' : ` · at most ${w.maxParallel} down at once`;
  const table = markdownTable(['machine', 'mode', 'phase', 'tasks remaining', 'deadline', 'waiting on'], rows, {
    centered: ['tasks remaining'],
  });
  const more = total > rows.length ? `\n\n… and ${total - rows.length} more` : '';
  return [
    `**window ${w.id}** is **${w.state}**: ${count(total, 'machine')}, ${modes.DRAINING} DRAINING, ${modes.DOWN} DOWN, ${modes.UP} UP`,
    '',
    `Deadline: ${formatUtcClock(w.deadlineMs, nowMs)} · escalation ${w.escalation}${pacing}`,
    '',
    table + more,
    '',
    `Tasks remaining as each machine last reported (at its changes of phase and answers) · updated ${formatUtcClock(nowMs, nowMs)}`,
  ].join('\n');
}

function machineWaitsOn(m: WindowDetailsMachine, w: WindowDetailsInput, nowMs: number): string {
  const tasks = m.remaining ? `${count(m.remaining, 'task')} to leave, ` : '';
  switch (m.phase) {
    case 'draining':
      return w.escalation === 'none' && nowMs >= w.deadlineMs
        ? `${tasks}an operator to bring it down`
        : `${tasks}answers, the deadline ${formatUtcClock(w.deadlineMs, nowMs)}`;
    case 'awaiting-operator':
      return 'an operator: the deadline passed (escalation notify)';
    case 'waiting-for-slot':
      return `a slot (at most ${w.maxParallel} down at once)`;
    case 'waiting-for-budget':
      return "the frameworks' disruption budgets";
    case 'hard-draining':
      return 'the hard drain to finish';
    case 'down':
      return m.upAtMs === undefined ? 'its unavailability to end, or an operator' : `up at ${formatUtcClock(m.upAtMs, nowMs)}`;
    case 'done':
      return 'nothing: back UP';
  }
}

// ---- machine details ----------------------------------------------------------------------------------------------

export interface MachineDetailsInput {
  label: string;
  mode: MachineMode;
  phase: MachinePhase;
  windowId: string;
  deadlineMs: number;
  upAtMs?: number;
  waitingOn: string;
  remaining: readonly { frameworkId: string }[];
  killed: readonly { frameworkId: string }[];
  answers: readonly { frameworkId: string; answer: string; atMs: number; late: boolean; plan?: string }[];
  openOffers: readonly { frameworkId: string }[];
  /** Has the machine been looked at yet (tasks are unknown before). */
  looked: boolean;
}

/**
 * The machine's current details: what it waits on, the deadline and tasks remaining, then one row per framework that
 * holds tasks here, was offered or answered: its answer (and when), its tasks here, and what the hard drain killed.
 */
export function machineDetails(m: MachineDetailsInput, nowMs: number): string {
  const frameworks = new Map<string, { tasks: number; killed: number; answer?: string; atMs?: number; offer: boolean }>();
  const row = (id: string) => {
    let r = frameworks.get(id);
    if (!r) frameworks.set(id, (r = { tasks: 0, killed: 0, offer: false }));
    return r;
  };
  for (const a of m.answers) {
    const r = row(a.frameworkId);
    r.answer = `${a.answer}${a.late ? ' (late)' : ''}${a.plan ? `, plan ${a.plan}` : ''}`;
    r.atMs = a.atMs;
  }
  for (const o of m.openOffers) row(o.frameworkId).offer = true;
  for (const t of m.remaining) row(t.frameworkId).tasks++;
  for (const t of m.killed) row(t.frameworkId).killed++;
  const rows = [...frameworks].map(([id, r]) => [
    id,
    r.answer ?? (r.offer ? 'no answer yet' : r.tasks ? 'not offered (not subscribed, or its refuse filter holds)' : '–'),
    r.atMs === undefined ? '' : iso(r.atMs),
    String(r.tasks),
    String(r.killed),
  ]);
  const tasks = m.looked ? String(m.remaining.length) : 'not looked at yet';
  const up = m.upAtMs === undefined ? '' : ` · up at ${iso(m.upAtMs)}`;
  return [
    `**${m.label}** is **${m.mode}** (${m.phase}) in window ${m.windowId}`,
    '',
    `Waiting on: ${m.waitingOn}`,
    '',
    `Deadline: ${iso(m.deadlineMs)} · tasks remaining: ${tasks} · killed: ${m.killed.length}${up}`,
    '',
    rows.length
      ? markdownTable(['framework', 'answer', 'at', 'tasks here', 'killed'], rows, { centered: ['tasks here', 'killed'] })
      : 'No framework has tasks here.',
    '',
    `Updated ${formatUtcClock(nowMs, nowMs)}`,
  ].join('\n');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// ---- schedule and registry details --------------------------------------------------------------------------------

export interface ScheduleDetailsInput {
  windows: Iterable<{ id: string; machines: number }>;
  /** Every machine in maintenance, with its window. */
  entries: Iterable<{ windowId: string; mode: 'DRAINING' | 'DOWN' }>;
  /** Effects (window starts, commands to machines) not carried out yet. */
  outbox: number;
}

/** The schedule's current details: machines in maintenance by mode, then one row per window (capped). */
export function scheduleDetails(s: ScheduleDetailsInput, nowMs: number): string {
  const byWindow = new Map<string, { DRAINING: number; DOWN: number }>();
  const modes = { DRAINING: 0, DOWN: 0 };
  for (const e of s.entries) {
    modes[e.mode]++;
    let w = byWindow.get(e.windowId);
    if (!w) byWindow.set(e.windowId, (w = { DRAINING: 0, DOWN: 0 }));
    w[e.mode]++;
  }
  const rows: string[][] = [];
  let windows = 0;
  for (const w of s.windows) {
    windows++;
    if (rows.length >= MAX_DETAIL_ROWS) continue;
    const m = byWindow.get(w.id);
    rows.push([w.id, String(w.machines), String(m?.DRAINING ?? 0), String(m?.DOWN ?? 0)]);
  }
  const more = windows > rows.length ? `\n\n… and ${windows - rows.length} more` : '';
  return [
    `**maintenance schedule**: ${count(windows, 'window')} open, ${modes.DRAINING} machines DRAINING, ${modes.DOWN} DOWN`,
    '',
    ...(s.outbox ? [`Still to carry out: ${count(s.outbox, 'window start or command', 'window starts and commands')}`, ''] : []),
    (rows.length
      ? markdownTable(['window', 'machines', 'DRAINING', 'DOWN'], rows, { centered: ['machines', 'DRAINING', 'DOWN'] })
      : 'No window is open.') + more,
    '',
    `Updated ${formatUtcClock(nowMs, nowMs)}`,
  ].join('\n');
}

export interface RegistryDetailsInput {
  frameworks: Iterable<{
    frameworkId: string;
    principal?: string;
    webhookUrl?: string;
    budget?: { maxTasksKilled?: number; maxMachinesDown?: number };
  }>;
  machinesInMaintenance: number;
  /** Machines the budgets let go, and machines waiting for them. */
  granted: number;
  waiting: number;
}

/** The framework registry's current details: machines in maintenance, the budgets' queue, one row per framework. */
export function registryDetails(r: RegistryDetailsInput, nowMs: number): string {
  const rows: string[][] = [];
  let total = 0;
  for (const f of r.frameworks) {
    total++;
    if (rows.length >= MAX_DETAIL_ROWS) continue;
    const budget = [
      f.budget?.maxTasksKilled === undefined ? '' : `${f.budget.maxTasksKilled} tasks killed`,
      f.budget?.maxMachinesDown === undefined ? '' : `${f.budget.maxMachinesDown} machines down`,
    ].filter(Boolean);
    rows.push([f.frameworkId, f.principal ?? '–', f.webhookUrl ? 'webhook' : 'stream or pull', budget.length ? `at most ${budget.join(', ')}` : 'none']);
  }
  const more = total > rows.length ? `\n\n… and ${total - rows.length} more` : '';
  return [
    `**framework registry**: ${count(total, 'framework')} subscribed, ${count(r.machinesInMaintenance, 'machine')} in maintenance`,
    '',
    `Disruption budgets: ${r.granted} let go, ${r.waiting} waiting`,
    '',
    (rows.length ? markdownTable(['framework', 'principal', 'events by', 'budget'], rows) : 'No framework is subscribed.') + more,
    '',
    `Updated ${formatUtcClock(nowMs, nowMs)}`,
  ].join('\n');
}
