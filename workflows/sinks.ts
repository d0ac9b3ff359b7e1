// What machine workflows tell the worker's metrics and logs (src/observability/sinks.ts), through a Temporal sink.
// A sink call issues no command, so adding or changing one needs no patch; the worker registers these with
// `callDuringReplay: false`, so a replayed history counts nothing twice. Times are workflow time (deterministic).
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { MachineId } from '../src/domain/machine';
import type { MachineState } from './machine-state';

/** How a machine got DOWN: empty before its deadline, a hard drain at the deadline, or an operator's down. */
export type DownHow = 'drained' | 'hard-drain' | 'operator';

export interface MachineFacts {
  windowId: string;
  machine: MachineId;
}

export interface MaintenanceSinks extends Sinks {
  maintenance: {
    draining(e: MachineFacts & { deadlineMs: number }): void;
    answered(e: MachineFacts & { frameworkId: string; answer: 'ACCEPT' | 'DECLINE'; late: boolean }): void;
    hardDrainStarted(e: MachineFacts & { how: DownHow; tasks: number }): void;
    down(e: MachineFacts & { how: DownHow; drainingSinceMs: number; hardDrainStartedMs: number; downAtMs: number; killed: number }): void;
    up(e: MachineFacts & { why: string }): void;
  };
}

const { maintenance } = proxySinks<MaintenanceSinks>();

const facts = (m: MachineState): MachineFacts => ({ windowId: m.windowId, machine: m.machine });

/** A machine's events, read from its state right after it changed (machine.ts calls these). */
export const observe = {
  draining(m: MachineState): void {
    maintenance.draining({ ...facts(m), deadlineMs: m.deadlineMs });
  },

  /** Offer ids answered before `recordAnswers`: the answers recorded now are the others. */
  answeredBefore(m: MachineState): Set<string> {
    return new Set(m.snapshot().answers.map((a) => a.offerId));
  },

  answers(m: MachineState, before: Set<string>): void {
    for (const a of m.snapshot().answers) {
      if (before.has(a.offerId)) continue;
      maintenance.answered({ ...facts(m), frameworkId: a.frameworkId, answer: a.answer, late: a.late });
    }
  },

  hardDrainStarted(m: MachineState): void {
    const started = lastHardDrain(m);
    maintenance.hardDrainStarted({ ...facts(m), how: started.how, tasks: m.snapshot().remaining.length });
  },

  down(m: MachineState): void {
    const history = m.snapshot().history;
    const drainingSinceMs = history.find((e) => e.what === 'DRAINING')?.atMs ?? history[0]?.atMs ?? Date.now();
    const started = lastHardDrain(m);
    const downAtMs = [...history].reverse().find((e) => e.what === 'DOWN')?.atMs ?? Date.now();
    maintenance.down({
      ...facts(m),
      how: started.how,
      drainingSinceMs,
      hardDrainStartedMs: started.atMs,
      downAtMs,
      killed: m.snapshot().killed.length,
    });
  },

  up(m: MachineState): void {
    const last = [...m.snapshot().history].reverse().find((e) => e.what === 'UP');
    maintenance.up({ ...facts(m), why: last?.detail ?? 'up' });
  },
};

/**
 * The latest hard drain in the machine's history (it may have started in a run before a continue-as-new): when, and
 * why, from the reason its entry starts with (machine-state.ts: "operator", "drained" or "deadline").
 */
function lastHardDrain(m: MachineState): { atMs: number; how: DownHow } {
  const entry = [...m.snapshot().history].reverse().find((e) => e.what === 'hard drain');
  const reason = entry?.detail?.split(':')[0];
  const how: DownHow = reason === 'operator' ? 'operator' : reason === 'drained' ? 'drained' : 'hard-drain';
  return { atMs: entry?.atMs ?? Date.now(), how };
}
