// The deadline kills' fence waits for a workflow task in progress only when that task may hold commands that came
// before the deadline (activities/deadline-kill.ts): the server's clock says when the task started.
import { msNumberToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { mayHoldCommandsFromBefore } from '../../activities/deadline-kill';

const { PendingWorkflowTaskState } = temporal.api.enums.v1;
const DEADLINE_MS = Date.parse('2026-11-27T20:00:00.000Z');
const at = (ms: number) => msNumberToTs(ms); // as gRPC gives it: seconds a Long
const started = (ms: number) => ({ state: PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED, startedTime: at(ms) });

test('a task in progress that started before the deadline is waited for, to the millisecond', () => {
  expect(mayHoldCommandsFromBefore(started(DEADLINE_MS - 1), DEADLINE_MS)).toBe(true);
  expect(mayHoldCommandsFromBefore(started(DEADLINE_MS - 60_000), DEADLINE_MS)).toBe(true);
});

test('a task that started at or after the deadline is not: whatever it holds came after the deadline', () => {
  expect(mayHoldCommandsFromBefore(started(DEADLINE_MS), DEADLINE_MS)).toBe(false);
  expect(mayHoldCommandsFromBefore(started(DEADLINE_MS + 250), DEADLINE_MS)).toBe(false);
});

test('a task only scheduled, or none, is not (its signals are in the history already)', () => {
  const scheduled = { state: PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED, scheduledTime: at(DEADLINE_MS - 5_000) };
  expect(mayHoldCommandsFromBefore(scheduled, DEADLINE_MS)).toBe(false);
  expect(mayHoldCommandsFromBefore(undefined, DEADLINE_MS)).toBe(false);
  expect(mayHoldCommandsFromBefore(null, DEADLINE_MS)).toBe(false);
});

test('a task in progress with no start time given is waited for (the safe side)', () => {
  const unknown = { state: PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED };
  expect(mayHoldCommandsFromBefore(unknown, DEADLINE_MS)).toBe(true);
});
