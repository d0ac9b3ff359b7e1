// pino JSON logs, one logger per process; fields say which process and, where it applies, window and machine.
import pino, { type Logger } from 'pino';

export function createLogger(processName: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: `maint-${processName}`, level, redact: ['*.secret', '*.password', 'authorization'] });
}
