// The port to whatever really runs and kills tasks. Only activities call it. Implementations: SimDriver (the simulated
// fleet's HTTP API); later a Mesos operator API or Kubernetes driver.
import type { MachineId } from '../domain/machine';

export interface Resource {
  name: string; // "cpus", "mem", "disk"
  scalar: number;
}

export interface ClusterTask {
  taskId: string;
  frameworkId: string;
  agentId: string;
  name: string;
  resources: Resource[];
  /** The task's own kill grace period (its kill policy). */
  gracePeriodMs: number;
  /** Ids of persistent volumes the task holds on this machine. */
  volumes: string[];
  /** RUNNING, or KILLING while a kill's grace period runs. */
  state: 'RUNNING' | 'KILLING';
}

export interface ClusterMachine {
  id: MachineId; // always both hostname and ip, as a Mesos agent's machine
  agentId: string;
  /** DOWN in the cluster's own sense: the agent is shut down and takes no tasks. */
  down: boolean;
  tasks: ClusterTask[];
}

/**
 * A cluster agent (Mesos 1.9's agent view, as GET_AGENTS lists it). One per machine in the sim. An agent is active,
 * deactivated (takes no new tasks; running tasks keep running) or gone (removed for good: never takes tasks again).
 */
export interface ClusterAgent {
  agentId: string;
  /** The machine the agent runs on: always both hostname and ip. */
  machine: MachineId;
  /** The machine is shut down (DOWN): the agent runs nothing. */
  down: boolean;
  /** Takes no new tasks; tasks already running keep running. True for a gone agent. */
  deactivated: boolean;
  /** Marked gone: permanently removed, takes no task again and cannot be reactivated. */
  gone: boolean;
  /** When the agent (last) registered, in epoch milliseconds. */
  registeredAtMs: number;
  /** The agent's total resources (cpus, mem in MB, disk in MB). */
  resources: Resource[];
  tasks: ClusterTask[];
}

export interface KillRequest {
  machine: MachineId;
  maxGracePeriodMs?: number;
  /** Same key, same effect: a retried hard drain kills no task twice. */
  idempotencyKey: string;
}

export interface DrainAgentRequest {
  agentId: string;
  /** Caps each task's kill grace period (DRAIN_AGENT's max_grace_period). */
  maxGracePeriodMs?: number;
  /** Same key, same effect: a retried drain kills no task twice and answers the same list. */
  idempotencyKey: string;
}

export interface KillResult {
  /** Tasks this request (or an earlier one with the same key) asked to kill. */
  killed: { taskId: string; frameworkId: string; gracePeriodMs: number }[];
}

export interface ClusterDriver {
  /** The machine as the cluster sees it, or undefined when the cluster has no such machine. */
  describeMachine(machine: MachineId): Promise<ClusterMachine | undefined>;
  listMachines(): Promise<ClusterMachine[]>;
  /** Starts killing every task on the machine with min(task grace, maxGracePeriod); returns once kills are issued. */
  killTasks(request: KillRequest): Promise<KillResult>;
  /** Shuts the machine's agent down: nothing runs or starts there until upMachine. Idempotent. */
  downMachine(machine: MachineId, idempotencyKey: string): Promise<void>;
  /** Lets the machine's agent back. Idempotent. */
  upMachine(machine: MachineId, idempotencyKey: string): Promise<void>;

  /** Every agent the cluster knows, gone ones included (GET_AGENTS). */
  listAgents(): Promise<ClusterAgent[]>;
  /** The agent, or undefined when the cluster has no such agent. */
  describeAgent(agentId: string): Promise<ClusterAgent | undefined>;
  /** The agent takes no new tasks; running tasks keep running (DEACTIVATE_AGENT). Idempotent. */
  deactivateAgent(agentId: string, idempotencyKey: string): Promise<void>;
  /** The agent takes tasks again (REACTIVATE_AGENT). Idempotent; refused (a rejection) for a gone agent. */
  reactivateAgent(agentId: string, idempotencyKey: string): Promise<void>;
  /**
   * DRAIN_AGENT's cluster side: deactivates the agent and starts killing every RUNNING task on it with
   * min(task grace, maxGracePeriodMs), each at most once; returns once kills are issued. Tasks leave when their grace
   * ends. Whether the agent is DRAINED (empty) is for the caller to watch (describeAgent).
   */
  drainAgent(request: DrainAgentRequest): Promise<KillResult>;
  /** The agent is removed for good: tasks still RUNNING there are lost; no launch or reactivation after. Idempotent. */
  markAgentGone(agentId: string, idempotencyKey: string): Promise<void>;
}
