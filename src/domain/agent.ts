// Mesos 1.9 agent draining, per agent and independent of machine modes. Pure types: workflows import them.

/** Mesos' DrainState (UNKNOWN is "not draining": no drain info at all). */
export type DrainState = 'DRAINING' | 'DRAINED';

export interface DrainConfig {
  markGone: boolean;
  /** int64 nanoseconds as a decimal string (JSON payloads); absent: each task's own grace period. */
  maxGracePeriodNs?: string;
}

/** What maint holds about an agent an operator deactivated or drained. */
export interface AgentMaintenance {
  agentId: string;
  deactivated: boolean;
  drain?: { state: DrainState; config: DrainConfig };
  /** When the drain was sent to the agent (Mesos' estimated_drain_start_time). */
  estimatedDrainStartMs?: number;
  /** Marked gone (mark_gone): the agent never comes back. */
  gone: boolean;
  /** Being marked gone right now: a new drain is refused (409), as in Mesos. */
  markingGone: boolean;
  history: { atMs: number; what: string; detail?: string }[];
}
