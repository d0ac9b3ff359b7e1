// What a window does on its own, beyond Mesos (which never changes a mode by itself). Pure: workflows import it.

/**
 * At the deadline: `hard-drain` kills what is left and takes the machine DOWN; `notify` reports and waits for an
 * operator; `none` does nothing at all, as Mesos (the deadline only informs frameworks).
 */
export const ESCALATIONS = ['hard-drain', 'notify', 'none'] as const;
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

/**
 * What a window posted through the Mesos-compatible endpoints does on its own: nothing, as in Mesos. Its machines
 * stay DRAINING (inverse offers out) until an operator brings them down, and DOWN until an operator brings them up.
 * An operator may configure another default (MAINT_MESOS_POLICY).
 */
export const MESOS_POLICY: Readonly<Policy> = Object.freeze({
  escalation: 'none',
  downWhenDrained: false,
  autoUp: false,
});

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  escalation: 'hard-drain',
  downWhenDrained: true,
  autoUp: true,
});

/** The grace period a task gets in a hard drain: min(task's own, max_grace_period), as Mesos' agent draining does. */
export function killGracePeriodMs(taskGraceMs: number, maxGracePeriodMs: number | undefined): number {
  return maxGracePeriodMs === undefined ? taskGraceMs : Math.min(taskGraceMs, maxGracePeriodMs);
}
