// Placement advice: where should a framework put a task that runs for a while, given the machines' maintenance?
// Pure: the API reads the registry's view of every machine in maintenance and ranks the candidates with it.
//
// Matching a candidate to a maintenance entry. Mesos' MachineID equality (machineKey) says {hostname: "a"} and
// {hostname: "a", ip: "10.0.0.1"} are different machines, which is right for a schedule but wrong for advice:
// frameworks know agents by hostname and IP, while operators often schedule by hostname only. Here a candidate
// matches an entry when the parts both give are equal (hostnames as Mesos compares them, lowercased ASCII; IPs
// exactly) and they give at least one part in common. So an entry by hostname covers every IP of that host, an
// entry by IP every hostname, and two different IPs under one hostname stay two machines. Empty parts name nothing.
// When several entries match one candidate, the worst for the task counts: advice errs on the side of caution.
import type { MachineUnavailability } from './framework';
import { asciiLower, type MachineId } from './machine';
import type { PlacementClass } from './scheduler-wire';
import { formatDuration } from './time';
import type { Unavailability } from './window';

export interface Placement {
  machine: MachineId;
  /** 1 is the best place. */
  rank: number;
  class: PlacementClass;
  /** The maintenance that decided the class, if any. */
  unavailability?: Unavailability;
  reason: string;
}

interface Verdict {
  class: PlacementClass;
  unavailability?: Unavailability;
  reason: string;
  /** Sorts within the class, smaller first. */
  order: number;
}

/** Sorts machines that never come back by themselves after those that do. */
const NO_END = Number.MAX_SAFE_INTEGER;

const CLASS_ORDER: Record<PlacementClass, number> = { NO_MAINTENANCE: 0, MAINTENANCE_AFTER_TASK: 1, DOWN_DURING_TASK: 2 };

/**
 * Ranks candidate machines for a task that starts now and runs `runtimeMs`: first machines with no maintenance (in
 * the order given), then machines whose maintenance starts once the task is over (the latest start first), last the
 * machines that would be down during the task (DOWN now, DRAINING past their start, or starting before the task
 * ends), those that come back soonest first and those with no end last. Ties keep the order given.
 */
export function rankPlacement(
  candidates: readonly MachineId[],
  maintenance: readonly MachineUnavailability[],
  nowMs: number,
  runtimeMs: number,
): Placement[] {
  const entries = new MachineIndex(maintenance, (m) => m.machine);
  const judged = candidates.map((machine, index) => {
    const verdicts = entries.covering(machine).map((m) => judge(m, nowMs, runtimeMs));
    const verdict = verdicts.reduce<Verdict>((worst, v) => (compare(v, worst) > 0 ? v : worst), NO_MAINTENANCE);
    return { machine, index, verdict };
  });
  judged.sort((a, b) => compare(a.verdict, b.verdict) || a.index - b.index);
  return judged.map(({ machine, verdict }, i) => ({
    machine,
    rank: i + 1,
    class: verdict.class,
    ...(verdict.unavailability === undefined ? {} : { unavailability: verdict.unavailability }),
    reason: verdict.reason,
  }));
}

const NO_MAINTENANCE: Verdict = { class: 'NO_MAINTENANCE', reason: 'no maintenance scheduled', order: 0 };

function compare(a: Verdict, b: Verdict): number {
  return CLASS_ORDER[a.class] - CLASS_ORDER[b.class] || a.order - b.order;
}

/** True when the candidate may be the machine of a maintenance entry (see the header). */
export function coveredBy(candidate: MachineId, entry: MachineId): boolean {
  let shared = 0;
  if (candidate.hostname && entry.hostname) {
    if (asciiLower(candidate.hostname) !== asciiLower(entry.hostname)) return false;
    shared++;
  }
  if (candidate.ip && entry.ip) {
    if (candidate.ip !== entry.ip) return false;
    shared++;
  }
  return shared > 0;
}

