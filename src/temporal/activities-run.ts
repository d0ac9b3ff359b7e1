// The activities a workflow's history ran, however it ran them: an activity task each (ACTIVITY_TASK_SCHEDULED), or a
// local activity in a workflow task (a `core_local_activity` marker; machine-baseline-5's looks and ups). For
// benchmarks and tests that count or find a machine's activities.
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export interface ActivityRun {
  /** The activity's type: its function's name in activities/. */
  type: string;
  how: 'activity' | 'local';
  /** When it was scheduled (an activity task), or when its marker was recorded (a local activity: it had ended). */
  atMs: number;
}

/** The SDK core's marker for a local activity's result. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export function activitiesRun(events: readonly temporal.api.history.v1.IHistoryEvent[]): ActivityRun[] {
  return events.flatMap((e): ActivityRun[] => {
    const atMs = eventTimeMs(e);
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [{ type: scheduled, how: 'activity', atMs }];
    const marker = e.markerRecordedEventAttributes;
    const data = marker?.markerName === LOCAL_ACTIVITY_MARKER ? marker.details?.data?.payloads?.[0] : undefined;
    if (!data) return [];
    const { activity_type: type } = defaultPayloadConverter.fromPayload<{ activity_type?: string }>(data);
    return type ? [{ type, how: 'local', atMs }] : [];
  });
}

/**
 * When a history event happened, in ms. Not the SDK's tsToMs: it needs a Long, and histories read from JSON (the
 * replay set) carry plain numbers.
 */
export function eventTimeMs(e: temporal.api.history.v1.IHistoryEvent): number {
  return timestampMs(e.eventTime);
}

/** A protobuf timestamp in ms (0 when absent), whether its seconds are a Long (gRPC) or a number (JSON). */
export function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
}
