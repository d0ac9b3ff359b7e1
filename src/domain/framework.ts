// Frameworks (schedulers) as maint knows them, and what maint tells them. Pure types: workflows, activities, the API
// and the client share them. How a notice looks on the wire (Mesos v1 scheduler events) is scheduler-events.ts.
import type { MachineId } from './machine';
import type { MachineMode, Unavailability } from './window';

/** How a framework will handle a machine's maintenance: move its tasks away, or wait the downtime out. */
export const PLANS = ['MOVE', 'WAIT'] as const;
export type Plan = (typeof PLANS)[number];

/**
 * A framework's disruption budget (Aurora's job SLA, Kubernetes' PDB): how much maint may take from it at once.
 * A machine counts against it from its hard drain until it is UP again, with the framework's tasks it killed there.
 */
export interface DisruptionBudget {
  /** At most this many of the framework's tasks killed by hard drains at once. */
  maxTasksKilled?: number;
  /** At most this many machines that hosted its tasks DOWN (or being drained hard) at once. */
  maxMachinesDown?: number;
}

/** One registered framework (the registry's record; the webhook secret lives only, sealed, in its mailbox). */
export interface FrameworkSubscription {
  frameworkId: string;
  name: string;
  /** The principal that subscribed it: the only one that may act for it (answers, unsubscribe, events). */
  principal?: string;
  /** Where maint POSTs events (signed); absent for frameworks that stream or pull. */
  webhookUrl?: string;
  /** Mesos' PARTITION_AWARE capability: tasks lost with their machine are reported TASK_GONE_BY_OPERATOR. */
  partitionAware?: boolean;
  budget?: DisruptionBudget;
  subscribedAtMs: number;
}

export interface ResourceAmount {
  name: string; // cpus, mem, disk
  scalar: number;
}

/** A machine's maintenance as frameworks see it; no unavailability means it is out of maintenance (UP). */
export interface MachineUnavailability {
  /** machineKey(machine). */
  key: string;
  machine: MachineId;
  agentId?: string;
  mode: MachineMode;
  unavailability?: Unavailability;
}

export interface OfferNotice {
  offerId: string;
  agentId: string;
  unavailability: { startMs: number; durationMs?: number; exact?: { startNs: string; durationNs?: string } };
  /** Present since the scheduler API; older notices (recorded histories) lack them. */
  machine?: MachineId;
  /** What the framework holds on the agent: the resources of its tasks there. */
  resources?: ResourceAmount[];
  /** Ids of the persistent volumes its tasks hold there. */
  volumes?: string[];
}

/** What maint tells a framework, before it is rendered as a Mesos v1 scheduler event (scheduler-events.ts). */
export type FrameworkNotice =
  | { kind: 'inverse-offers'; offers: OfferNotice[] }
  | { kind: 'rescind-inverse-offer'; offerId: string }
  /** Machines whose maintenance changed; `full` when this is every machine in maintenance (a resync). */
  | { kind: 'unavailability'; machines: MachineUnavailability[]; full?: boolean }
  /**
   * The framework's tasks killed on a machine. `gone` when the framework did not plan to wait the downtime out:
   * a PARTITION_AWARE framework then gets TASK_GONE_BY_OPERATOR, others TASK_KILLED (REASON_SLAVE_DRAINING).
   */
  | {
      kind: 'tasks-killed';
      machine: MachineId;
      agentId?: string;
      tasks: { taskId: string; volumes: string[] }[];
      gone: boolean;
      cause: 'hard-drain' | 'agent-drain';
    }
  /** The machine is UP again; `volumesIntact` are the framework's persistent volumes kept through the downtime. */
  | { kind: 'machine-up'; machine: MachineId; agentId?: string; volumesIntact: string[] };
