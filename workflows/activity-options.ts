// How workflows call the cluster: one set of timeouts and retries for every workflow that drives machines or agents.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

const RETRY = { initialInterval: '1s', maximumInterval: '30s' } as const;

/** A short cluster call. Short timeout: after a worker crash, an attempt it held is retried as soon as it expires. */
export const CLUSTER_CALL: ActivityOptions = { startToCloseTimeout: '15s', retry: RETRY };

/**
 * A machine's short cluster calls (its look, its up) as local activities, run in the workflow task that needs the
 * answer (machine-baseline-5): the task does not end, wait for an activity task, and start again. Each is a history
 * marker instead of three activity events and a workflow task.
 *
 * Tried a few times only, then the call becomes an activity (CLUSTER_CALL) that waits for the cluster as long as it
 * takes: a local activity retried for long holds its workflow task open, makes the worker heartbeat that task (three
 * history events every eight seconds, for every machine, while the cluster is away), and holds up a worker's shutdown
 * (an integration test's worker did not stop in five minutes with its simulated cluster gone).
 */
export const CLUSTER_CALL_IN_TASK: LocalActivityOptions = {
  startToCloseTimeout: '3s',
  // Three attempts, about 1.5 s apart at most (11 s if each hangs to its timeout). Bounded by attempts, not by a
  // schedule-to-close timeout: the SDK's core (1.24) went on retrying a local activity past that timeout.
  retry: { initialInterval: '500ms', maximumInterval: '1s', maximumAttempts: 3 },
};

/** A drain waits out grace periods; heartbeats let a new worker take over quickly after a crash. */
export function drainCall(startToCloseTimeout: ActivityOptions['startToCloseTimeout']): ActivityOptions {
  return { startToCloseTimeout, heartbeatTimeout: '10s', retry: RETRY };
}

/**
 * A batch of a machine's signals (signals-by-activity): a few calls to the server. Short, so that a batch a crashed
 * worker held is sent again soon (under the same request ids: nothing arrives twice); retried until it goes.
 */
export const SIGNALS_CALL: ActivityOptions = { startToCloseTimeout: '15s', retry: RETRY };
