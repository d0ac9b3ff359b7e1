// The schedule entity: the one place that knows which machines are in maintenance, in which window, in which mode.
// It is Mesos' maintenance schedule and the native windows at once: a window created natively is a window of the
// Mesos schedule, and a schedule posted the Mesos way creates windows. Every change is an update whose validator
// applies the rules (Mesos' texts on the Mesos paths), so a request changes nothing or everything.
//
// Mesos-path updates only change this workflow's state and queue their effects (window starts, commands to machines)
// in an outbox the main loop carries out in batches: the operator's 200 does not wait for 10,000 machines, and a
// crash loses nothing (the outbox is state).
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorCode } from '../src/domain/errors';
import {
  duplicateIndex,
  machineIdError,
  machineJson,
  machineKey,
  machineKeyTooLong,
  machineLabel,
  type MachineId,
} from '../src/domain/machine';
import { MESOS_POLICY, type Policy } from '../src/domain/policy';
import { isRepresentableInstant } from '../src/domain/time';
import type { Unavailability, WindowSpec } from '../src/domain/window';
import { WorkflowIds } from '../src/temporal/ids';
import {
  createWindow,
  machineModeChanged,
  machineReleased,
  mesosScheduleView,
  scheduleView,
  startMaintenance,
  stopMaintenance,
  updateMesosSchedule,
  windowCommands,
  type MachineCommand,
  type MaintenanceRequest,
  type ModeChange,
  type NewWindow,
  type PostedSchedule,
  type ScheduledWindow,
} from './messages';
import { coalesced, scheduleDetails, windowWorkflowSummary } from './summaries';
import { windowWorkflow, type WindowSettings } from './window';

export interface ScheduleSettings extends WindowSettings {
  /** What windows posted the Mesos way do on their own; Mesos' "nothing" (MESOS_POLICY) when absent. */
  mesosPolicy?: Policy;
}

/** A machine in maintenance (DRAINING or DOWN), as Mesos lists it. */
interface Entry {
  /** The spelling it was first scheduled with (Mesos keeps it in its status). */
  id: MachineId;
  windowId: string;
  mode: 'DRAINING' | 'DOWN';
  /** Index of its window in `slots`. */
  slot: number;
}

/** A window of the Mesos schedule: the machines as posted, and their unavailability. */
interface Slot {
  machines: MachineId[];
  unavailability: Unavailability;
}

type Effect =
  | { kind: 'start'; spec: WindowSpec }
  | { kind: 'command'; windowId: string; machineKey: string; command: MachineCommand };

interface MesosState {
  slots: Slot[];
  entries: [string, Entry][];
  /** Machines Mesos would still know as UP (scheduled once, since removed). */
  seen: [string, MachineId][];
  outbox: Effect[];
  /** Machines a schedule POST left out, by the window they were in, until their workflow ends. */
  leftOut?: [string, string][];
}

export interface ScheduleInput {
  settings: ScheduleSettings;
  maxHistoryEvents?: number;
  resume?: { nextWindow: number; windows: ScheduledWindow[]; mesos?: MesosState };
}

const DEFAULT_MAX_HISTORY_EVENTS = 5_000;
/** Continue as new well before Temporal's 50 MB history limit (posted schedules are large). */
const MAX_HISTORY_BYTES = 8 * 1024 * 1024;
/** A posted Mesos window is split into maint windows of at most this many machines (bounded window histories). */
export const MAX_MACHINES_PER_MESOS_WINDOW = 500;
/** Effects carried out at once: Temporal allows 2,000 pending child starts and outgoing signals per workflow. */
const OUTBOX_BATCH = 500;
/** Machines remembered as seen (UP); the oldest are forgotten past this. */
const MAX_SEEN = 100_000;

