// The hard drain armed ahead of its deadline. An activity sleeps in the worker until the deadline and then kills what
// runs on a machine, once a fence has checked that nothing meanwhile called the hard drain off. The machine's own
// workflow task at the deadline, behind the fleet's others under load, came seconds late (docs/performance.md); the
// machine still decides the hard drain, under the same idempotency key, so whichever comes first kills and the other
// finds the kills done. Two kinds:
// - killAtDeadline (armed-kills): a machine arms its own, up to a minute before its deadline;
// - killWindowAtDeadline (window-arms-kills): a window arms one for all its machines when it starts, for those whose
//   workflow has not armed its own by then (under load, a machine's workflow may start only after its deadline).
import { status } from '@grpc/grpc-js';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { hardDrainKey, type MachineId } from '../src/domain/machine';
import { MachineState } from '../workflows/machine-state';
import { machineCommand, windowCommands, type MachineCommand } from '../workflows/messages';
import { FIRST_TASK_COMPLETED, stateFromMemo, windowViewFromMemo } from '../src/temporal/published-state';
import { WINDOW } from '../src/temporal/search-attributes';
import { timestampMs } from '../src/temporal/activities-run';
import type { ActivityDeps } from './deps';
import type { HardDrainRequest, MachineTasks } from './driver';
import { activityLogger, SILENT } from './logging';

export interface DeadlineKillRequest {
  drain: HardDrainRequest;
  deadlineMs: number;
  /** The window's workflow: an operator's extension or cancel is there first (its update returns when accepted). */
  windowWorkflowId: string;
}

export type DeadlineKillResult =
  | { fired: true; atMs: number; killed: { taskId: string; frameworkId: string }[] }
  | {
      fired: false;
      why: string;
      /** The machine was empty when the fence looked, at `seenAtMs` (after the deadline): a look it goes on from. */
      seen?: MachineTasks;
      seenAtMs?: number;
    };

export interface WindowDeadlineKillRequest {
  windowId: string;
  deadlineMs: number;
  maxGracePeriodMs?: number;
  machines: { machine: MachineId; workflowId: string; key: string }[];
}

export interface WindowDeadlineKillResult {
  fired: { key: string; atMs: number; killed: number }[];
  notFired: { key: string; why: string }[];
}

/** How often a sleeping activity heartbeats: how soon it hears it was cancelled (an extension, a drained machine). */
const HEARTBEAT_MS = 1_000;
/** How long a fence waits for a workflow task in progress to end (a signal it was given may be in it). */
const TASK_IN_PROGRESS_WAIT_MS = 2_000;
const TASK_IN_PROGRESS_POLL_MS = 50;
/** How long after the deadline a window's kills keep telling a machine whose workflow had not started, and how often. */
const TELL_NOT_STARTED_MS = 15_000;
const TELL_RETRY_MS = 250;
/** Machines a window's kills handle at once (a window of 50 in one round): a few round trips each, at once. */
const MACHINES_AT_ONCE = 50;

const { EventType, PendingActivityState, PendingWorkflowTaskState } = temporal.api.enums.v1;

