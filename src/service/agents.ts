// Mesos 1.9 agent draining as use cases: GET_AGENTS, DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT. Agents come
// from the cluster driver; what an operator asked of them lives in one workflow per agent (workflows/agent.ts).
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { AgentMaintenance, DrainConfig } from '../domain/agent';
import { ErrorCode, isNotFound, MaintError } from '../domain/errors';
import { machineKey, machineStreamText } from '../domain/machine';
import type { ClusterAgent, ClusterDriver } from '../drivers/cluster-driver';
import { callTemporal, queryWithin, toMaintError } from '../temporal/client';
import { agentView, deactivateAgent, drainAgent, reactivateAgent } from '../../workflows/messages';
import type { agentWorkflow } from '../../workflows/agent';
import type { ScheduleEntity } from './schedule-entity';

export interface AgentReport {
  agent: ClusterAgent;
  maintenance?: AgentMaintenance;
}

/** What the operator may do, decided by the caller's ACLs before the service is asked. */
export interface AgentPermissions {
  drain: boolean;
  markGone: boolean;
}

export class AgentService {
  constructor(
    private readonly schedule: ScheduleEntity,
    private readonly driver: ClusterDriver,
  ) {}

  /** Registered agents (not gone), with their drain state. */
  async list(): Promise<AgentReport[]> {
    const agents = (await this.cluster(() => this.driver.listAgents())).filter((a) => !a.gone);
    const tracked = new Set<string>(agents.filter((a) => a.deactivated).map((a) => a.agentId));
    const prefix = this.schedule.ids.agent('');
    const query = `WorkflowType = "agentWorkflow" AND ExecutionStatus = "Running" AND WorkflowId STARTS_WITH "${prefix}"`;
    for await (const wf of this.schedule.client.workflow.list({ query })) tracked.add(wf.workflowId.slice(prefix.length));
    const states = new Map<string, AgentMaintenance>();
    await Promise.all(
      [...tracked].map(async (agentId) => {
        const state = await this.maintenance(agentId);
        if (state) states.set(agentId, state);
      }),
    );
    return agents.map((agent) => ({ agent, maintenance: states.get(agent.agentId) }));
  }

  /** DRAIN_AGENT, with Mesos' checks in Mesos' order. */
  async drain(agentId: string, config: DrainConfig, may: AgentPermissions): Promise<void> {
    const agent = await this.registered(agentId);
    if (agent) {
      const view = await this.schedule.view();
      const key = machineKey(agent.machine);
      const scheduled = view.windows.flatMap((w) => w.machines).find((m) => machineKey(m) === key);
      if (scheduled) {
        throw new MaintError(
          ErrorCode.INVALID,
          `Agent ${agentId} is part of a maintenance schedule under Machine ${machineStreamText(scheduled)}`,
        );
      }
    }
    if (!may.drain || (config.markGone && !may.markGone)) throw new MaintError(ErrorCode.FORBIDDEN, 'Forbidden');
    if (!agent) throw new MaintError(ErrorCode.INVALID, 'Unknown agent');
    await this.call(() =>
      this.schedule.client.workflow.executeUpdateWithStart(drainAgent, {
        args: [{ ...config, atMs: Date.now() }],
        startWorkflowOperation: this.start(agentId),
      }),
    );
  }

  /** DEACTIVATE_AGENT: no new tasks there; running ones keep running. */
  async deactivate(agentId: string, allowed: boolean): Promise<void> {
    if (!allowed) throw new MaintError(ErrorCode.FORBIDDEN, 'Forbidden');
    if (!(await this.registered(agentId))) throw new MaintError(ErrorCode.INVALID, 'Unknown agent');
    await this.call(() =>
      this.schedule.client.workflow.executeUpdateWithStart(deactivateAgent, {
        args: [],
        startWorkflowOperation: this.start(agentId),
      }),
    );
  }

  /** REACTIVATE_AGENT: refused while DRAINING; ends the agent's maintenance. */
  async reactivate(agentId: string, allowed: boolean): Promise<void> {
    if (!allowed) throw new MaintError(ErrorCode.FORBIDDEN, 'Forbidden');
    try {
      await this.schedule.client.workflow.getHandle(this.schedule.ids.agent(agentId)).executeUpdate(reactivateAgent, { args: [] });
    } catch (err) {
      const mapped = toMaintError(err);
      // No running workflow: nobody deactivated this agent.
      if (isNotFound(mapped)) throw new MaintError(ErrorCode.INVALID, 'Agent is not deactivated');
      throw mapped;
    }
  }

  async maintenance(agentId: string): Promise<AgentMaintenance | undefined> {
    try {
      return await queryWithin(this.schedule.client.workflow.getHandle(this.schedule.ids.agent(agentId)), agentView);
    } catch (err) {
      const mapped = toMaintError(err);
      if (isNotFound(mapped)) return undefined;
      throw mapped;
    }
  }

  /** The agent if the cluster has it and it is not gone (a gone agent is unknown to Mesos). */
  private async registered(agentId: string): Promise<ClusterAgent | undefined> {
    const agent = await this.cluster(() => this.driver.describeAgent(agentId));
    return agent && !agent.gone ? agent : undefined;
  }

  private start(agentId: string): WithStartWorkflowOperation<typeof agentWorkflow> {
    return new WithStartWorkflowOperation<typeof agentWorkflow>('agentWorkflow', {
      workflowId: this.schedule.ids.agent(agentId),
      taskQueue: this.schedule.taskQueue,
      args: [{ instance: this.schedule.ids.instance, agentId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `agent ${agentId}: deactivated or drained by an operator`,
    });
  }

  private async cluster<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new MaintError(ErrorCode.UNAVAILABLE, `the cluster cannot be reached: ${(err as Error).message}`);
    }
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return callTemporal(fn);
  }
}
