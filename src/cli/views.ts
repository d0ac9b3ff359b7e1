// What the API answers, as the CLI reads it: the native API's representations (types only, so the CLI and the API
// cannot drift) and Mesos' maintenance JSON.
import type { machineJson, machineReportJson, windowJson, windowSummaryJson } from '../api/native/representation';
import type { MachineId } from '../domain/machine';

export type WindowJson = ReturnType<typeof windowJson>;
export type MachineJson = ReturnType<typeof machineJson>;
export type WindowSummaryJson = ReturnType<typeof windowSummaryJson>;
export type MachineReportJson = ReturnType<typeof machineReportJson>;

/** int64 nanoseconds arrive as number or, past 2^53, BigInt (lossless parsing). */
export type Nanos = number | bigint;

export interface MesosSchedule {
  windows?: { machine_ids?: MachineId[]; unavailability?: { start?: { nanoseconds?: Nanos }; duration?: { nanoseconds?: Nanos } } }[];
}

export interface MesosClusterStatus {
  draining_machines?: {
    id: MachineId;
    statuses?: { status: string; framework_id: { value: string }; timestamp?: { nanoseconds?: Nanos } }[];
  }[];
  down_machines?: MachineId[];
}
