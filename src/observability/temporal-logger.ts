// The Temporal SDK's logger, forwarding to the process's pino logger: workflow code's `log` (with workflowId and
// workflowType), activities' and the worker's own lines become JSON lines like every other, redacted the same way.
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from 'pino';

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Lines from maint's own code; the SDK's own (worker, core) say what matters only from WARN up. */
const MAINT_COMPONENTS = new Set(['workflow', 'activity']);

export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    const { error, ...fields } = meta as Record<string, unknown>;
    const component = typeof fields.sdkComponent === 'string' ? fields.sdkComponent : undefined;
    const quiet = !MAINT_COMPONENTS.has(component ?? '') && (level === 'INFO' || level === 'DEBUG' || level === 'TRACE');
    const pinoLevel = quiet ? (level === 'TRACE' ? 'trace' : 'debug') : PINO_LEVEL[level];
    // pino serialises an error (message, stack) only under `err`.
    this.logger[pinoLevel](error === undefined ? fields : { ...fields, err: error }, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