export function createDeadlineKillActivities({ driver, frameworks, logger = SILENT }: ActivityDeps) {
  /**
   * The disruption budgets come before any kill: a task here of a framework that has one leaves the hard drain to the
   * machine, which asks the registry. So does a machine with nothing left (it goes down by itself).
   */
  async function heldByBudgets(machine: MachineId, budgeted: Promise<ReadonlySet<string> | undefined>): Promise<string | undefined> {
    const [found, withBudgets] = await Promise.all([driver.describeMachine(machine), budgeted]);
    if (!found) return 'the cluster does not know the machine';
    if (!found.tasks.length) return NOTHING_RUNS_THERE;
    if (withBudgets === undefined) return 'the frameworks with disruption budgets are unknown';
    const held = found.tasks.find((t) => withBudgets.has(t.frameworkId));
    return held && `framework ${held.frameworkId} has a disruption budget`;
  }

  return {
    /**
     * A machine's kills (armed-kills): sleeps until the deadline, then kills the machine's tasks under the hard
     * drain's key, unless the fence finds the hard drain called off or not yet allowed; returns what it did.
     * Cancelled when the machine no longer needs it.
     */
    async killAtDeadline(req: DeadlineKillRequest): Promise<DeadlineKillResult> {
      const ctx = Context.current();
      await sleepUntil(req.deadlineMs);
      const log = activityLogger(logger, req.drain);
      const execution = ctx.info.workflowExecution;
      if (!execution) return { fired: false, why: 'not started by a machine' };
      // One round of reads, at once: each is a round trip to a server that may be busy at a fleet's deadline.
      const budgeted = frameworks.withBudgets().catch(() => undefined);
      const [why, held, window] = await Promise.all([
        machineFence(ctx.client, { ...execution, deadlineMs: req.deadlineMs, selfActivityId: ctx.info.activityId }),
        heldByBudgets(req.drain.machine, budgeted),
        windowFence(ctx.client, req.windowWorkflowId, req.deadlineMs),
      ]);
      const reason = why ?? window ?? held;
      if (reason === NOTHING_RUNS_THERE) {
        log.info({ why: reason }, 'deadline kill not fired: the machine goes down drained');
        return { fired: false, why: reason, seen: { known: true, tasks: [] }, seenAtMs: Date.now() };
      }
      if (reason) {
        log.info({ why: reason }, 'deadline kill not fired: the machine decides');
        return { fired: false, why: reason };
      }
      const atMs = Date.now();
      const result = await driver.killTasks(req.drain);
      log.info({ killed: result.killed.length, lateMs: atMs - req.deadlineMs }, 'deadline kill fired');
      return { fired: true, atMs, killed: result.killed.map(({ taskId, frameworkId }) => ({ taskId, frameworkId })) };
    },

    /**
     * A window's kills (window-arms-kills): sleeps until the deadline, then, for each machine whose workflow has not
     * armed its own, fences and kills as killAtDeadline does, and tells the machine when (it hard-drains from then).
     */
    async killWindowAtDeadline(req: WindowDeadlineKillRequest): Promise<WindowDeadlineKillResult> {
      const ctx = Context.current();
      await sleepUntil(req.deadlineMs);
      const log = activityLogger(logger, { windowId: req.windowId });
      const result: WindowDeadlineKillResult = { fired: [], notFired: [] };
      const self = ctx.info.workflowExecution;
      // The window is read at the same time as its machines, not before them: each kill waits for both reads, so both
      // come after the deadline and before it, and the window's lag is not added to every machine's.
      const windowCalledOff = self
        ? windowFence(ctx.client, self.workflowId, req.deadlineMs, { runId: self.runId, selfActivityId: ctx.info.activityId })
        : Promise.resolve('not started by a window');
      windowCalledOff.catch(() => undefined); // awaited below, by every machine and at the end
      const budgeted = frameworks.withBudgets().catch(() => undefined);
      const one = async ({ machine, workflowId, key }: WindowDeadlineKillRequest['machines'][number]): Promise<void> => {
        const [calledOff, fence, held] = await Promise.all([
          windowCalledOff,
          machineFence(ctx.client, { workflowId, deadlineMs: req.deadlineMs, windowId: req.windowId }),
          heldByBudgets(machine, budgeted),
        ]);
        if (calledOff) return void result.notFired.push({ key, why: calledOff });
        // A machine whose workflow this window has not started yet (a loaded server starts children seconds late) is
        // the window's to drain: nothing but the window can have called its hard drain off, and the window's fence,
        // read after the deadline, has seen all it accepted before it.
        const why = fence === NOT_STARTED ? undefined : fence;
        if (why ?? held) return void result.notFired.push({ key, why: (why ?? held)! });
        const atMs = Date.now();
        const idempotencyKey = hardDrainKey(req.windowId, key);
        const kills = await driver.killTasks({ machine, idempotencyKey, ...(req.maxGracePeriodMs === undefined ? {} : { maxGracePeriodMs: req.maxGracePeriodMs }) });
        result.fired.push({ key, atMs, killed: kills.killed.length });
        // Not waited for before the next machine's kills. A machine not started yet is told once it is (its first
        // workflow task then dates its hard drain from these kills). Not delivered: the machine decides the hard drain
        // itself, under the same key.
        const command: MachineCommand = { type: 'deadline-kills', atMs, windowId: req.windowId };
        told.push(tellMachine(ctx.client, workflowId, command, fence === NOT_STARTED ? req.deadlineMs + TELL_NOT_STARTED_MS : 0).catch(() => undefined));
      };
      const told: Promise<unknown>[] = [];
      const queue = [...req.machines];
      await Promise.all(Array.from({ length: Math.min(MACHINES_AT_ONCE, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          await one(next);
          ctx.heartbeat(); // a window's machines may take longer than the heartbeat timeout on a busy server
        }
      }));
      await Promise.all(told);
      const calledOff = await windowCalledOff;
      if (calledOff) {
        log.info({ why: calledOff }, "window's deadline kills not fired: its machines decide");
        return result;
      }
      const lateMs = result.fired.map((f) => f.atMs - req.deadlineMs);
      const why: Record<string, number> = {};
      for (const n of result.notFired) why[n.why] = (why[n.why] ?? 0) + 1;
      log.info({ fired: result.fired.length, maxLateMs: Math.max(0, ...lateMs), notFired: why }, "window's deadline kills done");
      return result;
    },
  };
}

