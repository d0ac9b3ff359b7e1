// pino JSON logs, one logger per process; fields say which process and, where it applies, window and machine
// (`windowId`, `machine`), request (`reqId`) or workflow (`workflowId`).
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * What never reaches a log line, at any depth pino can name (it has no recursive wildcard, so each depth is listed):
 * webhook secrets (plain, sealed), HTTP Basic credentials, and MAINT_SECRET_KEY under the names code gives it.
 */
const SECRET_KEYS = ['secret', 'webhookSecret', 'sealedSecret', 'secretKey', 'MAINT_SECRET_KEY', 'password', 'authorization'];
export const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);
export const REDACTED = '[redacted]';

export function createLogger(
  processName: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream,
): Logger {
  const options = { name: `maint-${processName}`, level, redact: { paths: REDACTED_PATHS, censor: REDACTED } };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * An error as a log field that always serializes: its class, message, gRPC code and stack, and the same of its causes
 * (three deep). A gRPC error carries metadata that pino cannot serialize, which left a 500's log line with no cause.
 */
export function loggableError(err: unknown, depth = 0): object | string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: unknown }).cause;
  return {
    type: err.constructor?.name ?? err.name,
    message: err.message,
    ...(typeof code === 'number' || typeof code === 'string' ? { code } : {}),
    stack: err.stack,
    ...(cause !== undefined && depth < 3 ? { cause: loggableError(cause, depth + 1) } : {}),
  };
}
