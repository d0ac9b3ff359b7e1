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

export interface KillRequest {
  machine: MachineId;
  maxGracePeriodMs?: number;
  /** Same key, same effect: a retried hard drain kills no task twice. */
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
}