/**
 * Signals the machine's workflow; one that does not exist yet is signalled again until `untilMs` (its window starts
 * it a moment later under load).
 */
async function tellMachine(client: Client, workflowId: string, command: MachineCommand, untilMs: number): Promise<void> {
  for (;;) {
    try {
      return await client.workflow.getHandle(workflowId).signal(machineCommand, command);
    } catch (err) {
      if (!isNotFound(err) || Date.now() >= untilMs) throw err;
      Context.current().heartbeat();
      await Context.current().sleep(TELL_RETRY_MS);
    }
  }
}

/** Sleeps until the instant, heartbeating (a cancel reaches it at a heartbeat). */
async function sleepUntil(atMs: number): Promise<void> {
  const ctx = Context.current();
  for (let left = atMs - Date.now(); left > 0; left = atMs - Date.now()) {
    ctx.heartbeat();
    await ctx.sleep(Math.min(left, HEARTBEAT_MS));
  }
}

/**
 * Why a machine must not be hard-drained now, or undefined when it must. What its workflow has not applied yet counts:
 * any command in its history after its last completed workflow task. What it has applied shows in its memo. With
 * `windowId`, the machine's latest run must be this window's (a run that has not run its first task yet is taken as
 * its window started it: DRAINING, to the window's deadline; with no run at all, the answer is NOT_STARTED). With `selfActivityId`, that activity of the machine must
 * not have been cancelled.
 */
async function machineFence(
  client: Client,
  m: { workflowId: string; runId?: string; deadlineMs: number; windowId?: string; selfActivityId?: string },
): Promise<string | undefined> {
  const settled = await readSettled(client, m.workflowId, m.runId, machineCommand.name, m.deadlineMs).catch((err: unknown) => {
    if (m.windowId !== undefined && isNotFound(err)) return undefined;
    throw err;
  });
  if (!settled) return NOT_STARTED;
  const { described, tail } = settled;
  if (typeof described === 'string') return described;
  if (tail.unapplied) return 'a command the machine has not applied yet';
  if (m.selfActivityId) {
    const self = described.raw.pendingActivities?.find((a) => a.activityId === m.selfActivityId);
    if (self?.state === PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED) return 'cancelled by the machine';
  } else if (described.raw.pendingActivities?.some((a) => a.activityType?.name === 'killAtDeadline')) {
    return 'the machine armed its own';
  }
  const snapshot = stateFromMemo(described.memo);
  if (!snapshot) {
    if (tail.taskCompleted || m.windowId === undefined) return 'the machine has not published its state';
    const window = described.typedSearchAttributes.get(WINDOW);
    return window === m.windowId ? undefined : `the machine's latest maintenance is window ${window}'s`;
  }
  if (m.windowId !== undefined && snapshot.windowId !== m.windowId) return `the machine's latest maintenance is window ${snapshot.windowId}'s`;
  const state = MachineState.resume(snapshot);
  if (state.phase !== 'draining') return `the machine is ${state.phase}`;
  if (state.deadlineMs !== m.deadlineMs) return 'the deadline moved';
  if (state.requests.cancel) return 'the window was cancelled';
  if (state.requests.down) return 'an operator took it down';
  return undefined;
}

/** Nothing called the hard drain off, and there is nothing to kill: the machine is empty. */
const NOTHING_RUNS_THERE = 'nothing runs there';

