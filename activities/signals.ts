// A machine's signals to other workflows (its window, the schedule, the frameworks' registry and mailboxes), sent
// from one activity per batch instead of one workflow command each (signals-by-activity). A signal sent by workflow
// code costs the server more than one sent by a client: two history events for the sender, a task that tells the
// sender it arrived, and a second call on the receiver that removes the signal's dedup entry. At 1,000 machines in
// bench:fleet the dev server's CPU per machine fell by a quarter (docs/performance.md).
import { status } from '@grpc/grpc-js';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';

export interface OutgoingSignal {
  workflowId: string;
  /** The receiver's run when it is known (a window never continues as new); by workflow ID once that run has closed. */
  runId?: string;
  name: string;
  arg: unknown;
  /**
   * Made by the sending workflow, so the same on every attempt of the activity: the server takes a signal once per
   * request id, so a batch sent again after a failure halfway delivers nothing twice.
   */
  requestId: string;
}

/** Per signal, in the batch's order: sent, or its receiver does not exist (never started, or closed). */
export type SignalOutcome = 'sent' | 'gone';

export function createSignalActivities() {
  return {
    /** See sendSignals. */
    async sendSignals(batch: OutgoingSignal[]): Promise<SignalOutcome[]> {
      return sendSignals(Context.current().client, batch);
    },
  };
}

/**
 * Sends the batch: one receiver's signals one after the other, in the batch's order (a framework hears the rescind
 * of an offer before the offer that replaces it), different receivers at once. A failure other than a missing
 * receiver fails the batch, and the activity's retry sends it again under the same request ids.
 */
export async function sendSignals(client: Client, batch: OutgoingSignal[]): Promise<SignalOutcome[]> {
  const outcomes: SignalOutcome[] = batch.map(() => 'gone');
  const byReceiver = new Map<string, number[]>();
  batch.forEach((s, i) => byReceiver.set(s.workflowId, [...(byReceiver.get(s.workflowId) ?? []), i]));
  await Promise.all(
    [...byReceiver.values()].map(async (indexes) => {
      for (const i of indexes) outcomes[i] = await send(client, batch[i]);
    }),
  );
  return outcomes;
}

/** `s` by its run (named, or else learned); by workflow ID when there is none, or once that run has closed. */
async function send(client: Client, s: OutgoingSignal, { learned = true } = {}): Promise<SignalOutcome> {
  const key = runKey(client, s.workflowId);
  const run = s.runId ?? (learned ? currentRuns.get(key) : undefined);
  try {
    await client.workflowService.signalWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId: s.workflowId, ...(run ? { runId: run } : {}) },
      signalName: s.name,
      input: { payloads: await encodeToPayloads(client.options.loadedDataConverter, s.arg) },
      identity: client.options.identity,
      requestId: s.requestId,
    });
    if (!run && learned) learnCurrentRun(client, s.workflowId);
    return 'sent';
  } catch (err) {
    const code = (err as { code?: number }).code;
    // A payload over the server's limit, say: sending it again would not help.
    if (code === status.INVALID_ARGUMENT) throw ApplicationFailure.nonRetryable(`signal ${s.name} to ${s.workflowId} refused: ${(err as Error).message}`);
    // NOT_FOUND: the receiver does not exist, or the named run has closed.
    if (code !== status.NOT_FOUND) throw err;
    if (run === undefined) return 'gone';
    // The run named has closed (it continued as new; a window reset, or terminated by hand and started again): its
    // workflow ID's latest.
    if (currentRuns.get(key) === run) currentRuns.delete(key);
    const { runId: _closed, ...byId } = s;
    return send(client, byId, { learned: false });
  }
}

/**
 * The open run of each workflow this worker signalled by ID (the schedule, the frameworks' registry, their mailboxes),
 * learned once per run. A signal by workflow ID makes the server look the current run up in its store at every
 * attempt (`GetCurrentExecution`), about ten times per machine's lifecycle into a few shared workflows; by run it
 * does not. A run that has closed (these workflows continue as new) answers NOT_FOUND, and the signal goes by ID.
 */
const currentRuns = new Map<string, string>();
/** Receivers being described now, so that a burst of signals describes each once. */
const learning = new Set<string>();
/** A bound, not a working size: a worker signals a few shared workflows by ID. */
const MAX_KNOWN_RUNS = 1_000;

function runKey(client: Client, workflowId: string): string {
  return `${client.options.namespace}/${workflowId}`;
}

/** Describes the receiver in the background; its run is used once known and open. Best effort: by ID meanwhile. */
function learnCurrentRun(client: Client, workflowId: string): void {
  const key = runKey(client, workflowId);
  if (learning.has(key)) return;
  learning.add(key);
  client.workflowService
    .describeWorkflowExecution({ namespace: client.options.namespace, execution: { workflowId } })
    .then((d) => {
      const runId = d.workflowExecutionInfo?.execution?.runId;
      if (!runId || d.workflowExecutionInfo?.status !== temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) return;
      if (currentRuns.size >= MAX_KNOWN_RUNS) currentRuns.delete(currentRuns.keys().next().value!);
      currentRuns.set(key, runId);
    })
    .catch(() => undefined)
    .finally(() => learning.delete(key));
}

/** The run a signal by `workflowId` would go to, once learned (for tests). */
export function knownRunOf(client: Client, workflowId: string): string | undefined {
  return currentRuns.get(runKey(client, workflowId));
}
