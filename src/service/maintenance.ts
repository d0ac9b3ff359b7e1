// Mesos' maintenance primitives as use cases: the schedule, machine down and up, the cluster's maintenance status.
// One state with the native windows (the schedule entity); the Mesos endpoints and v1 calls share these.
import { ErrorCode, MaintError } from '../domain/errors';
import { machineKey, type MachineId } from '../domain/machine';
import type { Answer, Unavailability } from '../domain/window';
import type { ClusterDriver } from '../drivers/cluster-driver';
import { callTemporal } from '../temporal/client';
import { ANSWERS, parseAnswerValue } from '../temporal/search-attributes';
import {
  startMaintenance,
  stopMaintenance,
  updateMesosSchedule,
  type MesosScheduleView,
} from '../../workflows/messages';
import type { ScheduleEntity } from './schedule-entity';

export interface MesosWindow {
  machines: MachineId[];
  unavailability: Unavailability;
}

export interface InverseOfferStatus {
  frameworkId: string;
  answer: Answer;
  atMs: number;
}

/** Mesos' ClusterStatus: DRAINING machines with their frameworks' answers, DOWN machines. */
export interface ClusterStatus {
  draining: { id: MachineId; statuses: InverseOfferStatus[] }[];
  down: MachineId[];
}

/** Up to this many machines in a down or up request are looked up one by one in the cluster. */
const DESCRIBE_AT_MOST = 20;

export class MaintenanceService {
  constructor(
    private readonly schedule: ScheduleEntity,
    private readonly driver: ClusterDriver,
  ) {}

  view(): Promise<MesosScheduleView> {
    return this.schedule.view();
  }

  /** Replaces the schedule (Mesos' POST /maintenance/schedule). `denied`: the principal may not, answered after 400s. */
  async update(windows: MesosWindow[], principal: string, denied: boolean): Promise<void> {
    await this.call(() =>
      this.schedule.client.workflow.executeUpdateWithStart(updateMesosSchedule, {
        args: [{ windows, denied, createdBy: principal, createdAtMs: Date.now() }],
        startWorkflowOperation: this.schedule.startOperation(),
      }),
    );
  }

  /** Machine DOWN (START_MAINTENANCE): DRAINING machines only. */
  down(machines: MachineId[], denied: boolean): Promise<void> {
    return this.maintenance(startMaintenance, machines, denied);
  }

  /** Machine UP (STOP_MAINTENANCE): DOWN machines only; they leave the schedule. */
  up(machines: MachineId[], denied: boolean): Promise<void> {
    return this.maintenance(stopMaintenance, machines, denied);
  }

  private async maintenance(
    update: typeof startMaintenance | typeof stopMaintenance,
    machines: MachineId[],
    denied: boolean,
  ): Promise<void> {
    const clusterMachines = await this.clusterMachines(machines);
    await this.call(() =>
      this.schedule.client.workflow.executeUpdateWithStart(update, {
        args: [{ machines, clusterMachines, ...(denied ? { deniedAt: 0 } : {}) }],
        startWorkflowOperation: this.schedule.startOperation(),
      }),
    );
  }

  /**
   * Mesos' maintenance status: modes from the schedule; frameworks' answers from the machines' MaintenanceAnswers
   * search attribute, all of them in one visibility query (a moment behind the answers themselves).
   */
  async status(): Promise<ClusterStatus> {
    const view = await this.view();
    const down = new Set(view.down);
    const draining: MachineId[] = [];
    const downIds: MachineId[] = [];
    for (const w of view.windows) {
      for (const posted of w.machines) {
        const key = machineKey(posted);
        const id = view.firstSpelling[key] ?? posted;
        (down.has(key) ? downIds : draining).push(id);
      }
    }
    const answers = new Map<string, InverseOfferStatus[]>();
    if (draining.length) {
      // A DRAINING machine's running workflow is its current maintenance (an older one is UP by then).
      const query =
        `WorkflowType = "machineWorkflow" AND ExecutionStatus = "Running" AND MaintenanceMode = "DRAINING" ` +
        `AND WorkflowId STARTS_WITH "${this.schedule.ids.machinePrefix}" AND ${ANSWERS.name} IS NOT NULL`;
      for await (const wf of this.schedule.client.workflow.list({ query, pageSize: 1000 })) {
        const values = wf.typedSearchAttributes.get(ANSWERS) ?? [];
        const list = values.map(parseAnswerValue).filter((a): a is InverseOfferStatus => a !== undefined);
        if (list.length) answers.set(wf.workflowId, list);
      }
    }
    return {
      draining: draining.map((id) => ({ id, statuses: answers.get(this.schedule.ids.machine(id)) ?? [] })),
      down: downIds,
    };
  }

  /**
   * Which of these machines the cluster runs an agent on: Mesos knows them (UP) without any schedule, so bringing
   * one down says "not in DRAINING mode" rather than "not part of a maintenance schedule".
   */
  private async clusterMachines(machines: MachineId[]): Promise<string[]> {
    const wanted = new Set(machines.map(machineKey));
    try {
      // A few machines: ask about each; many: one listing of the fleet beats thousands of requests.
      const found =
        machines.length <= DESCRIBE_AT_MOST
          ? (await Promise.all(machines.map((m) => this.driver.describeMachine(m)))).filter((m) => m !== undefined)
          : await this.driver.listMachines();
      return found.map((m) => machineKey(m.id)).filter((key) => wanted.has(key));
    } catch (err) {
      throw new MaintError(ErrorCode.UNAVAILABLE, `the cluster cannot be reached: ${(err as Error).message}`);
    }
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return callTemporal(fn);
  }
}
