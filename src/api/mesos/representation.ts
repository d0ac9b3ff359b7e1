// maint's state in Mesos' JSON: the shapes Mesos tools already parse. int64 nanoseconds are BigInt (written as bare
// numbers by stringifyJson) and empty repeated fields are left out, as Mesos' JSON::protobuf does.
import type { MachineId } from '../../domain/machine';
import { msToNanos } from '../../domain/time';
import { unavailabilityJson } from '../../domain/scheduler-events';
import type { ClusterStatus } from '../../service/maintenance';
import type { MesosScheduleView } from '../../../workflows/messages';

/** A MachineID as posted: only the fields that were given. */
export function machineIdJson(id: MachineId): MachineId {
  return { ...(id.hostname === undefined ? {} : { hostname: id.hostname }), ...(id.ip === undefined ? {} : { ip: id.ip }) };
}

/** mesos.maintenance.Schedule; `{}` when empty. */
export function scheduleJson(view: MesosScheduleView): object {
  if (view.windows.length === 0) return {};
  return {
    windows: view.windows.map((w) => ({
      machine_ids: w.machines.map(machineIdJson),
      unavailability: unavailabilityJson(w.unavailability),
    })),
  };
}

/** mesos.maintenance.ClusterStatus; `{}` when nothing is in maintenance. */
export function clusterStatusJson(status: ClusterStatus): object {
  const out: Record<string, unknown> = {};
  if (status.draining.length) {
    out.draining_machines = status.draining.map((m) => ({
      id: machineIdJson(m.id),
      ...(m.statuses.length
        ? {
            statuses: m.statuses.map((s) => ({
              status: s.answer,
              framework_id: { value: s.frameworkId },
              timestamp: { nanoseconds: msToNanos(s.atMs) },
            })),
          }
        : {}),
    }));
  }
  if (status.down.length) out.down_machines = status.down.map(machineIdJson);
  return out;
}