export async function scheduleWorkflow(input: ScheduleInput): Promise<void> {
  const ids = new WorkflowIds(input.settings.instance);
  let nextWindow = input.resume?.nextWindow ?? 1;
  const windows = new Map<string, ScheduledWindow>((input.resume?.windows ?? []).map((w) => [w.id, w]));
  const reservedBy = new Map<string, string>();
  for (const w of windows.values()) for (const key of w.reserved) reservedBy.set(key, w.id);

  const mesos = input.resume?.mesos;
  let slots: Slot[] = mesos?.slots ?? [];
  const entries = new Map<string, Entry>(mesos?.entries ?? []);
  const seen = new Map<string, MachineId>(mesos?.seen ?? []);
  const outbox: Effect[] = mesos?.outbox ?? [];
  const leftOut = new Map<string, string>(mesos?.leftOut ?? []);

  const leave = (key: string, entry: Entry): void => {
    entries.delete(key);
    seen.delete(key);
    seen.set(key, entry.id);
    if (seen.size > MAX_SEEN) seen.delete(seen.keys().next().value!);
  };

  // Every handler changes what the details show; they are rendered once per activation.
  const refreshDetails = coalesced(() =>
    setCurrentDetails(
      scheduleDetails(
        {
          windows: [...windows.values()].map((w) => ({ id: w.id, machines: w.machines.length })),
          entries: entries.values(),
          outbox: outbox.length,
        },
        Date.now(),
      ),
    ),
  );
  refreshDetails();

  setHandler(scheduleView, () => ({ windows: [...windows.values()] }));
  setHandler(mesosScheduleView, () => {
    const down: string[] = [];
    const firstSpelling: Record<string, MachineId> = {};
    const out = slots
      .map((slot, i) => ({
        machines: slot.machines.filter((id) => {
          const key = machineKey(id);
          const entry = entries.get(key);
          if (entry?.slot !== i) return false;
          if (entry.mode === 'DOWN') down.push(key);
          if (machineJson(entry.id) !== machineJson(id)) firstSpelling[key] = entry.id;
          return true;
        }),
        unavailability: slot.unavailability,
      }))
      .filter((w) => w.machines.length > 0);
    return { windows: out, down, firstSpelling };
  });

  setHandler(
    createWindow,
    async (req) => {
      const id = `w-${nextWindow++}`;
      const spec: WindowSpec = { id, ...req };
      const reserved = req.machines.map(machineKey);
      windows.set(id, { id, machines: req.machines, reserved });
      for (const key of reserved) reservedBy.set(key, id);
      const slot = slots.length;
      slots.push({ machines: req.machines, unavailability: req.unavailability });
      req.machines.forEach((m, i) => {
        entries.set(reserved[i], { id: m, windowId: id, mode: 'DRAINING', slot });
        seen.delete(reserved[i]);
      });
      try {
        await startChild(windowWorkflow, {
          workflowId: ids.window(id),
          args: [{ spec, settings: input.settings }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: windowWorkflowSummary(
            { id, machines: req.machines.length, deadlineMs: req.deadlineMs, upAfterMs: req.unavailability.durationMs },
            Date.now(),
          ),
        });
      } catch (err) {
        // All or nothing: a window that could not start reserves nothing.
        windows.delete(id);
        for (const key of reserved) {
          if (reservedBy.get(key) === id) reservedBy.delete(key);
          if (entries.get(key)?.windowId === id) entries.delete(key);
        }
        throw ApplicationFailure.create({
          type: ErrorCode.UNAVAILABLE,
          message: `window ${id} could not be started: ${(err as Error).message}`,
          nonRetryable: true,
        });
      }
      refreshDetails();
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
          const key = machineKey(m);
          const other = reservedBy.get(key) ?? entries.get(key)?.windowId;
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

  // ---- Mesos: POST /maintenance/schedule, UPDATE_MAINTENANCE_SCHEDULE ------------------------------------------

  setHandler(
    updateMesosSchedule,
    (req) => {
      const posted = new Map<string, { id: MachineId; slot: number }>();
      req.windows.forEach((w, slot) => w.machines.forEach((id) => posted.set(machineKey(id), { id, slot })));

      // Left out: DRAINING machines go back to UP (the validator refused leaving a DOWN one out).
      for (const [key, entry] of [...entries]) {
        if (posted.has(key)) continue;
        leave(key, entry);
        leftOut.set(key, entry.windowId);
        outbox.push({ kind: 'command', windowId: entry.windowId, machineKey: key, command: { type: 'cancel' } });
      }
      // Still in: they keep their mode and window, take the new unavailability, and are re-offered (Mesos wipes
      // their answers even when nothing changed). New: DRAINING at once, in new windows.
      const fresh = new Map<number, MachineId[]>();
      for (const [key, { id, slot }] of posted) {
        const entry = entries.get(key);
        const unavailability = req.windows[slot].unavailability;
        if (entry) {
          entry.slot = slot;
          outbox.push({ kind: 'command', windowId: entry.windowId, machineKey: key, command: { type: 'reschedule', unavailability } });
        } else {
          fresh.set(slot, [...(fresh.get(slot) ?? []), id]);
        }
      }
      for (const [slot, machines] of fresh) {
        for (let i = 0; i < machines.length; i += MAX_MACHINES_PER_MESOS_WINDOW) {
          const chunk = machines.slice(i, i + MAX_MACHINES_PER_MESOS_WINDOW);
          const unavailability = req.windows[slot].unavailability;
          const spec: WindowSpec = {
            id: `w-${nextWindow++}`,
            origin: 'mesos',
            machines: chunk,
            unavailability,
            deadlineMs: unavailability.startMs,
            policy: input.settings.mesosPolicy ?? MESOS_POLICY,
            createdAtMs: req.createdAtMs,
            createdBy: req.createdBy,
          };
          const reserved = chunk.map(machineKey);
          windows.set(spec.id, { id: spec.id, machines: chunk, reserved });
          reserved.forEach((key, j) => {
            reservedBy.set(key, spec.id);
            entries.set(key, { id: chunk[j], windowId: spec.id, mode: 'DRAINING', slot });
            seen.delete(key);
          });
          outbox.push({ kind: 'start', spec });
        }
      }
      slots = req.windows.map((w) => ({ machines: w.machines, unavailability: w.unavailability }));
      refreshDetails();
    },
    {
      validator: (req: PostedSchedule) => {
        const posted = new Set<string>();
        req.windows.forEach((w, i) =>
          w.machines.forEach((m, j) => {
            if (machineKeyTooLong(m)) throw invalid(`windows[${i}].machine_ids[${j}].hostname: longer than maint accepts`);
            posted.add(machineKey(m));
          }),
        );
        for (const [key, entry] of entries) {
          if (entry.mode === 'DOWN' && !posted.has(key)) {
            throw invalid(`Machine '${machineJson(entry.id)}' is deactivated and cannot be removed from the schedule`);
          }
        }
        if (req.denied) throw forbidden();
      },
    },
  );

  // ---- Mesos: machine/down (START_MAINTENANCE) and machine/up (STOP_MAINTENANCE) ---------------------------------

  const checkMachines = (req: MaintenanceRequest, mode: 'DRAINING' | 'DOWN', verb: string): void => {
    const cluster = new Set(req.clusterMachines);
    req.machines.forEach((id, i) => {
      const key = machineKey(id);
      const entry = entries.get(key);
      if (!entry && !seen.has(key) && !cluster.has(key)) {
        throw invalid(`Machine '${machineJson(id)}' is not part of a maintenance schedule`);
      }
      if (entry?.mode !== mode) {
        throw invalid(`Machine '${machineJson(id)}' is not in ${mode} mode and cannot be brought ${verb}`);
      }
      if (i === req.deniedAt) throw forbidden();
    });
  };

  setHandler(
    startMaintenance,
    (req) => {
      for (const id of req.machines) {
        const key = machineKey(id);
        const entry = entries.get(key)!;
        entry.mode = 'DOWN';
        outbox.push({ kind: 'command', windowId: entry.windowId, machineKey: key, command: { type: 'down' } });
      }
      refreshDetails();
    },
    { validator: (req) => checkMachines(req, 'DRAINING', 'down') },
  );

  setHandler(
    stopMaintenance,
    (req) => {
      for (const id of req.machines) {
        const key = machineKey(id);
        const entry = entries.get(key)!;
        leave(key, entry);
        outbox.push({ kind: 'command', windowId: entry.windowId, machineKey: key, command: { type: 'up' } });
      }
      refreshDetails();
    },
    { validator: (req) => checkMachines(req, 'DOWN', 'up') },
  );

  // ---- what machines report --------------------------------------------------------------------------------------

  const modeChanged = ({ windowId, machineKey: key, mode, machine, unavailability }: ModeChange): void => {
    const entry = entries.get(key);
    if (entry?.windowId === windowId) {
      if (mode === 'DOWN') entry.mode = 'DOWN';
      else if (mode === 'UP') leave(key, entry);
      return;
    }
    // Went DOWN by itself (a hard drain already under way) after a schedule POST had left it out: it is DOWN, so it
    // is back in the schedule, in a window of its own, until an operator brings it up.
    if (!entry && mode === 'DOWN' && leftOut.get(key) === windowId && machine && unavailability) {
      leftOut.delete(key);
      entries.set(key, { id: machine, windowId, mode: 'DOWN', slot: slots.length });
      slots.push({ machines: [machine], unavailability });
      seen.delete(key);
    }
  };

  const release = (windowId: string, key: string): void => {
    if (reservedBy.get(key) === windowId) reservedBy.delete(key);
    if (leftOut.get(key) === windowId) leftOut.delete(key);
    const entry = entries.get(key);
    if (entry?.windowId === windowId) leave(key, entry);
    const w = windows.get(windowId);
    if (!w) return;
    w.reserved = w.reserved.filter((k) => k !== key);
    if (w.reserved.length === 0) windows.delete(windowId);
  };

  setHandler(machineModeChanged, (change) => {
    refreshDetails();
    modeChanged(change);
    if (change.released) release(change.windowId, change.machineKey); // the machine's last report (release-with-up)
  });
  setHandler(machineReleased, ({ windowId, machineKey: key }) => {
    refreshDetails();
    release(windowId, key);
  });

  // ---- the outbox ------------------------------------------------------------------------------------------------

  const startWindow = async (spec: WindowSpec): Promise<void> => {
    try {
      await startChild(windowWorkflow, {
        workflowId: ids.window(spec.id),
        args: [{ spec, settings: input.settings }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: windowWorkflowSummary(
          {
            id: spec.id,
            origin: 'mesos',
            machines: spec.machines.length,
            deadlineMs: spec.deadlineMs,
            upAfterMs: spec.unavailability.durationMs,
          },
          Date.now(),
        ),
      });
    } catch (err) {
      // Cannot happen short of a bug (window ids are never reused); the machines go back to UP rather than sit
      // DRAINING with nobody driving them.
      log.error('window could not be started; its machines are back UP', { window: spec.id, error: String(err) });
      windows.delete(spec.id);
      for (const id of spec.machines) {
        const key = machineKey(id);
        if (reservedBy.get(key) === spec.id) reservedBy.delete(key);
        const entry = entries.get(key);
        if (entry?.windowId === spec.id) leave(key, entry);
      }
    }
  };

  const carryOut = async (batch: Effect[]): Promise<void> => {
    // A command's window was queued before it: in an earlier batch, or in this one, whose starts go first.
    await Promise.all(batch.flatMap((e) => (e.kind === 'start' ? [startWindow(e.spec)] : [])));
    const byWindow = new Map<string, { machineKey: string; command: MachineCommand }[]>();
    for (const e of batch) {
      if (e.kind !== 'command') continue;
      byWindow.set(e.windowId, [...(byWindow.get(e.windowId) ?? []), { machineKey: e.machineKey, command: e.command }]);
    }
    await Promise.all(
      [...byWindow].map(([windowId, commands]) =>
        // A window that has ended has no machine left to tell.
        getExternalWorkflowHandle(ids.window(windowId)).signal(windowCommands, { commands }).catch(() => undefined),
      ),
    );
  };

  // An entity lives forever: continue as new before the history grows large, carrying its state.
  const limit = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > limit || info.historySize > MAX_HISTORY_BYTES;
  };
  for (;;) {
    await condition(() => outbox.length > 0 || historyFull());
    if (outbox.length === 0) break;
    await carryOut(outbox.splice(0, OUTBOX_BATCH));
    refreshDetails();
  }
  await condition(allHandlersFinished);
  // Slots keep only the machines still in them.
  const kept = slots.map((slot, i) => ({
    ...slot,
    machines: slot.machines.filter((id) => entries.get(machineKey(id))?.slot === i),
  }));
  const index = new Map<number, number>();
  const compact: Slot[] = [];
  kept.forEach((slot, i) => {
    if (slot.machines.length === 0) return;
    index.set(i, compact.length);
    compact.push(slot);
  });
  for (const entry of entries.values()) entry.slot = index.get(entry.slot) ?? entry.slot;
  await continueAsNew<typeof scheduleWorkflow>({
    ...input,
    resume: {
      nextWindow,
      windows: [...windows.values()],
      mesos: { slots: compact, entries: [...entries], seen: [...seen], outbox, leftOut: [...leftOut] },
    },
  });
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorCode.INVALID, message, nonRetryable: true });
}

function forbidden(): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorCode.FORBIDDEN, message: 'Forbidden', nonRetryable: true });
}
