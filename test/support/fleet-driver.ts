// The ClusterDriver port over an in-process Fleet (the simulator's state), for workflow tests that run without the
// simulator's HTTP process.
import { isNotFound } from '../../src/domain/errors';
import type { MachineId } from '../../src/domain/machine';
import type { ClusterDriver, ClusterMachine, KillRequest, KillResult } from '../../src/drivers/cluster-driver';
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
}
