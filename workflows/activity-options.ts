// How workflows call the cluster: one set of timeouts and retries for every workflow that drives machines or agents.
import type { ActivityOptions } from '@temporalio/workflow';

const RETRY = { initialInterval: '1s', maximumInterval: '30s' } as const;

/** A short cluster call. Short timeout: after a worker crash, an attempt it held is retried as soon as it expires. */
export const CLUSTER_CALL: ActivityOptions = { startToCloseTimeout: '15s', retry: RETRY };

/** A drain waits out grace periods; heartbeats let a new worker take over quickly after a crash. */
export function drainCall(startToCloseTimeout: ActivityOptions['startToCloseTimeout']): ActivityOptions {
  return { startToCloseTimeout, heartbeatTimeout: '10s', retry: RETRY };
}

/**
 * A batch of a machine's signals (signals-by-activity): a few calls to the server. Short, so that a batch a crashed
 * worker held is sent again soon (under the same request ids: nothing arrives twice); retried until it goes.
 */
export const SIGNALS_CALL: ActivityOptions = { startToCloseTimeout: '15s', retry: RETRY };
