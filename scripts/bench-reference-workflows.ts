// The references of the benchmarks, bundled only by the benchmarks' own worker (bench-reference-worker.ts), never into
// maint's workflow bundle:
// - bench:fleet's lifecycle: the least a machine's lifecycle on Temporal can cost, one workflow with three no-op
//   activities (look, hard drain, up) and two zero-length timers (deadline, unavailability);
// - bench:scale's start: the least "every machine's workflow running" can cost, a schedule that starts its windows
//   and windows that start their machines as child workflows, as maint's do, with nothing else in them.
import { condition, ParentClosePolicy, proxyActivities, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import type { ReferenceActivities } from './bench-reference-activities';

// The same timeouts and retries as maint's cluster calls (workflows/activity-options.ts CLUSTER_CALL).
const { noop } = proxyActivities<ReferenceActivities>({ startToCloseTimeout: '15s', retry: { initialInterval: '1s', maximumInterval: '30s' } });

export async function referenceLifecycle(): Promise<void> {
  await noop();
  await sleep(0); // the SDK makes it a 1 ms timer: a real timer, started and fired
  await noop();
  await sleep(0);
  await noop();
}

/** Starts one window per entry of `machinesPerWindow`, all in one workflow task, as maint's schedule starts a POST's windows. */
export async function referenceSchedule(machinesPerWindow: number[]): Promise<void> {
  const { workflowId } = workflowInfo();
  await Promise.all(
    machinesPerWindow.map((machines, w) =>
      startChild(referenceWindow, { workflowId: `${workflowId}/window/${w}`, args: [machines], parentClosePolicy: ParentClosePolicy.ABANDON }),
    ),
  );
}

/** Starts its machines, all in its first workflow task, as maint's window does. */
export async function referenceWindow(machines: number): Promise<void> {
  const { workflowId } = workflowInfo();
  await Promise.all(
    Array.from({ length: machines }, (_, i) =>
      startChild(referenceMachine, { workflowId: `${workflowId}/machine/${i}`, parentClosePolicy: ParentClosePolicy.ABANDON }),
    ),
  );
}

/** Runs its first workflow task and waits: running, as a DRAINING machine's workflow is. */
export async function referenceMachine(): Promise<void> {
  await condition(() => false);
}
