// How the native API shows windows and machines: ISO instants and Go-style durations instead of epoch milliseconds.
import type { MachineReport } from '../../service/machines';
import type { WindowDetail } from '../../service/windows';
import type { Policy } from '../../domain/policy';
import { formatDuration } from '../../domain/time';
import type { MachineView, Unavailability } from '../../domain/window';

const iso = (ms: number) => new Date(ms).toISOString();

function unavailability(u: Unavailability) {
  return { start: iso(u.startMs), ...(u.durationMs === undefined ? {} : { duration: formatDuration(u.durationMs) }) };
}

function policy(p: Policy) {
  const { maxGracePeriodMs, ...rest } = p;
  return { ...rest, ...(maxGracePeriodMs === undefined ? {} : { maxGracePeriod: formatDuration(maxGracePeriodMs) }) };
}

export function machineJson(m: MachineView) {
  return {
    id: m.id,
    mode: m.mode,
    phase: m.phase,
    window: m.windowId,
    unavailability: unavailability(m.unavailability),
    deadline: iso(m.deadlineMs),
    ...(m.upAtMs === undefined ? {} : { upAt: iso(m.upAtMs) }),
    waitingOn: m.waitingOn,
    answers: m.answers.map(({ atMs, ...a }) => ({ ...a, at: iso(atMs) })),
    outstandingOffers: m.outstandingOffers,
    remaining: m.remaining,
    killed: m.killed,
    history: m.history.map(({ atMs, ...e }) => ({ at: iso(atMs), ...e })),
  };
}

export function windowJson({ window: w, machines }: WindowDetail) {
  return {
    id: w.id,
    origin: w.origin ?? 'native',
    state: w.state,
    unavailability: unavailability(w.unavailability),
    deadline: iso(w.deadlineMs),
    policy: policy(w.policy),
    createdAt: iso(w.createdAtMs),
    createdBy: w.createdBy,
    ...(w.cancelledAtMs === undefined ? {} : { cancelledAt: iso(w.cancelledAtMs) }),
    ...(w.completedAtMs === undefined ? {} : { completedAt: iso(w.completedAtMs) }),
    machines: machines.map(machineJson),
  };
}

export function windowSummaryJson(w: WindowDetail['window']) {
  return {
    id: w.id,
    origin: w.origin ?? 'native',
    state: w.state,
    unavailability: unavailability(w.unavailability),
    deadline: iso(w.deadlineMs),
    createdAt: iso(w.createdAtMs),
    machines: w.machineModes.map(({ id, mode, phase }) => ({ id, mode, phase })),
  };
}

export function machineReportJson(r: MachineReport) {
  const m = r.maintenance;
  const current = m && m.phase !== 'done';
  return {
    id: r.id,
    mode: m?.mode ?? 'UP',
    ...(current ? { unavailability: unavailability(m.unavailability), window: m.windowId } : {}),
    ...(m ? { lastWindow: m.windowId, maintenance: machineJson(m) } : {}),
    history: m ? m.history.map(({ atMs, ...e }) => ({ at: iso(atMs), ...e })) : [],
    ...(r.cluster
      ? { cluster: { agentId: r.cluster.agentId, down: r.cluster.down, tasks: r.cluster.tasks.length } }
      : {}),
  };
}
