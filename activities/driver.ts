// Activities over the cluster driver. Each is idempotent: the workflow passes a key derived from the window and
// machine, so a retry after a worker crash kills no task twice and repeats no transition.
import { ApplicationFailure, heartbeat, sleep } from '@temporalio/activity';
import type { MachineId } from '../src/domain/machine';
import { ErrorCode } from '../src/domain/errors';
import type { DrainAgentRequest, KillResult, Resource } from '../src/drivers/cluster-driver';
import type { ActivityDeps } from './deps';
import { activityLogger, SILENT } from './logging';

export type AgentDrainRequest = DrainAgentRequest;

export interface MachineTask {
  taskId: string;
  frameworkId: string;
  agentId: string;
  /** What the task holds (cpus, mem, disk): inverse offers tell its framework. Absent in results recorded before. */
  resources?: Resource[];
  /** Ids of the persistent volumes it holds here. Absent in results recorded before. */
  volumes?: string[];
}

export interface MachineTasks {
  /** False when the cluster has no such machine (Mesos lets operators schedule machines with no agent). */
  known: boolean;
  agentId?: string;
  tasks: MachineTask[];
  /**
   * Which frameworks with tasks here declared a disruption budget, as the registry said a moment ago (the look asks
   * its directory, cached for seconds). Absent when it could not tell, and in results recorded before: the machine
   * then asks the registry before a hard drain, as it always did.
   */
  budgeted?: string[];
}

/** An agent drain's kills, with what the agent looked like before (absent in results recorded before). */
export interface AgentDrainResult extends KillResult {
  /** The machine the agent runs on. */
  machine?: MachineId;
  /** The volumes of each task killed, by task id, as the agent held them before the drain. */
  volumes?: Record<string, string[]>;
}

export interface HardDrainRequest {
  machine: MachineId;
  maxGracePeriodMs?: number;
  idempotencyKey: string;
}

/**
 * A machine's hard drain (machine-baseline-5): with `downKey`, the machine is also shut down, under that key, once
 * it is empty, in the same activity. Runs started before it take the machine down with takeMachineDown after.
 */
export interface MachineHardDrain extends HardDrainRequest {
  downKey?: string;
}

