// What a window does on its own, beyond Mesos (which never changes a mode by itself). Pure: workflows import it.

export const ESCALATIONS = ['hard-drain', 'notify'] as const;
export type Escalation = (typeof ESCALATIONS)[number];

export interface Policy {
  /** At the deadline: kill what is left and take the machine DOWN, or only report and leave DOWN to the operator. */
  escalation: Escalation;
  /** Take a machine DOWN before the deadline as soon as nothing runs on it. */
  downWhenDrained: boolean;
  /** Bring machines UP when their unavailability ends (start + duration). Without a duration they stay DOWN. */
  autoUp: boolean;
  /** At most this many machines of the window past DRAINING (hard-draining or DOWN) at once. */
  maxParallel?: number;
  /** Caps each task's kill grace period in a hard drain (Mesos' max_grace_period). */
  maxGracePeriodMs?: number;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  escalation: 'hard-drain',
  downWhenDrained: true,
  autoUp: true,
});

/** The grace period a task gets in a hard drain: min(task's own, max_grace_period), as Mesos' agent draining does. */
export function killGracePeriodMs(taskGraceMs: number, maxGracePeriodMs: number | undefined): number {
  return maxGracePeriodMs === undefined ? taskGraceMs : Math.min(taskGraceMs, maxGracePeriodMs);
}
