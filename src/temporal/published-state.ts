// Machine and window workflows publish their state in their memo, so reads (a window's status, a machine's) come
// from Temporal's store (DescribeWorkflowExecution; a window's machines in one visibility query): no worker takes part, so a read is as fast under load as
// when idle, still answers while every worker is down, and never makes a worker load a workflow out of turn (queries
// on uncached workflows with a task pending are the likely way the chaos run's non-replayable histories were
// written: docs/reliability.md).
import type { MachineSnapshot } from '../../workflows/machine-state';
import type { WindowView } from '../domain/window';

export const MACHINE_STATE_MEMO = 'machineState';
/**
 * Events up to a run's first completed workflow task (started, task scheduled, started, completed): a run with fewer
 * has not run yet, so it has published nothing, and its window stands in for it.
 */
export const FIRST_TASK_COMPLETED = 4;
export const WINDOW_VIEW_MEMO = 'windowView';
/**
 * The frameworks subscribed with a disruption budget, from the registry, for a machine's look. Only their ids: a
 * subscription's webhook URL may carry credentials, and the memo is shown wherever the workflow is.
 */
export const BUDGETED_FRAMEWORKS_MEMO = 'budgetedFrameworks';

/**
 * Larger states are not published (readers query the workflow instead). Each change writes the whole memo into the
 * history; a machine's is 0.4–3.7 KB in the recorded histories (Temporal logs a warning above 2 KiB and refuses
 * 2 MiB), so the cap only keeps a machine with thousands of tasks from growing its history by that much per change.
 */
export const MEMO_MAX_CHARS = 12 * 1024;

/** What a workflow publishes under a memo key: its state under `field`, or that it is too large to. */
type Published<F extends string, T> = { [P in F]: T } | { tooLarge: true };
export type PublishedMachineState = Published<'state', Omit<MachineSnapshot, 'deliveries'>>;
export type PublishedWindowView = Published<'view', WindowView>;
export type PublishedBudgetedFrameworks = Published<'frameworkIds', string[]>;

/** The memo value for a state whose JSON is `text` (the workflow compares the text to skip unchanged states). */
function capped<F extends string, T>(field: F, text: string): Published<F, T> {
  return text.length > MEMO_MAX_CHARS ? { tooLarge: true } : ({ [field]: JSON.parse(text) } as Published<F, T>);
}

function readPublished<F extends string, T>(memo: Record<string, unknown> | undefined, key: string, field: F): T | undefined {
  const published = memo?.[key] as Published<F, T> | undefined;
  return published && field in published ? (published as { [P in F]: T })[field] : undefined;
}

export function publishedState(text: string): PublishedMachineState {
  return capped('state', text);
}

export function publishedWindowView(text: string): PublishedWindowView {
  return capped('view', text);
}

export function publishedBudgetedFrameworks(text: string): PublishedBudgetedFrameworks {
  return capped('frameworkIds', text);
}

/** Whether a machine run has published its state yet (perhaps as too large to publish): it has run its first task. */
export function hasPublishedState(memo: Record<string, unknown> | undefined): boolean {
  return memo !== undefined && MACHINE_STATE_MEMO in memo;
}

/** The published state in a described workflow's memo, if it has one (runs before the memo existed have none). */
export function stateFromMemo(memo: Record<string, unknown> | undefined): MachineSnapshot | undefined {
  const state = readPublished<'state', Omit<MachineSnapshot, 'deliveries'>>(memo, MACHINE_STATE_MEMO, 'state');
  return state && { ...state, deliveries: [] };
}

export function windowViewFromMemo(memo: Record<string, unknown> | undefined): WindowView | undefined {
  return readPublished<'view', WindowView>(memo, WINDOW_VIEW_MEMO, 'view');
}

export function budgetedFrameworksFromMemo(memo: Record<string, unknown> | undefined): string[] | undefined {
  return readPublished<'frameworkIds', string[]>(memo, BUDGETED_FRAMEWORKS_MEMO, 'frameworkIds');
}
