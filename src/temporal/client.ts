// The Temporal client every surface uses, and the translation of Temporal's errors into maint's vocabulary.
import { status } from '@grpc/grpc-js';
import {
  Client,
  Connection,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowFailedError,
  isGrpcServiceError,
  ServiceError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, MaintError } from '../domain/errors';

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

const CODES = new Set<string>(Object.values(ErrorCode));

/** Turns what Temporal throws into a MaintError when it says something about the request; rethrows the rest. */
export function toMaintError(err: unknown): unknown {
  if (err instanceof MaintError) return err;
  if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type && CODES.has(cause.type)) {
      return new MaintError(cause.type as ErrorCode, cause.message, fieldOf(cause.message));
    }
  }
  if (err instanceof WorkflowNotFoundError) return new MaintError(ErrorCode.NOT_FOUND, err.message);
  // UNAVAILABLE, DEADLINE_EXCEEDED or CANCELLED (the client's deadline passed while the SDK retried the
  // call), bare or wrapped in the client's ServiceError (a query, a visibility list): the request may be sent again
  // later, so 503, not 500 (bench:fleet saw the wrapped forms under load).
  const grpc = err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : err;
  if (isGrpcServiceError(grpc) && [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED].includes(grpc.code)) {
    return new MaintError(ErrorCode.UNAVAILABLE, `Temporal is unavailable: ${grpc.details ?? grpc.message}`);
  }
  // RESOURCE_EXHAUSTED: the server sheds load (rate limits, too many updates in flight on one workflow).
  if (isGrpcServiceError(grpc) && grpc.code === status.RESOURCE_EXHAUSTED) {
    return new MaintError(ErrorCode.UNAVAILABLE, `Temporal is busy, try again: ${grpc.details ?? grpc.message}`);
  }
  // The update was sent but its outcome not awaited to the end: it may or may not have been applied.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new MaintError(
      ErrorCode.UNAVAILABLE,
      'Temporal did not confirm the change in time: it may have been applied; read the current state before sending it again',
    );
  }
  return err;
}

/**
 * Runs a call to Temporal, sending an update again when the server says no worker took it in (it reached the workflow
 * as it was continuing as new, or its workflow task failed): such an update never ran, so nothing changed and sending
 * it again keeps the request all-or-nothing. Errors come back in maint's vocabulary (toMaintError).
 */
export async function callTemporal<T>(send: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt < attempts && notProcessedByWorker(err)) {
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        continue;
      }
      throw toMaintError(err);
    }
  }
}

function notProcessedByWorker(err: unknown): boolean {
  if (!(err instanceof WorkflowUpdateFailedError)) return false;
  const text = `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}`;
  return /wasn't processed by worker/.test(text);
}

/** Workflow errors start with the field they are about ("machines[1]: ..."); keep it for the API's error body. */
function fieldOf(message: string): string | undefined {
  const match = /^([a-zA-Z_][\w]*(?:\[\d+\])?(?:\.[\w]+(?:\[\d+\])?)*):\s/.exec(message);
  return match?.[1];
}

/**
 * How long a query may wait for a worker. Without a bound, a query sent while the workflow is idle waits in matching
 * through a worker outage and reaches the first fresh worker together with the events that arrived meanwhile; that
 * worker then applies them apart from the next task's and records commands a replay rejects (docs/reliability.md).
 * Bounded, the read fails (503) and is asked again. Reads of windows and machines need no query at all (memo).
 */
export const QUERY_DEADLINE_MS = 10_000;

export function queryWithin<R, A extends unknown[]>(handle: WorkflowHandle, query: QueryDefinition<R, A>, ...args: A): Promise<R> {
  return handle.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(query, ...args));
}