/** machineFence's answer for a window's machine with no workflow under its ID yet (its window has not started it). */
const NOT_STARTED = "the machine's workflow has not started";

/** The workflow does not exist (the client's error, or gRPC's NOT_FOUND from a raw call). */
function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as { code?: number } | undefined)?.code === status.NOT_FOUND;
}

/**
 * Why a window's deadline must not be acted on now: an extension or cancel it accepted (its memo), and, for its own
 * kills, a command from the schedule it has not applied yet or its own cancel of them.
 */
async function windowFence(
  client: Client,
  workflowId: string,
  deadlineMs: number,
  self?: { runId: string; selfActivityId: string },
): Promise<string | undefined> {
  let described: WorkflowExecutionDescription | string;
  if (self) {
    const settled = await readSettled(client, workflowId, self.runId, windowCommands.name, deadlineMs);
    if (settled.tail.unapplied) return 'a command the window has not applied yet';
    described = settled.described;
    if (typeof described === 'string') return described;
    const mine = described.raw.pendingActivities?.find((a) => a.activityId === self.selfActivityId);
    if (mine?.state === PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED) return 'cancelled by the window';
  } else {
    described = await client.workflow.getHandle(workflowId).describe();
  }
  const view = windowViewFromMemo(described.memo);
  if (!view) return 'the window has not published its view';
  if (view.state !== 'ACTIVE') return `the window is ${view.state}`;
  if (view.deadlineMs > deadlineMs) return 'the window was extended';
  return undefined;
}

/**
 * A workflow's description and the tail of its history after its last completed workflow task, once no workflow
 * task of it that started before the deadline is in progress. A signal that came during a task in progress is not in
 * the history until the task ends, nor is an update the task accepts. A task that started after the deadline holds
 * only commands that came after it (the server's clock, which the workflows' timers keep too): they race the deadline
 * as any later command does (the machine's own workflow task at the deadline may apply them or not), so the fence does
 * not wait for it; what came before it is in the tail, and counts.
 */
async function readSettled(
  client: Client,
  workflowId: string,
  runId: string | undefined,
  signalName: string,
  deadlineMs: number,
): Promise<{ described: WorkflowExecutionDescription | string; tail: HistoryTail }> {
  const handle = client.workflow.getHandle(workflowId, runId);
  let described = await handle.describe();
  for (let waited = 0; mayHoldCommandsFromBefore(described.raw.pendingWorkflowTask, deadlineMs); waited += TASK_IN_PROGRESS_POLL_MS) {
    if (waited >= TASK_IN_PROGRESS_WAIT_MS) return { described: 'a workflow task is still in progress', tail: NOTHING_PENDING };
    await new Promise((r) => setTimeout(r, TASK_IN_PROGRESS_POLL_MS));
    described = await handle.describe();
  }
  // A signal always asks for a workflow task: with none pending, every signal was applied (one round trip fewer).
  const tail = described.raw.pendingWorkflowTask
    ? await historyTail(client, workflowId, described.runId, signalName)
    : { unapplied: false, taskCompleted: described.historyLength >= FIRST_TASK_COMPLETED };
  return { described, tail };
}

/**
 * A workflow task in progress that started before the deadline: it may hold signals and updates that came before the
 * deadline, which the history shows only once it ends (readSettled). Its start is the server's clock.
 */
export function mayHoldCommandsFromBefore(task: temporal.api.workflow.v1.IPendingWorkflowTaskInfo | null | undefined, deadlineMs: number): boolean {
  return task?.state === PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED && timestampMs(task.startedTime) < deadlineMs;
}

const NOTHING_PENDING: HistoryTail = { unapplied: false, taskCompleted: true };

interface HistoryTail {
  /** A signal of the name came after the last completed workflow task. */
  unapplied: boolean;
  /** The workflow has completed a workflow task at all (it has run). */
  taskCompleted: boolean;
}

async function historyTail(client: Client, workflowId: string, runId: string | undefined, signalName: string): Promise<HistoryTail> {
  let unapplied = false;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId ? { runId } : {}) },
      maximumPageSize: 100,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const event of page.history?.events ?? []) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return { unapplied, taskCompleted: true };
      if (event.workflowExecutionSignaledEventAttributes?.signalName === signalName) unapplied = true;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { unapplied, taskCompleted: false };
}
