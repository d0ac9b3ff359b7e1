// The worker: maint's workflows and activities on one task queue, with the sinks that carry workflows' events to the
// worker's metrics and logs.
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createActivities, type ActivityDeps } from '../../activities';
import { DEFAULT_WORKFLOW_TASK_SLOTS } from '../config';
import { WorkerMetrics } from '../observability/metrics';
import { maintenanceSinks } from '../observability/sinks';

/** The workflow bundle's entry; the SDK bundles it (webpack + swc) whether it is .ts (tests) or .js (dist). */
export const WORKFLOWS_PATH = path.resolve(__dirname, '..', '..', 'workflows');

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  /**
   * Where workflows' and activities' events are counted and logged. Default: a registry nobody reads and no logs
   * (tests); the sinks are registered either way, so workflows never call a missing one.
   */
  observability?: { metrics: WorkerMetrics; logger: Logger };
  /** Keep workflows' stack traces (the stack trace query); off unless asked (WORKFLOW_STACK_TRACES_ENV). */
  workflowStackTraces?: boolean;
  /** Workflow tasks held at once (MAINT_WORKFLOW_TASK_SLOTS); the same default as the configuration's. */
  workflowTaskSlots?: number;
  /** Extra options, e.g. a pre-built bundle in tests. */
  options?: Partial<WorkerOptions>;
}

/**
 * Read by the SDK's workflow threads as the Worker starts them, through maint's patch of the SDK (patches/): `off`
 * leaves out the promise hook behind the stack trace query, which captures and source-maps a stack for every promise
 * workflow code makes, about a third of a loaded workflow thread's CPU (sdk-typescript#1587; docs/performance.md).
 */
export const WORKFLOW_STACK_TRACES_ENV = 'TEMPORAL_WORKFLOW_STACK_TRACES';

/** Counts into a registry nobody reads and logs nothing: for tests and replays, which must still register the sinks. */
export function quietObservability(): { metrics: WorkerMetrics; logger: Logger } {
  return { metrics: new WorkerMetrics(new Registry()), logger: pino({ level: 'silent' }) };
}

/** The sinks workflows call, for `Worker.runReplayHistory` (never called there, but a missing one is logged as an error). */
export function quietSinks() {
  const { metrics, logger } = quietObservability();
  return maintenanceSinks(metrics, logger);
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const { metrics, logger } = setup.observability ?? quietObservability();
  process.env[WORKFLOW_STACK_TRACES_ENV] = setup.workflowStackTraces ? 'on' : 'off';
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.options?.workflowBundle ? {} : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ logger, webhookMetrics: metrics, ...setup.activities }),
    sinks: maintenanceSinks(metrics, logger),
    // Activities end by themselves when their work is done; give a running hard drain time to report.
    shutdownGraceTime: '5s',
    // A machine's deadline kills, armed up to a minute ahead, sleep in an activity slot until then (armed-kills): a
    // window of 50 machines alone holds 50. Activities here wait on the cluster or the network, not on this CPU.
    maxConcurrentActivityTaskExecutions: 1_000,
    // Workflow code runs on one thread: a task the worker holds beyond what that thread can take waits in the worker,
    // started for the server, which then holds back its signals for a task after it, and a deadline kill's fence
    // waits for it to end. Left on the server, the task takes in what comes meanwhile (docs/performance.md).
    maxConcurrentWorkflowTaskExecutions: setup.workflowTaskSlots ?? DEFAULT_WORKFLOW_TASK_SLOTS,
    ...setup.options,
  });
}
