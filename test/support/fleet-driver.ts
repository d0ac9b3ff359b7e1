// The ClusterDriver port over an in-process Fleet (the simulator's state), for workflow tests that run without the
// simulator's HTTP process.
import { isNotFound, MaintError } from '../../src/domain/errors';
import type { MachineId } from '../../src/domain/machine';
import type {
  ClusterAgent,
  ClusterDriver,
  ClusterMachine,
  DrainAgentRequest,
  KillRequest,
  KillResult,
} from '../../src/drivers/cluster-driver';
import { CLUSTER_REQUEST_REJECTED } from '../../src/drivers/sim-driver';
import type { Fleet } from '../../src/sim/fleet';

export class FleetDriver implements ClusterDriver {
  constructor(private readonly fleet: Fleet) {}

  async describeMachine(machine: MachineId): Promise<ClusterMachine | undefined> {
    try {
      return this.fleet.describe(machine);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async listMachines(): Promise<ClusterMachine[]> {
    return this.fleet.machines();
  }

  async killTasks(request: KillRequest): Promise<KillResult> {
    return this.fleet.killTasks(request);
  }

  async downMachine(machine: MachineId, idempotencyKey: string): Promise<void> {
    this.fleet.downMachine(machine, idempotencyKey);
  }

  async upMachine(machine: MachineId, idempotencyKey: string): Promise<void> {
    this.fleet.upMachine(machine, idempotencyKey);
  }

  async listAgents(): Promise<ClusterAgent[]> {
    return this.fleet.agents();
  }

  async describeAgent(agentId: string): Promise<ClusterAgent | undefined> {
    try {
      return this.fleet.describeAgent(agentId);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async deactivateAgent(agentId: string, idempotencyKey: string): Promise<void> {
    rejectedLikeSim(() => this.fleet.deactivateAgent(agentId, idempotencyKey));
  }

  async reactivateAgent(agentId: string, idempotencyKey: string): Promise<void> {
    rejectedLikeSim(() => this.fleet.reactivateAgent(agentId, idempotencyKey));
  }

  async drainAgent(request: DrainAgentRequest): Promise<KillResult> {
    return rejectedLikeSim(() => this.fleet.drainAgent(request));
  }

  async markAgentGone(agentId: string, idempotencyKey: string): Promise<void> {
    rejectedLikeSim(() => this.fleet.markAgentGone(agentId, idempotencyKey));
  }
}

/**
 * The agent methods refuse as SimDriver does: a fleet refusal (the sim's 4xx) becomes an Error named
 * ClusterRequestRejected, which activities treat as final. (The machine methods above still throw the MaintError.)
 */
function rejectedLikeSim<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (!(err instanceof MaintError)) throw err;
    const error = new Error(`${err.code}: ${err.message}`, { cause: err });
    error.name = CLUSTER_REQUEST_REJECTED;
    throw error;
  }
}
