// What a workflow's activities of one type returned, read from its history: for tests that check what an activity did
// inside a real run.
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** The results of the activities of `activityType` that completed, in the history's order (cancelled ones: absent). */
export function completedResults<T>(events: readonly temporal.api.history.v1.IHistoryEvent[], activityType: string): T[] {
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).map((e) => Number(e.eventId)),
  );
  return events.flatMap((e) => {
    const done = e.activityTaskCompletedEventAttributes;
    return done && scheduled.has(Number(done.scheduledEventId)) ? [defaultPayloadConverter.fromPayload<T>(done.result!.payloads![0]!)] : [];
  });
}
