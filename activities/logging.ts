// Activities log through a child of the worker's pino logger that says which workflow (from the activity's context),
// window and machine (from its input) a line is about.
import { Context } from '@temporalio/activity';
import pino, { type Logger } from 'pino';
import type { MachineId } from '../src/domain/machine';

/** Activities built without a logger (tests) log nothing. */
export const SILENT: Logger = pino({ level: 'silent' });

export interface Subject {
  machine?: MachineId;
  /** Keys derived from the window and machine (`w-3/h=sim-07;i=192.0.2.7/hard-drain`) name the window first. */
  idempotencyKey?: string;
  frameworkId?: string;
  agentId?: string;
  /** A window's own activity (its deadline kills), which names no machine. */
  windowId?: string;
}

export function activityLogger(base: Logger, subject: Subject): Logger {
  const fields: Record<string, unknown> = {};
  try {
    const { info } = Context.current();
    if (info.workflowExecution) fields.workflowId = info.workflowExecution.workflowId;
    fields.activityType = info.activityType;
    fields.attempt = info.attempt;
  } catch {
    // not in an activity (a direct call from a test): the subject alone
  }
  const windowId = subject.windowId ?? windowOf(subject.idempotencyKey);
  if (windowId !== undefined) fields.windowId = windowId;
  if (subject.machine) fields.machine = subject.machine;
  if (subject.frameworkId !== undefined) fields.frameworkId = subject.frameworkId;
  if (subject.agentId !== undefined) fields.agentId = subject.agentId;
  return base.child(fields);
}

/** The window a machine's idempotency key names (`<window id>/<machine key>/<step>`). */
export function windowOf(idempotencyKey: string | undefined): string | undefined {
  const parts = idempotencyKey?.split('/') ?? [];
  return parts.length === 3 && (parts[1].startsWith('h=') || parts[1].startsWith('i=')) ? parts[0] : undefined;
}
