// Every failure becomes one line on stderr, `maint: <what went wrong>: <the API's message>; <what to do>`, and an
// exit code from exit-codes.ts.
import { ApiError, UnreachableError } from './client';
import { ExitCode, exitCodeForStatus } from './exit-codes';

/** Bad flags or arguments, found before any request. */
export class UsageError extends Error {}

/** A refusal the CLI itself decides from what the API said (a machine in no window): as a 409 would be. */
export class RefusedError extends Error {}

export interface Failure {
  code: ExitCode;
  line: string;
}

/**
 * `action` says what was being done ("create window", "show window w-9"); `flags` names the flag behind each field of
 * the API's body, so that a refusal points at what the operator typed.
 */
export function describeFailure(err: unknown, action: string, flags: Record<string, string> = {}): Failure {
  if (err instanceof UsageError) return { code: ExitCode.USAGE, line: `maint: ${err.message}` };
  if (err instanceof RefusedError) return { code: ExitCode.REFUSED, line: `maint: ${action}: ${err.message}` };
  if (err instanceof UnreachableError) {
    return {
      code: ExitCode.UNAVAILABLE,
      line: `maint: ${action}: cannot reach maint at ${err.url}: ${err.message}; check --url (or MAINT_URL) and that maint's API is running`,
    };
  }
  if (err instanceof ApiError) return { code: exitCodeForStatus(err.status), line: `maint: ${action}: ${apiLine(err, flags)}` };
  const message = err instanceof Error ? err.message : String(err);
  return { code: ExitCode.UNEXPECTED, line: `maint: ${action}: unexpected error: ${message}` };
}

function apiLine(err: ApiError, flags: Record<string, string>): string {
  const { status } = err;
  const message = err.message || `HTTP ${status}`;
  if (status === 401) {
    return `not authenticated (401): ${message}; give --principal and --secret-file (or MAINT_PRINCIPAL and MAINT_SECRET) as in the API's MAINT_CREDENTIALS file`;
  }
  if (status === 403) {
    return `not allowed (403): ${err.message || 'the ACLs refuse this principal'}; ask for the permission in the API's MAINT_ACLS file`;
  }
  if (status === 404) return `not found (404): ${message}`;
  if (status >= 500) return `maint is failing (${status}): ${message}; try again, or see the API's log`;
  const flag = err.field === undefined ? undefined : flagFor(err.field, flags);
  return `refused (${status}): ${message}${flag ? `; check ${flag}` : ''}`;
}

/** `machines[0].ip` → the flag for `machines`; `policy.maxParallel` → the flag for `policy.maxParallel` or `policy`. */
function flagFor(field: string, flags: Record<string, string>): string | undefined {
  const path = field.replace(/\[\d+\]/g, '');
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    if (flags[p]) return flags[p];
  }
  return undefined;
}
