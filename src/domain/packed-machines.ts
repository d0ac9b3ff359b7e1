// Machines in maintenance, packed for continue-as-new: a workflow's input must stay under Temporal's 2 MB payload
// limit, and 10,000 machines written out one by one do not. Most machines share a few unavailabilities (a window's),
// so each is written once and machines refer to it. Pure: workflows import it.
import type { MachineUnavailability } from './framework';
import { machineKey, type MachineId } from './machine';
import type { MachineMode, Unavailability } from './window';

/** Machines as [machine, agent id or null, mode, index into unavailabilities or -1]. */
export interface PackedMachines {
  unavailabilities: Unavailability[];
  machines: [MachineId, string | null, MachineMode, number][];
}

export function packMachines(list: readonly MachineUnavailability[]): PackedMachines {
  const unavailabilities: Unavailability[] = [];
  const index = new Map<string, number>();
  const machines = list.map(({ machine, agentId, mode, unavailability }): PackedMachines['machines'][number] => {
    let i = -1;
    if (unavailability) {
      const text = JSON.stringify(unavailability);
      if (!index.has(text)) index.set(text, unavailabilities.push(unavailability) - 1);
      i = index.get(text)!;
    }
    return [machine, agentId ?? null, mode, i];
  });
  return { unavailabilities, machines };
}

/** The machines back, from a packed list or (state written before packing) a plain one. */
export function unpackMachines(packed: PackedMachines | readonly MachineUnavailability[] | undefined): MachineUnavailability[] {
  if (!packed) return [];
  if (Array.isArray(packed)) return [...packed];
  const { machines, unavailabilities } = packed as PackedMachines;
  return machines.map(([machine, agentId, mode, i]) => ({
    key: machineKey(machine),
    machine,
    ...(agentId === null ? {} : { agentId }),
    mode,
    ...(i < 0 ? {} : { unavailability: unavailabilities[i] }),
  }));
}