export function createDriverActivities({ driver, frameworks, drainPollMs = 500, logger = SILENT }: ActivityDeps) {
  /**
   * Kills the machine's RUNNING tasks under the request's key (each at most once, whatever the retries) and waits
   * until the machine is empty, heartbeating. A task placed after the kill is killed too, or the machine never
   * empties. `onlyLate`: nothing was killed yet by this call's caller, so kill only if something runs.
   */
  async function untilEmpty(req: HardDrainRequest, log: ReturnType<typeof activityLogger>, onlyLate = false): Promise<KillResult> {
    let result: KillResult = { killed: [] };
    if (!onlyLate) {
      result = await rejectedAsFinal(() => driver.killTasks(req));
      log.info({ killed: result.killed.length, maxGracePeriodMs: req.maxGracePeriodMs }, 'hard drain: tasks killed, waiting for the machine to empty');
    }
    for (;;) {
      const machine = await driver.describeMachine(req.machine);
      if (!machine || machine.tasks.length === 0) {
        if (!onlyLate || result.killed.length > 0) log.info({ killed: result.killed.length }, 'hard drain: machine empty');
        return result;
      }
      if (machine.tasks.some((t) => t.state === 'RUNNING')) {
        result = await rejectedAsFinal(() => driver.killTasks(req));
        log.info({ killed: result.killed.length }, 'hard drain: tasks placed after the kill, killed too');
      }
      heartbeat({ remaining: machine.tasks.length });
      await sleep(drainPollMs);
    }
  }

  async function shutDown(machine: MachineId, idempotencyKey: string, log: ReturnType<typeof activityLogger>, fields: object): Promise<void> {
    await rejectedAsFinal(() => driver.downMachine(machine, idempotencyKey));
    log.info(fields, 'machine shut down');
  }

  return {
    /** What runs on a machine now, by framework. */
    async inspectMachine(machine: MachineId): Promise<MachineTasks> {
      const found = await rejectedAsFinal(() => driver.describeMachine(machine));
      if (!found) return { known: false, tasks: [] };
      const withBudgets = found.tasks.length > 0 ? await frameworks.withBudgets().catch(() => undefined) : undefined;
      return {
        known: true,
        agentId: found.agentId,
        tasks: found.tasks.map((t) => ({
          taskId: t.taskId,
          frameworkId: t.frameworkId,
          agentId: t.agentId,
          resources: t.resources.map((r) => ({ name: r.name, scalar: r.scalar })),
          volumes: [...t.volumes],
        })),
        ...(withBudgets ? { budgeted: [...new Set(found.tasks.map((t) => t.frameworkId))].filter((f) => withBudgets.has(f)).sort() } : {}),
      };
    },

    /**
     * Kills everything left on the machine, each task with min(its grace period, maxGracePeriod), and returns once
     * the machine is empty (and shut down, with `downKey`). Heartbeats while it waits, so a crashed worker's attempt
     * is retried promptly; a retry kills nothing twice and shuts nothing down twice (both keyed).
     */
    async hardDrain({ downKey, ...drain }: MachineHardDrain): Promise<KillResult> {
      const log = activityLogger(logger, drain);
      const result = await untilEmpty(drain, log);
      if (downKey !== undefined) await shutDown(drain.machine, downKey, log, { killed: result.killed.length });
      return result;
    },

    /**
     * Shuts the machine down. With `drain` (the hard drain's request), whatever runs there first is killed under the
     * hard drain's key and the machine waits to be empty: a framework may place a task on a drained machine between
     * the hard drain and this call (the chaos run's mover did, on machines it was told were usable until their
     * maintenance began), and a task killed gracefully is better than one lost.
     */
    async takeMachineDown(req: { machine: MachineId; idempotencyKey: string; drain?: HardDrainRequest }): Promise<KillResult> {
      const log = activityLogger(logger, req);
      const result = req.drain ? await untilEmpty(req.drain, log, true) : { killed: [] };
      await shutDown(req.machine, req.idempotencyKey, log, { killedFirst: result.killed.length });
      return result;
    },

    async bringMachineUp(req: { machine: MachineId; idempotencyKey: string }): Promise<void> {
      await rejectedAsFinal(() => driver.upMachine(req.machine, req.idempotencyKey));
      activityLogger(logger, req).info('machine brought up');
    },

    // ---- agents (Mesos 1.9 agent draining) ----------------------------------------------------------------------

    /**
     * Mesos' DrainSlaveMessage: the agent takes no new task and kills what runs with min(task grace, max grace).
     * Returns once the agent has no task left (DRAINED), heartbeating while it waits.
     */
    async drainAgent(req: AgentDrainRequest): Promise<AgentDrainResult> {
      // What the agent holds before the kills: its frameworks are told which tasks (and volumes) it took.
      const before = await driver.describeAgent(req.agentId);
      const result = await rejectedAsFinal(() => driver.drainAgent(req));
      const volumes: Record<string, string[]> = {};
      for (const t of before?.tasks ?? []) volumes[t.taskId] = [...t.volumes];
      const described = { ...result, ...(before ? { machine: before.machine } : {}), volumes };
      const log = activityLogger(logger, { agentId: req.agentId, ...(before ? { machine: before.machine } : {}) });
      log.info({ killed: result.killed.length }, 'agent drain: tasks killed, waiting for the agent to empty');
      for (;;) {
        const agent = await driver.describeAgent(req.agentId);
        if (!agent || agent.gone || agent.tasks.length === 0) {
          log.info({ killed: result.killed.length }, 'agent drain: agent empty');
          return described;
        }
        heartbeat({ remaining: agent.tasks.length });
        await sleep(drainPollMs);
      }
    },

    async deactivateAgent(req: { agentId: string; idempotencyKey: string }): Promise<void> {
      await rejectedAsFinal(() => driver.deactivateAgent(req.agentId, req.idempotencyKey));
    },

    async reactivateAgent(req: { agentId: string; idempotencyKey: string }): Promise<void> {
      await rejectedAsFinal(() => driver.reactivateAgent(req.agentId, req.idempotencyKey));
    },

    async markAgentGone(req: { agentId: string; idempotencyKey: string }): Promise<void> {
      await rejectedAsFinal(() => driver.markAgentGone(req.agentId, req.idempotencyKey));
    },
  };
}

/** A request the cluster refused (4xx) will be refused again: fail it now instead of retrying forever. */
async function rejectedAsFinal<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Error && err.name === 'ClusterRequestRejected') {
      throw ApplicationFailure.nonRetryable(err.message, ErrorCode.CONFLICT);
    }
    throw err;
  }
}
