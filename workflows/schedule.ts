// The schedule entity: the one place that knows which machines are in which window. Creating a window is an update
// whose validator refuses a machine already in another window, so the request changes nothing or everything.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorCode } from '../src/domain/errors';
import { duplicateIndex, machineIdError, machineKey, machineKeyTooLong, machineLabel } from '../src/domain/machine';
import { isRepresentableInstant } from '../src/domain/time';
import type { WindowSpec } from '../src/domain/window';
import { WorkflowIds } from '../src/temporal/ids';
import { createWindow, machineReleased, scheduleView, type NewWindow, type ScheduledWindow } from './messages';
import { windowWorkflow, type WindowSettings } from './window';

export interface ScheduleInput {
  settings: WindowSettings;
  maxHistoryEvents?: number;
  resume?: { nextWindow: number; windows: ScheduledWindow[] };
}

const DEFAULT_MAX_HISTORY_EVENTS = 5_000;

export async function scheduleWorkflow(input: ScheduleInput): Promise<void> {
  let nextWindow = input.resume?.nextWindow ?? 1;
  const windows = new Map<string, ScheduledWindow>((input.resume?.windows ?? []).map((w) => [w.id, w]));
  const reservedBy = new Map<string, string>();
  for (const w of windows.values()) for (const key of w.reserved) reservedBy.set(key, w.id);

  setHandler(scheduleView, () => ({ windows: [...windows.values()] }));

  setHandler(
    createWindow,
    async (req) => {
      const id = `w-${nextWindow++}`;
      const spec: WindowSpec = { id, ...req };
      const reserved = req.machines.map(machineKey);
      windows.set(id, { id, machines: req.machines, reserved });
      for (const key of reserved) reservedBy.set(key, id);
      try {
        await startChild(windowWorkflow, {
          workflowId: new WorkflowIds(input.settings.instance).window(id),
          args: [{ spec, settings: input.settings }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: `window ${id}: ${req.machines.length} machines, deadline ${new Date(req.deadlineMs).toISOString()}`,
        });
      } catch (err) {
        // All or nothing: a window that could not start reserves nothing.
        windows.delete(id);
        for (const key of reserved) if (reservedBy.get(key) === id) reservedBy.delete(key);
        throw ApplicationFailure.create({
          type: ErrorCode.UNAVAILABLE,
          message: `window ${id} could not be started: ${(err as Error).message}`,
          nonRetryable: true,
        });
      }
      return spec;
    },
    {
      validator: (req: NewWindow) => {
        if (req.machines.length === 0) throw invalid('machines: a window needs at least one machine');
        req.machines.forEach((m, i) => {
          const error = machineIdError(m);
          if (error) throw invalid(`machines[${i}]: ${error}`);
        });
        req.machines.forEach((m, i) => {
          if (machineKeyTooLong(m)) throw invalid(`machines[${i}].hostname: longer than maint accepts`);
        });
        const dup = duplicateIndex(req.machines);
        if (dup !== undefined) throw invalid(`machines[${dup}]: ${machineLabel(req.machines[dup])} appears more than once`);
        const { startMs, durationMs } = req.unavailability;
        const end = startMs + (durationMs ?? 0);
        if (![startMs, req.deadlineMs, end].every(isRepresentableInstant)) {
          throw invalid('unavailability: start, deadline or end is not a representable date');
        }
        req.machines.forEach((m, i) => {
          const other = reservedBy.get(machineKey(m));
          if (other) {
            throw ApplicationFailure.create({
              type: ErrorCode.CONFLICT,
              message: `machines[${i}]: ${machineLabel(m)} is already in window ${other}`,
              nonRetryable: true,
            });
          }
        });
      },
    },
  );

  setHandler(machineReleased, ({ windowId, machineKey: key }) => {
    if (reservedBy.get(key) === windowId) reservedBy.delete(key);
    const w = windows.get(windowId);
    if (!w) return;
    w.reserved = w.reserved.filter((k) => k !== key);
    if (w.reserved.length === 0) windows.delete(windowId);
  });

  // An entity lives forever: continue as new before the history grows large, carrying what is reserved.
  const limit = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof scheduleWorkflow>({
    ...input,
    resume: { nextWindow, windows: [...windows.values()] },
  });
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorCode.INVALID, message, nonRetryable: true });
}
