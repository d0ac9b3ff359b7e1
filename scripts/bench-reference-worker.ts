// bench:fleet's reference worker, a process of its own like maint's: maint's createWorker (the same Worker options,
// sinks and shutdown) on its own task queue, with the reference workflow and its no-op activity instead of maint's.
//
//   node dist/scripts/bench-reference-worker.js      (TEMPORAL_ADDRESS, BENCH_REFERENCE_QUEUE)
import { NativeConnection } from '@temporalio/worker';
import { SimDriver } from '../src/drivers/sim-driver';
import { createWorker } from '../src/temporal/worker';
import { referenceActivities } from './bench-reference-activities';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS;
  const taskQueue = process.env.BENCH_REFERENCE_QUEUE;
  if (!address || !taskQueue) throw new Error('TEMPORAL_ADDRESS and BENCH_REFERENCE_QUEUE must be set');
  const worker = await createWorker({
    connection: await NativeConnection.connect({ address }),
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    // maint's activities are built but never called: the reference workflow only calls noop.
    activities: { driver: new SimDriver('http://127.0.0.1:1'), frameworks: { lookup: async () => undefined, withBudgets: async () => undefined } },
    options: { workflowsPath: require.resolve('./bench-reference-workflows'), activities: referenceActivities },
  });
  await worker.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
