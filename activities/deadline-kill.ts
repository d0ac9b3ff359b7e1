// The hard drain armed ahead of its deadline (patched: armed-kills). A machine about to wait for its deadline starts
// this activity, which sleeps in the worker until the deadline and then kills what runs there, once a fence has
// checked that nothing meanwhile called the hard drain off. The machine's own workflow task at the deadline, behind
// the fleet's others under load, came seconds late (docs/performance.md); the machine still decides the hard drain,
// under the same idempotency key, so whichever comes first kills and the other finds the kills done.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { MachineState } from '../workflows/machine-state';
import { machineCommand } from '../workflows/messages';
import { stateFromMemo, windowViewFromMemo } from '../src/temporal/published-state';
import type { ActivityDeps } from './deps';
import type { HardDrainRequest } from './driver';
import { activityLogger, SILENT } from './logging';

export interface DeadlineKillRequest {
  drain: HardDrainRequest;
  deadlineMs: number;
  /** The window's workflow: an operator's extension or cancel is there first (its update returns when accepted). */
  windowWorkflowId: string;
}

export type DeadlineKillResult =
  | { fired: true; atMs: number; killed: { taskId: string; frameworkId: string }[] }
  | { fired: false; why: string };

/** How often the sleeping activity heartbeats: how soon it hears it was cancelled (an extension, a drained machine). */
const HEARTBEAT_MS = 1_000;
/** How long the fence waits for a workflow task in progress to end (a signal it was given may be in it). */
const TASK_IN_PROGRESS_WAIT_MS = 2_000;
const TASK_IN_PROGRESS_POLL_MS = 50;

const { EventType, PendingActivityState, PendingWorkflowTaskState } = temporal.api.enums.v1;

export function createDeadlineKillActivities({ driver, frameworks, logger = SILENT }: ActivityDeps) {
  return {
    /**
     * Sleeps until the deadline, then kills the machine's tasks under the hard drain's key, unless the fence finds
     * the hard drain called off or not yet allowed; returns what it did. Cancelled when the machine no longer needs it.
     */
    async killAtDeadline(req: DeadlineKillRequest): Promise<DeadlineKillResult> {
      const ctx = Context.current();
      for (let left = req.deadlineMs - Date.now(); left > 0; left = req.deadlineMs - Date.now()) {
        ctx.heartbeat();
        await ctx.sleep(Math.min(left, HEARTBEAT_MS));
      }
      const log = activityLogger(logger, req.drain);
      // One round of reads, at once: each is a round trip to a server that may be busy at a fleet's deadline.
      const [why, held] = await Promise.all([calledOff(ctx.client, ctx.info, req), heldByBudgets(req)]);
      if (why ?? held) {
        log.info({ why: why ?? held }, 'deadline kill not fired: the machine decides');
        return { fired: false, why: (why ?? held)! };
      }
      const atMs = Date.now();
      const result = await driver.killTasks(req.drain);
      log.info({ killed: result.killed.length, lateMs: atMs - req.deadlineMs }, 'deadline kill fired');
      return { fired: true, atMs, killed: result.killed.map(({ taskId, frameworkId }) => ({ taskId, frameworkId })) };
    },
  };

  /**
   * The disruption budgets come before any kill: a task here of a framework that has one leaves the hard drain to the
   * machine, which asks the registry.
   */
  async function heldByBudgets(req: DeadlineKillRequest): Promise<string | undefined> {
    const [machine, budgeted] = await Promise.all([
      driver.describeMachine(req.drain.machine),
      frameworks.withBudgets().catch(() => undefined),
    ]);
    if (!machine?.tasks.length) return undefined;
    if (budgeted === undefined) return 'the frameworks with disruption budgets are unknown';
    const held = machine.tasks.find((t) => budgeted.has(t.frameworkId));
    return held && `framework ${held.frameworkId} has a disruption budget`;
  }
}

/**
 * Why the hard drain must not start now, or undefined when it must. What the machine's workflow has not applied
 * yet counts: its window's accepted extension or cancel (the window tells the machine a moment later), and any
 * command in its history after its last completed workflow task. What it has applied shows in its memo.
 */
async function calledOff(client: Client, info: Context['info'], req: DeadlineKillRequest): Promise<string | undefined> {
  if (!info.workflowExecution) return 'not started by a machine';
  const { workflowId: machineId, runId } = info.workflowExecution;
  const handle = client.workflow.getHandle(machineId, runId);
  const windowHandle = client.workflow.getHandle(req.windowWorkflowId);
  const read = () => Promise.all([handle.describe(), windowHandle.describe(), unappliedCommands(client, machineId, runId)]);
  let [described, window, unapplied] = await read();
  for (let waited = 0; ; waited += TASK_IN_PROGRESS_POLL_MS) {
    // A signal that came during a workflow task in progress is not in the history until that task ends.
    if (described.raw.pendingWorkflowTask?.state !== PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED) break;
    if (waited >= TASK_IN_PROGRESS_WAIT_MS) return 'a workflow task of the machine is still in progress';
    await new Promise((r) => setTimeout(r, TASK_IN_PROGRESS_POLL_MS));
    [described, window, unapplied] = await read();
  }
  const self = described.raw.pendingActivities?.find((a) => a.activityId === info.activityId);
  if (self?.state === PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED) return 'cancelled by the machine';
  const snapshot = stateFromMemo(described.memo);
  if (!snapshot) return 'the machine has not published its state';
  const state = MachineState.resume(snapshot);
  if (state.phase !== 'draining') return `the machine is ${state.phase}`;
  if (state.deadlineMs !== req.deadlineMs) return 'the deadline moved';
  if (state.requests.cancel) return 'the window was cancelled';
  if (unapplied) return 'a command the machine has not applied yet';
  const view = windowViewFromMemo(window.memo);
  if (!view) return 'the window has not published its view';
  if (view.state !== 'ACTIVE') return `the window is ${view.state}`;
  if (view.deadlineMs > req.deadlineMs) return 'the window was extended';
  return undefined;
}

/** Whether a command (machineCommand signal) came after the machine's last completed workflow task. */
async function unappliedCommands(client: Client, workflowId: string, runId: string): Promise<boolean> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 100,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const event of page.history?.events ?? []) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return false;
      if (event.workflowExecutionSignaledEventAttributes?.signalName === machineCommand.name) return true;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return false;
}
