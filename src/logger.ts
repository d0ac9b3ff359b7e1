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