/**
 * Items found by the machines that may be theirs (coveredBy), without a scan of all: a framework asks advice for its
 * whole list of agents against every machine in maintenance, and comparing each with each took a third of the API's
 * CPU in bench:fleet (1,000 candidates, 200 machines in maintenance, an advice per inverse offer). Any item that may
 * be a machine shares its lowercased hostname or its IP, so those two maps hold every one.
 */
export class MachineIndex<T> {
  private readonly byHostname = new Map<string, number[]>();
  private readonly byIp = new Map<string, number[]>();

  constructor(
    private readonly items: readonly T[],
    private readonly machineOf: (item: T) => MachineId,
  ) {
    items.forEach((item, i) => {
      const { hostname, ip } = machineOf(item);
      if (hostname) push(this.byHostname, asciiLower(hostname), i);
      if (ip) push(this.byIp, ip, i);
    });
  }

  /** The items that may be `machine`, in the order given. */
  covering(machine: MachineId): T[] {
    const byHostname = machine.hostname ? (this.byHostname.get(asciiLower(machine.hostname)) ?? []) : [];
    const byIp = machine.ip ? (this.byIp.get(machine.ip) ?? []) : [];
    const at = [...new Set([...byHostname, ...byIp])].sort((a, b) => a - b); // the order given, each once
    return at.map((i) => this.items[i]!).filter((item) => coveredBy(machine, this.machineOf(item)));
  }
}

function push(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list) list.push(i);
  else map.set(key, [i]);
}

function judge(m: MachineUnavailability, nowMs: number, runtimeMs: number): Verdict {
  const u = m.unavailability;
  if (!u) {
    // Out of maintenance, or DOWN with nothing known about when it comes back.
    if (m.mode !== 'DOWN') return NO_MAINTENANCE;
    return { class: 'DOWN_DURING_TASK', reason: 'DOWN now, with no end of maintenance known', order: NO_END };
  }
  const endMs = u.durationMs === undefined ? undefined : u.startMs + u.durationMs;
  const taskEndMs = nowMs + runtimeMs;
  const back =
    endMs === undefined
      ? 'no end scheduled: back UP only when an operator says so'
      : endMs <= nowMs
        ? `its maintenance ended ${iso(endMs)}: back UP any moment`
        : `back UP ${iso(endMs)}`;
  // Comes back soonest first; no end last.
  const order = endMs ?? NO_END;
  if (m.mode === 'DOWN') {
    return { class: 'DOWN_DURING_TASK', unavailability: u, reason: `DOWN now; ${back}`, order };
  }
  if (endMs !== undefined && endMs <= nowMs && m.mode === 'UP') return NO_MAINTENANCE; // a maintenance of the past
  if (u.startMs <= nowMs) {
    const started = `${m.mode === 'DRAINING' ? 'DRAINING, ' : ''}maintenance started ${iso(u.startMs)}`;
    return {
      class: 'DOWN_DURING_TASK',
      unavailability: u,
      reason: `${started}: it goes DOWN any moment; ${back}`,
      order,
    };
  }
  if (u.startMs < taskEndMs) {
    return {
      class: 'DOWN_DURING_TASK',
      unavailability: u,
      reason: `maintenance starts ${iso(u.startMs)}, ${roughly(taskEndMs - u.startMs)} before the task would end; ${back}`,
      order,
    };
  }
  const gap = u.startMs - taskEndMs;
  return {
    class: 'MAINTENANCE_AFTER_TASK',
    unavailability: u,
    reason:
      gap === 0
        ? `maintenance starts ${iso(u.startMs)}, just as the task would end`
        : `maintenance starts ${iso(u.startMs)}, ${roughly(gap)} after the task would end`,
    // The latest start first.
    order: -u.startMs,
  };
}

/** A gap in words, to the second (to the minute past an hour): "3h", "2h59m", "45s". */
function roughly(ms: number): string {
  const unit = ms >= 3_600_000 ? 60_000 : 1_000;
  return formatDuration(Math.max(unit, Math.round(ms / unit) * unit));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
