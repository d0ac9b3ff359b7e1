// One agent an operator deactivated or drained (Mesos 1.9): DRAIN_AGENT → deactivated and DRAINING → (no task left)
// DRAINED, or GONE with mark_gone; REACTIVATE_AGENT ends it. Refusals are update validators with Mesos' texts, so a
// refused call changes nothing. The workflow lives while the agent is deactivated; reactivation or GONE ends it.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AgentDrainResult } from '../activities/driver';
import type { AgentMaintenance, DrainConfig } from '../src/domain/agent';
import { ErrorCode } from '../src/domain/errors';
import type { FrameworkNotice } from '../src/domain/framework';
import { WorkflowIds } from '../src/temporal/ids';
import { CLUSTER_CALL, drainCall } from './activity-options';
import { SCHEDULER_API } from './patches';
import { agentDrainSummary } from './summaries';
import { agentView, deactivateAgent, drainAgent, frameworkNotices, reactivateAgent, type AgentInput } from './messages';

const cluster = proxyActivities<Activities>(CLUSTER_CALL);
// Without a max_grace_period a task's own grace applies, which may be long.
const drain = proxyActivities<Activities>(drainCall('24h'));

const DEFAULT_MAX_HISTORY_EVENTS = 4_000;

export async function agentWorkflow(input: AgentInput): Promise<AgentMaintenance> {
  const a: AgentMaintenance = input.resume ?? { agentId: input.agentId, deactivated: false, gone: false, markingGone: false, history: [] };
  /** Drains requested and drains carried out: a new DRAIN_AGENT while one runs sends the new config again. */
  let requested = a.drain?.state === 'DRAINING' ? 1 : 0;
  let done = 0;
  let deactivate = false;
  /** A reactivation in progress: it is applied before any later call, as Mesos' master serialises them. */
  let reactivating = false;
  let calls = 0;
  const log = (what: string, detail?: string) => a.history.push({ atMs: Date.now(), what, ...(detail ? { detail } : {}) });
  const key = (what: string) => `${input.agentId}/${workflowInfo().runId}/${what}-${++calls}`;

  setHandler(agentView, () => a);

  setHandler(
    drainAgent,
    async ({ markGone, maxGracePeriodNs, atMs }) => {
      await condition(() => !reactivating);
      a.deactivated = true;
      // Draining again overwrites the config and goes back to DRAINING, as in Mesos.
      a.drain = { state: 'DRAINING', config: { markGone, ...(maxGracePeriodNs === undefined ? {} : { maxGracePeriodNs }) } };
      a.estimatedDrainStartMs = atMs;
      requested++;
      log('DRAINING', `max grace ${maxGracePeriodNs === undefined ? 'none' : `${maxGracePeriodNs} ns`}${markGone ? ', then mark gone' : ''}`);
    },
    {
      validator: (_req: DrainConfig & { atMs: number }) => {
        if (a.gone) throw invalid('Unknown agent');
        if (a.markingGone) throw ApplicationFailure.create({ type: ErrorCode.CONFLICT, message: 'Agent is currently being marked gone', nonRetryable: true });
      },
    },
  );

  setHandler(
    deactivateAgent,
    async () => {
      await condition(() => !reactivating);
      if (!a.deactivated) log('deactivated');
      a.deactivated = true;
      deactivate = true;
    },
    {
      validator: () => {
        if (a.gone) throw invalid('Unknown agent');
      },
    },
  );

  // Answered once the agent is active again, so that what an operator reads next is true (Mesos clears the flags
  // before it answers).
  setHandler(
    reactivateAgent,
    async () => {
      reactivating = true;
      try {
        await cluster.reactivateAgent.executeWithOptions({ summary: `reactivate ${input.agentId}` }, [
          { agentId: input.agentId, idempotencyKey: key('reactivate') },
        ]);
        a.deactivated = false;
        a.drain = undefined;
        a.estimatedDrainStartMs = undefined;
        log('reactivated');
      } finally {
        reactivating = false;
      }
    },
    {
      validator: () => {
        if (!a.deactivated || reactivating) throw invalid('Agent is not deactivated');
        if (a.drain?.state === 'DRAINING') throw invalid('Agent is still in the DRAINING state');
      },
    },
  );

  const idle = () => !a.deactivated && !reactivating && !deactivate && requested === done;

  while (!a.gone) {
    setCurrentDetails(details(a));
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS)) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof agentWorkflow>({ ...input, resume: a });
    }
    await condition(() => deactivate || requested > done || (idle() && allHandlersFinished()));
    if (idle()) break; // reactivated, nothing else asked: the agent's maintenance is over
    if (deactivate) {
      deactivate = false;
      await cluster.deactivateAgent.executeWithOptions({ summary: `deactivate ${input.agentId}` }, [
        { agentId: input.agentId, idempotencyKey: key('deactivate') },
      ]);
    }
    if (requested > done) {
      const round = requested;
      const config = a.drain!.config;
      const maxGracePeriodMs = config.maxGracePeriodNs === undefined ? undefined : nanosToGraceMs(config.maxGracePeriodNs);
      const killed = await drain.drainAgent.executeWithOptions(
        { summary: agentDrainSummary(input.agentId, maxGracePeriodMs, config.markGone) },
        [{ agentId: input.agentId, maxGracePeriodMs, idempotencyKey: key('drain') }],
      );
      if (patched(SCHEDULER_API)) await tellFrameworks(killed, config.markGone);
      done = round;
      if (requested > done) continue; // drained again meanwhile: send the new config
      log('no task left', `${killed.killed.length} tasks killed`);
      if (config.markGone) {
        a.markingGone = true;
        setCurrentDetails(details(a));
        await cluster.markAgentGone.executeWithOptions({ summary: `mark ${input.agentId} gone` }, [
          { agentId: input.agentId, idempotencyKey: key('gone') },
        ]);
        a.markingGone = false;
        a.gone = true;
        a.drain = undefined;
        log('GONE');
      } else {
        a.drain = { ...a.drain!, state: 'DRAINED' };
        log('DRAINED');
      }
    }
  }
  setCurrentDetails(details(a));
  await condition(allHandlersFinished);
  return a;

  /**
   * Each framework whose tasks the drain killed gets a tasks-killed notice in its mailbox (TASK_GONE_BY_OPERATOR for
   * the partition-aware when the agent is marked gone, else TASK_KILLED). A framework without a mailbox is not
   * subscribed: nothing to tell.
   */
  async function tellFrameworks(result: AgentDrainResult, gone: boolean): Promise<void> {
    if (result.killed.length === 0) return;
    if (!result.machine) {
      log('frameworks not told of the kills', 'the cluster did not describe the agent');
      return;
    }
    const ids = new WorkflowIds(input.instance);
    const byFramework = new Map<string, { taskId: string; volumes: string[] }[]>();
    for (const t of result.killed) {
      const task = { taskId: t.taskId, volumes: [...(result.volumes?.[t.taskId] ?? [])] };
      byFramework.set(t.frameworkId, [...(byFramework.get(t.frameworkId) ?? []), task]);
    }
    const atMs = Date.now();
    await Promise.all(
      [...byFramework].map(([frameworkId, tasks]) => {
        const notice: FrameworkNotice = {
          kind: 'tasks-killed',
          machine: result.machine!,
          agentId: input.agentId,
          tasks,
          gone,
          cause: 'agent-drain',
        };
        return getExternalWorkflowHandle(ids.framework(frameworkId))
          .signal(frameworkNotices, { notices: [notice], atMs })
          .catch(() => undefined);
      }),
    );
  }
}

/** A grace period in whole milliseconds, rounded up (a task never gets less than asked); negative is none. */
function nanosToGraceMs(ns: string): number {
  const n = BigInt(ns);
  if (n <= 0n) return 0;
  return Number((n + 999_999n) / 1_000_000n);
}

function details(a: AgentMaintenance): string {
  const state = a.gone ? 'GONE' : a.drain ? a.drain.state : a.deactivated ? 'deactivated' : 'active';
  return [`**agent ${a.agentId}** is **${state}**`, '', ...a.history.slice(-10).map((h) => `- ${new Date(h.atMs).toISOString()} ${h.what}${h.detail ? `: ${h.detail}` : ''}`)].join('\n');
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorCode.INVALID, message, nonRetryable: true });
}
