// Mesos' stateless validation of a maintenance schedule and of a machine list (src/master/maintenance.cpp, namespace
// validation), with Mesos' exact texts and order: the first error wins. Pure: workflows import it.
//
// The stateful rule (a DOWN machine may not leave the schedule) needs the machines' modes and lives with them.
import { machineIdError, machineJson, machineKey, type MachineId } from '../domain/machine';

/** What the schedule rules read: any schedule with Mesos' shape (messages.ts's Schedule fits). */
export interface ScheduleShape {
  readonly windows: readonly {
    readonly machine_ids: readonly MachineId[];
    readonly unavailability: { readonly duration?: { readonly nanoseconds: bigint } };
  }[];
}

function duplicateText(id: MachineId): string {
  return `Machine '${machineJson(id)}' appears more than once in the schedule`;
}

/**
 * validation::schedule without the DOWN-machine check. Per window, in order: no machines, a negative duration, then
 * each machine in turn (invalid id, then already seen anywhere earlier in the schedule, by Mesos' MachineID equality).
 */
export function scheduleError(schedule: ScheduleShape): string | undefined {
  const seen = new Set<string>();
  for (const window of schedule.windows) {
    if (window.machine_ids.length === 0) return 'List of machines in the maintenance window is empty';
    // No duration reads as DurationInfo's default, 0: not negative.
    const duration = window.unavailability.duration?.nanoseconds ?? 0n;
    if (duration < 0n) return "Unavailability 'duration' is negative";
    const error = eachMachineError(window.machine_ids, seen);
    if (error !== undefined) return error;
  }
  return undefined;
}

/**
 * validation::machines, for /machine/down, /machine/up and START/STOP_MAINTENANCE: an empty list, then each machine
 * in turn (invalid id, then a repeat; the text says "schedule" here too).
 */
export function machineListError(ids: readonly MachineId[]): string | undefined {
  if (ids.length === 0) return 'List of machines is empty';
  return eachMachineError(ids, new Set<string>());
}

/** Machine by machine: an invalid id, then a repeat of one already in `seen` (which it fills). */
function eachMachineError(ids: readonly MachineId[], seen: Set<string>): string | undefined {
  for (const id of ids) {
    const invalid = machineIdError(id);
    if (invalid !== undefined) return invalid;
    const key = machineKey(id);
    if (seen.has(key)) return duplicateText(id);
    seen.add(key);
  }
  return undefined;
}
