// The reference lifecycle of bench:fleet: the least a machine's lifecycle on Temporal can cost, one workflow with
// three no-op activities (look, hard drain, up) and two zero-length timers (deadline, unavailability). Bundled only by
// the benchmark's own worker (bench-reference-worker.ts), never into maint's workflow bundle.
import { proxyActivities, sleep } from '@temporalio/workflow';
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
