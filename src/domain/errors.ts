// One error vocabulary for workflows, services and the API. Workflows throw ApplicationFailure with `type` set to an
// ErrorCode; the API maps codes to HTTP statuses in one place (src/api/errors.ts).

export const ErrorCode = {
  /** The request is malformed or names an impossible value (400). */
  INVALID: 'INVALID',
  /** No such window or machine (404). */
  NOT_FOUND: 'NOT_FOUND',
  /** The request is well formed but the current state refuses it, e.g. a machine not in DRAINING (409). */
  CONFLICT: 'CONFLICT',
  /** The caller may not do this (403). */
  FORBIDDEN: 'FORBIDDEN',
  /** Temporal or the cluster cannot be reached (503). */
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class MaintError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field the error is about, as a path: "machines[1].ip". */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'MaintError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof MaintError && err.code === ErrorCode.NOT_FOUND;
}
