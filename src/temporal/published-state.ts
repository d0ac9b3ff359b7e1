// Machine and window workflows publish their state in their memo, so reads (a window's status, a machine's) come
// from Temporal's store through DescribeWorkflowExecution: no worker takes part, so a read is as fast under load as
// when idle, still answers while every worker is down, and never makes a worker load a workflow out of turn (queries
// on uncached workflows with a task pending are the likely way the chaos run's non-replayable histories were
// written: docs/reliability.md).
import type { MachineSnapshot } from '../../workflows/machine-state';
import type { WindowView } from '../domain/window';

export const MACHINE_STATE_MEMO = 'machineState';

/**
 * Larger states are not published (readers query the workflow instead). Each change writes the whole memo into the
 * history; a machine's is 0.4–3.7 KB in the recorded histories (Temporal logs a warning above 2 KiB and refuses
 * 2 MiB), so the cap only keeps a machine with thousands of tasks from growing its history by that much per change.
 */
export const MEMO_MAX_CHARS = 12 * 1024;

/** What a machine publishes: its state without the notices still to deliver, or that it is too large to. */
export type PublishedMachineState = { state: Omit<MachineSnapshot, 'deliveries'> } | { tooLarge: true };

/** The memo value for a machine's state (`text` is its JSON, which the workflow compares to skip unchanged states). */
export function publishedState(state: Omit<MachineSnapshot, 'deliveries'>, text: string): PublishedMachineState {
  return text.length > MEMO_MAX_CHARS ? { tooLarge: true } : { state: JSON.parse(text) };
}

/** The published state in a described workflow's memo, if it has one (runs before the memo existed have none). */
export function stateFromMemo(memo: Record<string, unknown> | undefined): MachineSnapshot | undefined {
  const published = memo?.[MACHINE_STATE_MEMO] as PublishedMachineState | undefined;
  if (!published || !('state' in published)) return undefined;
  return { ...published.state, deliveries: [] };
}

export const WINDOW_VIEW_MEMO = 'windowView';

/** A window publishes its view the same way (too large a window is queried). */
export type PublishedWindowView = { view: WindowView } | { tooLarge: true };

export function publishedWindowView(text: string): PublishedWindowView {
  return text.length > MEMO_MAX_CHARS ? { tooLarge: true } : { view: JSON.parse(text) };
}

export function windowViewFromMemo(memo: Record<string, unknown> | undefined): WindowView | undefined {
  const published = memo?.[WINDOW_VIEW_MEMO] as PublishedWindowView | undefined;
  return published && 'view' in published ? published.view : undefined;
}
