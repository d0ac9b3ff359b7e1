// A machine's signals to other workflows (its window, the schedule, the frameworks' registry and mailboxes), sent
// from one activity per batch instead of one workflow command each (signals-by-activity). A signal sent by workflow
// code costs the server more than one sent by a client: two history events for the sender, a task that tells the
// sender it arrived, and a second call on the receiver that removes the signal's dedup entry. At 1,000 machines in
// bench:fleet the dev server's CPU per machine fell by a quarter (docs/performance.md).
import { status } from '@grpc/grpc-js';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';

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

async function send(client: Client, s: OutgoingSignal): Promise<SignalOutcome> {
  try {
    await client.workflowService.signalWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId: s.workflowId, ...(s.runId ? { runId: s.runId } : {}) },
      signalName: s.name,
      input: { payloads: await encodeToPayloads(client.options.loadedDataConverter, s.arg) },
      identity: client.options.identity,
      requestId: s.requestId,
    });
    return 'sent';
  } catch (err) {
    const code = (err as { code?: number }).code;
    // A payload over the server's limit, say: sending it again would not help.
    if (code === status.INVALID_ARGUMENT) throw ApplicationFailure.nonRetryable(`signal ${s.name} to ${s.workflowId} refused: ${(err as Error).message}`);
    // NOT_FOUND: the receiver does not exist, or the named run has closed.
    if (code !== status.NOT_FOUND) throw err;
    // The run named has closed (a window reset, or terminated by hand and started again): its workflow ID's latest.
    return s.runId === undefined ? 'gone' : send(client, { ...s, runId: undefined });
  }
}
