// A machine as an operator asks about it: what the cluster says, and its latest maintenance.
import { ErrorCode, MaintError } from '../domain/errors';
import { isIPv4, type MachineId } from '../domain/machine';
import type { MachineView } from '../domain/window';
import type { ClusterDriver, ClusterMachine } from '../drivers/cluster-driver';
import type { WindowService } from './windows';

export interface MachineReport {
  id: MachineId;
  cluster?: ClusterMachine;
  /** Its latest maintenance; undefined if it never had one. */
  maintenance?: MachineView;
}

export class MachineService {
  constructor(
    private readonly driver: ClusterDriver,
    private readonly windows: WindowService,
  ) {}

  /** Finds a machine by hostname or IP, as the cluster knows it or as a window named it. */
  async get(ref: string): Promise<MachineReport> {
    const named: MachineId = isIPv4(ref) ? { ip: ref } : { hostname: ref };
    const cluster = await this.driver.describeMachine(named).catch((err: Error) => {
      throw new MaintError(ErrorCode.UNAVAILABLE, `the cluster cannot be reached: ${err.message}`);
    });
    // A window may name the machine fully (hostname and ip, as its agent) or by one part only, as Mesos allows.
    const candidates: MachineId[] = cluster ? [cluster.id, named] : [named];
    const runs = await Promise.all(candidates.map((id) => this.windows.machine(id)));
    const maintenance = runs
      .filter((r): r is MachineView => r !== undefined)
      .sort((a, b) => (b.history[0]?.atMs ?? 0) - (a.history[0]?.atMs ?? 0))[0];
    if (!cluster && !maintenance) {
      throw new MaintError(ErrorCode.NOT_FOUND, `machine ${ref} is unknown to the cluster and to every window`, 'machine');
    }
    return { id: maintenance?.id ?? cluster?.id ?? named, cluster, maintenance };
  }
}
