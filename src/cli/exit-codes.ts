// The exit codes scripts can rely on. One place, so help text, docs and the error mapper cannot disagree.
export const ExitCode = {
  OK: 0,
  /** Anything not foreseen below: a bug, or an answer maint should never give. */
  UNEXPECTED: 1,
  /** Bad flags or arguments, found before any request was sent. */
  USAGE: 2,
  /** The API refused the request as invalid for what it says or for maint's state (400, 409, 413, 415, 422). */
  REFUSED: 3,
  /** Authentication (401) or authorisation (403). */
  AUTH: 4,
  /** No such window or machine (404). */
  NOT_FOUND: 5,
  /** maint could not be reached, timed out, or failed (5xx). */
  UNAVAILABLE: 6,
  /** Stopped by Ctrl-C (128 + SIGINT), as shells report it. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** For `maint --help` and docs/cli.md. */
export const EXIT_CODE_HELP = `Exit codes:
  0    success (a --watch: the window finished)
  1    unexpected error
  2    usage: bad flags or arguments (nothing was sent)
  3    the API refused the request as invalid (400, 409): the message names the field
  4    authentication or authorisation failed (401, 403)
  5    not found (404)
  6    maint unreachable, timed out or failing (5xx)
  130  interrupted (Ctrl-C)`;

/** The exit code an HTTP error status means. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.AUTH;
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status >= 500) return ExitCode.UNAVAILABLE;
  if (status >= 400) return ExitCode.REFUSED;
  return ExitCode.UNEXPECTED;
}
