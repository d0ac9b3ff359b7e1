// The worker: maint's workflows and activities on one task queue.
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';

/** The workflow bundle's entry; the SDK bundles it (webpack + swc) whether it is .ts (tests) or .js (dist). */
export const WORKFLOWS_PATH = path.resolve(__dirname, '..', '..', 'workflows');

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  /** Extra options, e.g. a pre-built bundle in tests. */
  options?: Partial<WorkerOptions>;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.options?.workflowBundle ? {} : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(setup.activities),
    // Activities end by themselves when their work is done; give a running hard drain time to report.
    shutdownGraceTime: '5s',
    ...setup.options,
  });
}
