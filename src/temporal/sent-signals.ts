// The signals a workflow's history sent, however it sent them: a workflow command each (SignalExternalWorkflowExecution),
// or in batches from the sendSignals activity (signals-by-activity, activities/signals.ts). For benchmarks and tests
// that count or read a machine's signals.
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { OutgoingSignal } from '../../activities/signals';

export interface SentSignal {
  name: string;
  workflowId: string;
  /** The receiver's run, or '' for by workflow ID. */
  runId: string;
  /** Its argument (maint's signals take one). */
  arg: unknown;
  /** The workflow task that sent it (its WORKFLOW_TASK_COMPLETED event's id). */
  sentBy: number;
  how: 'command' | 'activity';
}

export function sentSignals(events: readonly temporal.api.history.v1.IHistoryEvent[]): SentSignal[] {
  return events.flatMap((e): SentSignal[] => {
    const command = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    if (command) {
      const payload = command.input?.payloads?.[0];
      return [
        {
          name: command.signalName ?? '',
          workflowId: command.workflowExecution?.workflowId ?? '',
          runId: command.workflowExecution?.runId ?? '',
          arg: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
          sentBy: Number(command.workflowTaskCompletedEventId),
          how: 'command',
        },
      ];
    }
    const activity = e.activityTaskScheduledEventAttributes;
    const payload = activity?.input?.payloads?.[0];
    if (activity?.activityType?.name !== 'sendSignals' || !payload) return [];
    return defaultPayloadConverter.fromPayload<OutgoingSignal[]>(payload).map((s) => ({
      name: s.name,
      workflowId: s.workflowId,
      runId: s.runId ?? '',
      arg: s.arg,
      sentBy: Number(activity.workflowTaskCompletedEventId),
      how: 'activity',
    }));
  });
}
