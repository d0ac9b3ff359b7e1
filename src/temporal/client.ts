// The Temporal client every surface uses, and the translation of Temporal's errors into maint's vocabulary.
import {
  Client,
  Connection,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowFailedError,
  isGrpcServiceError,
} from '@temporalio/client';
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
  if (isGrpcServiceError(err) && (err.code === 14 || err.code === 4)) {
    return new MaintError(ErrorCode.UNAVAILABLE, `Temporal is unavailable: ${err.details ?? err.message}`);
  }
  return err;
}

/** Workflow errors start with the field they are about ("machines[1]: ..."); keep it for the API's error body. */
function fieldOf(message: string): string | undefined {
  const match = /^([a-zA-Z_][\w]*(?:\[\d+\])?(?:\.[\w]+(?:\[\d+\])?)*):\s/.exec(message);
  return match?.[1];
}
