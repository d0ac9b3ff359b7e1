// The worker's end of workflows/sinks.ts: each machine event becomes a log line (with workflowId, windowId and
// machine) and, where it measures something, a metric. Never called during replay, so a history replayed by another
// worker (after a crash, a cache eviction) counts nothing twice.
import type { InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Logger } from 'pino';
import type { MachineFacts, MaintenanceSinks } from '../../workflows/sinks';
import type { WorkerMetrics } from './metrics';

export function maintenanceSinks(metrics: WorkerMetrics, logger: Logger): InjectedSinks<MaintenanceSinks> {
  const log = (info: WorkflowInfo, e: MachineFacts) =>
    logger.child({ workflowId: info.workflowId, runId: info.runId, windowId: e.windowId, machine: e.machine });
  return {
    maintenance: {
      draining: {
        fn: (info, e) => log(info, e).info({ deadline: new Date(e.deadlineMs).toISOString() }, 'machine DRAINING'),
        callDuringReplay: false,
      },
      answered: {
        fn: (info, e) => {
          metrics.answered(e.frameworkId, e.answer, e.late);
          log(info, e).info({ frameworkId: e.frameworkId, answer: e.answer, late: e.late }, 'inverse offer answered');
        },
        callDuringReplay: false,
      },
      hardDrainStarted: {
        fn: (info, e) => log(info, e).info({ how: e.how, tasks: e.tasks }, 'hard drain started'),
        callDuringReplay: false,
      },
      down: {
        fn: (info, e) => {
          const drainMs = e.downAtMs - e.drainingSinceMs;
          const hardDrainMs = e.downAtMs - e.hardDrainStartedMs;
          metrics.down(e.how, drainMs, hardDrainMs);
          log(info, e).info(
            { how: e.how, drainSeconds: drainMs / 1000, hardDrainSeconds: hardDrainMs / 1000, killed: e.killed },
            'machine DOWN',
          );
        },
        callDuringReplay: false,
      },
      up: {
        fn: (info, e) => log(info, e).info({ why: e.why }, 'machine UP'),
        callDuringReplay: false,
      },
    },
  };
}
