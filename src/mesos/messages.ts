// The Mesos messages maint takes as JSON, as descriptors for proto-json.ts and as TypeScript types, and the parsers
// for the request bodies of the maintenance endpoints and the v1 operator API. Pure: workflows import it.
//
// Field names, numbers, labels and declaration order are copied from Mesos' protos (include/mesos/v1/mesos.proto,
// maintenance/maintenance.proto, master/master.proto, google/protobuf/duration.proto). Parsing follows what Mesos'
// HTTP handlers do (src/master/http.cpp):
// - POST /master/maintenance/schedule: JSON::parse<JSON::Object>(body), then protobuf::parse<Schedule>; no prefix.
// - POST /master/machine/{down,up}: JSON::parse<JSON::Array>(body), then protobuf::parse<RepeatedPtrField<MachineID>>.
// - POST /api/v1 (JSON): JSON::parse(body) (prefix "Failed to parse body into JSON: "), then
//   protobuf::parse<v1::master::Call> (prefix "Failed to convert JSON into Call protobuf: "), then
//   validation::master::call::validate (prefix "Failed to validate master::Call: "). `stage` tells the caller which.
import type { MachineId } from '../domain/machine';
import {
  parseJsonBody,
  parseMessage,
  parseRepeatedMessages,
  type FieldDescriptor,
  type MessageDescriptor,
  type ProtoMessage,
} from './proto-json';

/** A parse failure and where it happened: 'json' (the body is not the JSON expected) or 'proto' (conversion). */
export type BodyResult<T> = { ok: true; value: T } | { ok: false; error: string; stage: 'json' | 'proto' };

// ---------------------------------------------------------------------------------------------------------------
// Types (proto field names; int64 as bigint; unset optional fields absent; repeated fields always arrays)

export type { MachineId };

export interface TimeInfo {
  nanoseconds: bigint;
}

export interface DurationInfo {
  nanoseconds: bigint;
}

/** No duration: the machine is unavailable indefinitely. */
export interface Unavailability {
  start: TimeInfo;
  duration?: DurationInfo;
}

export interface Window {
  machine_ids: MachineId[];
  unavailability: Unavailability;
}

export interface Schedule {
  windows: Window[];
}

export interface AgentId {
  value: string;
}

/** google.protobuf.Duration (proto3: both fields always there, 0 when not given). */
export interface ProtoDuration {
  seconds: bigint;
  nanos: number;
}

export interface UpdateMaintenanceSchedule {
  schedule: Schedule;
}

export interface MachinesCall {
  machines: MachineId[];
}

export interface DrainAgent {
  agent_id: AgentId;
  max_grace_period?: ProtoDuration;
  /** Absent means false (the proto default). */
  mark_gone?: boolean;
}

export interface AgentCall {
  agent_id: AgentId;
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptors

function message(name: string, fields: FieldDescriptor[], proto3?: boolean): MessageDescriptor {
  return proto3 ? { name, fields, proto3 } : { name, fields };
}

export const MachineIdDescriptor = message('mesos.v1.MachineID', [
  { name: 'hostname', number: 1, kind: 'string' },
  { name: 'ip', number: 2, kind: 'string' },
]);

export const TimeInfoDescriptor = message('mesos.v1.TimeInfo', [
  { name: 'nanoseconds', number: 1, kind: 'int64', required: true },
]);

export const DurationInfoDescriptor = message('mesos.v1.DurationInfo', [
  { name: 'nanoseconds', number: 1, kind: 'int64', required: true },
]);

export const UnavailabilityDescriptor = message('mesos.v1.Unavailability', [
  { name: 'start', number: 1, kind: 'message', required: true, message: TimeInfoDescriptor },
  { name: 'duration', number: 2, kind: 'message', message: DurationInfoDescriptor },
]);

export const WindowDescriptor = message('mesos.v1.maintenance.Window', [
  { name: 'machine_ids', number: 1, kind: 'message', repeated: true, message: MachineIdDescriptor },
  { name: 'unavailability', number: 2, kind: 'message', required: true, message: UnavailabilityDescriptor },
]);

export const ScheduleDescriptor = message('mesos.v1.maintenance.Schedule', [
  { name: 'windows', number: 1, kind: 'message', repeated: true, message: WindowDescriptor },
]);

export const AgentIdDescriptor = message('mesos.v1.AgentID', [
  { name: 'value', number: 1, kind: 'string', required: true },
]);

const FrameworkIdDescriptor = message('mesos.v1.FrameworkID', [
  { name: 'value', number: 1, kind: 'string', required: true },
]);

export const DurationDescriptor = message(
  'google.protobuf.Duration',
  [
    { name: 'seconds', number: 1, kind: 'int64' },
    { name: 'nanos', number: 2, kind: 'int32' },
  ],
  true,
);

const WeightInfoDescriptor = message('mesos.v1.WeightInfo', [
  { name: 'weight', number: 1, kind: 'double', required: true },
  { name: 'role', number: 2, kind: 'string' },
]);

const ScalarDescriptor = message('mesos.v1.Value.Scalar', [
  { name: 'value', number: 1, kind: 'double', required: true },
]);

const RangeDescriptor = message('mesos.v1.Value.Range', [
  { name: 'begin', number: 1, kind: 'uint64', required: true },
  { name: 'end', number: 2, kind: 'uint64', required: true },
]);

const RangesDescriptor = message('mesos.v1.Value.Ranges', [
  { name: 'range', number: 1, kind: 'message', repeated: true, message: RangeDescriptor },
]);

const SetDescriptor = message('mesos.v1.Value.Set', [{ name: 'item', number: 1, kind: 'string', repeated: true }]);

/**
 * PARTIAL: only Resource's value fields. Calls that carry resources are not implemented by maint; this is enough for
 * their common errors (missing name/type, bad scalar), not for reservations, disks, providers and the like, whose
 * keys are ignored here as unknown.
 */
const ResourceDescriptor = message('mesos.v1.Resource (partial)', [
  { name: 'name', number: 1, kind: 'string', required: true },
  { name: 'type', number: 2, kind: 'enum', required: true, enumValues: ['SCALAR', 'RANGES', 'SET', 'TEXT'] },
  { name: 'scalar', number: 3, kind: 'message', message: ScalarDescriptor },
  { name: 'ranges', number: 4, kind: 'message', message: RangesDescriptor },
  { name: 'set', number: 5, kind: 'message', message: SetDescriptor },
  { name: 'role', number: 6, kind: 'string' },
]);

/** PARTIAL: the guarantees/limits maps are not modelled (ignored as unknown keys). */
const QuotaConfigDescriptor = message('mesos.v1.quota.QuotaConfig (partial)', [
  { name: 'role', number: 1, kind: 'string', required: true },
]);

const QuotaRequestDescriptor = message('mesos.v1.quota.QuotaRequest', [
  { name: 'force', number: 1, kind: 'bool' },
  { name: 'role', number: 2, kind: 'string' },
  { name: 'guarantee', number: 3, kind: 'message', repeated: true, message: ResourceDescriptor },
]);

const agentIdField = (required: boolean): FieldDescriptor => ({
  name: 'agent_id',
  number: 1,
  kind: 'message',
  required,
  message: AgentIdDescriptor,
});

/** Every mesos.v1.master.Call.Type, in declaration order. */
export const CALL_TYPES = [
  'UNKNOWN',
  'GET_HEALTH',
  'GET_FLAGS',
  'GET_VERSION',
  'GET_METRICS',
  'GET_LOGGING_LEVEL',
  'SET_LOGGING_LEVEL',
  'LIST_FILES',
  'READ_FILE',
  'GET_STATE',
  'GET_AGENTS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_OPERATIONS',
  'GET_TASKS',
  'GET_ROLES',
  'GET_WEIGHTS',
  'UPDATE_WEIGHTS',
  'GET_MASTER',
  'SUBSCRIBE',
  'RESERVE_RESOURCES',
  'UNRESERVE_RESOURCES',
  'CREATE_VOLUMES',
  'DESTROY_VOLUMES',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'GET_MAINTENANCE_STATUS',
  'GET_MAINTENANCE_SCHEDULE',
  'UPDATE_MAINTENANCE_SCHEDULE',
  'START_MAINTENANCE',
  'STOP_MAINTENANCE',
  'DRAIN_AGENT',
  'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT',
  'GET_QUOTA',
  'UPDATE_QUOTA',
  'SET_QUOTA',
  'REMOVE_QUOTA',
  'TEARDOWN',
  'MARK_AGENT_GONE',
] as const;
export type CallType = (typeof CALL_TYPES)[number];

/** The calls maint serves on POST /api/v1. */
export const IMPLEMENTED_CALL_TYPES = [
  'GET_MAINTENANCE_STATUS',
  'GET_MAINTENANCE_SCHEDULE',
  'UPDATE_MAINTENANCE_SCHEDULE',
  'START_MAINTENANCE',
  'STOP_MAINTENANCE',
  'GET_AGENTS',
  'DRAIN_AGENT',
  'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT',
] as const satisfies readonly CallType[];
export type ImplementedCallType = (typeof IMPLEMENTED_CALL_TYPES)[number];


/** Calls Mesos knows and maint does not serve (UNKNOWN included: Mesos answers it 501 Not Implemented). */
export const NOT_IMPLEMENTED_CALL_TYPES: readonly CallType[] = CALL_TYPES.filter(
  (t) => !(IMPLEMENTED_CALL_TYPES as readonly CallType[]).includes(t),
);

export function isImplementedCallType(type: CallType): type is ImplementedCallType {
  return (IMPLEMENTED_CALL_TYPES as readonly CallType[]).includes(type);
}

export const CallDescriptor = message('mesos.v1.master.Call', [
  { name: 'type', number: 1, kind: 'enum', enumValues: CALL_TYPES },
  {
    name: 'get_metrics',
    number: 2,
    kind: 'message',
    message: message('mesos.v1.master.Call.GetMetrics', [
      { name: 'timeout', number: 1, kind: 'message', message: DurationInfoDescriptor },
    ]),
  },
  {
    name: 'set_logging_level',
    number: 3,
    kind: 'message',
    message: message('mesos.v1.master.Call.SetLoggingLevel', [
      { name: 'level', number: 1, kind: 'uint32', required: true },
      { name: 'duration', number: 2, kind: 'message', required: true, message: DurationInfoDescriptor },
    ]),
  },
  {
    name: 'list_files',
    number: 4,
    kind: 'message',
    message: message('mesos.v1.master.Call.ListFiles', [{ name: 'path', number: 1, kind: 'string', required: true }]),
  },
  {
    name: 'read_file',
    number: 5,
    kind: 'message',
    message: message('mesos.v1.master.Call.ReadFile', [
      { name: 'path', number: 1, kind: 'string', required: true },
      { name: 'offset', number: 2, kind: 'uint64', required: true },
      { name: 'length', number: 3, kind: 'uint64' },
    ]),
  },
  {
    name: 'update_weights',
    number: 6,
    kind: 'message',
    message: message('mesos.v1.master.Call.UpdateWeights', [
      { name: 'weight_infos', number: 1, kind: 'message', repeated: true, message: WeightInfoDescriptor },
    ]),
  },
  {
    name: 'reserve_resources',
    number: 7,
    kind: 'message',
    message: message('mesos.v1.master.Call.ReserveResources', [
      agentIdField(true),
      { name: 'source', number: 3, kind: 'message', repeated: true, message: ResourceDescriptor },
      { name: 'resources', number: 2, kind: 'message', repeated: true, message: ResourceDescriptor },
    ]),
  },
  {
    name: 'unreserve_resources',
    number: 8,
    kind: 'message',
    message: message('mesos.v1.master.Call.UnreserveResources', [
      agentIdField(true),
      { name: 'resources', number: 2, kind: 'message', repeated: true, message: ResourceDescriptor },
    ]),
  },
  {
    name: 'create_volumes',
    number: 9,
    kind: 'message',
    message: message('mesos.v1.master.Call.CreateVolumes', [
      agentIdField(true),
      { name: 'volumes', number: 2, kind: 'message', repeated: true, message: ResourceDescriptor },
    ]),
  },
  {
    name: 'destroy_volumes',
    number: 10,
    kind: 'message',
    message: message('mesos.v1.master.Call.DestroyVolumes', [
      agentIdField(true),
      { name: 'volumes', number: 2, kind: 'message', repeated: true, message: ResourceDescriptor },
    ]),
  },
  {
    name: 'grow_volume',
    number: 18,
    kind: 'message',
    message: message('mesos.v1.master.Call.GrowVolume', [
      agentIdField(false),
      { name: 'volume', number: 2, kind: 'message', required: true, message: ResourceDescriptor },
      { name: 'addition', number: 3, kind: 'message', required: true, message: ResourceDescriptor },
    ]),
  },
  {
    name: 'shrink_volume',
    number: 19,
    kind: 'message',
    message: message('mesos.v1.master.Call.ShrinkVolume', [
      agentIdField(false),
      { name: 'volume', number: 2, kind: 'message', required: true, message: ResourceDescriptor },
      { name: 'subtract', number: 3, kind: 'message', required: true, message: ScalarDescriptor },
    ]),
  },
  {
    name: 'update_maintenance_schedule',
    number: 11,
    kind: 'message',
    message: message('mesos.v1.master.Call.UpdateMaintenanceSchedule', [
      { name: 'schedule', number: 1, kind: 'message', required: true, message: ScheduleDescriptor },
    ]),
  },
  {
    name: 'start_maintenance',
    number: 12,
    kind: 'message',
    message: message('mesos.v1.master.Call.StartMaintenance', [
      { name: 'machines', number: 1, kind: 'message', repeated: true, message: MachineIdDescriptor },
    ]),
  },
  {
    name: 'stop_maintenance',
    number: 13,
    kind: 'message',
    message: message('mesos.v1.master.Call.StopMaintenance', [
      { name: 'machines', number: 1, kind: 'message', repeated: true, message: MachineIdDescriptor },
    ]),
  },
  {
    name: 'drain_agent',
    number: 21,
    kind: 'message',
    message: message('mesos.v1.master.Call.DrainAgent', [
      agentIdField(true),
      { name: 'max_grace_period', number: 2, kind: 'message', message: DurationDescriptor },
      { name: 'mark_gone', number: 3, kind: 'bool' },
    ]),
  },
  {
    name: 'deactivate_agent',
    number: 22,
    kind: 'message',
    message: message('mesos.v1.master.Call.DeactivateAgent', [agentIdField(true)]),
  },
  {
    name: 'reactivate_agent',
    number: 23,
    kind: 'message',
    message: message('mesos.v1.master.Call.ReactivateAgent', [agentIdField(true)]),
  },
  {
    name: 'update_quota',
    number: 20,
    kind: 'message',
    message: message('mesos.v1.master.Call.UpdateQuota', [
      { name: 'force', number: 1, kind: 'bool' },
      { name: 'quota_configs', number: 2, kind: 'message', repeated: true, message: QuotaConfigDescriptor },
    ]),
  },
  {
    name: 'teardown',
    number: 16,
    kind: 'message',
    message: message('mesos.v1.master.Call.Teardown', [
      { name: 'framework_id', number: 1, kind: 'message', required: true, message: FrameworkIdDescriptor },
    ]),
  },
  {
    name: 'mark_agent_gone',
    number: 17,
    kind: 'message',
    message: message('mesos.v1.master.Call.MarkAgentGone', [agentIdField(true)]),
  },
  {
    name: 'set_quota',
    number: 14,
    kind: 'message',
    message: message('mesos.v1.master.Call.SetQuota', [
      { name: 'quota_request', number: 1, kind: 'message', required: true, message: QuotaRequestDescriptor },
    ]),
  },
  {
    name: 'remove_quota',
    number: 15,
    kind: 'message',
    message: message('mesos.v1.master.Call.RemoveQuota', [{ name: 'role', number: 1, kind: 'string', required: true }]),
  },
]);

/** A parsed v1 master Call. Sub-messages of calls maint does not serve are left generic. */
export interface MasterCall {
  /** Absent when not given, or given with a name Mesos does not know (proto2 drops unknown enum values). */
  type?: CallType;
  update_maintenance_schedule?: UpdateMaintenanceSchedule;
  start_maintenance?: MachinesCall;
  stop_maintenance?: MachinesCall;
  drain_agent?: DrainAgent;
  deactivate_agent?: AgentCall;
  reactivate_agent?: AgentCall;
  get_metrics?: ProtoMessage;
  set_logging_level?: ProtoMessage;
  list_files?: ProtoMessage;
  read_file?: ProtoMessage;
  update_weights?: ProtoMessage;
  reserve_resources?: ProtoMessage;
  unreserve_resources?: ProtoMessage;
  create_volumes?: ProtoMessage;
  destroy_volumes?: ProtoMessage;
  grow_volume?: ProtoMessage;
  shrink_volume?: ProtoMessage;
  update_quota?: ProtoMessage;
  teardown?: ProtoMessage;
  mark_agent_gone?: ProtoMessage;
  set_quota?: ProtoMessage;
  remove_quota?: ProtoMessage;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsers

/** POST /master/maintenance/schedule's body (and `{}` is the empty schedule). */
export function parseSchedule(text: string): BodyResult<Schedule> {
  const json = parseJsonBody(text, 'object');
  if (!json.ok) return { ok: false, error: json.error, stage: 'json' };
  const parsed = parseMessage(ScheduleDescriptor, json.value);
  if (!parsed.ok) return { ok: false, error: parsed.error, stage: 'proto' };
  return { ok: true, value: parsed.value as unknown as Schedule };
}

/** POST /master/machine/down and /master/machine/up bodies: a JSON array of MachineID. */
export function parseMachineList(text: string): BodyResult<MachineId[]> {
  const json = parseJsonBody(text, 'array');
  if (!json.ok) return { ok: false, error: json.error, stage: 'json' };
  const parsed = parseRepeatedMessages(MachineIdDescriptor, json.value);
  if (!parsed.ok) return { ok: false, error: parsed.error, stage: 'proto' };
  return { ok: true, value: parsed.value as MachineId[] };
}

export const JSON_ERROR_PREFIX = 'Failed to parse body into JSON: ';
export const CALL_CONVERSION_ERROR_PREFIX = 'Failed to convert JSON into Call protobuf: ';
export const CALL_VALIDATION_ERROR_PREFIX = 'Failed to validate master::Call: ';

/**
 * A JSON POST /api/v1 body. Unlike the other parsers, `error` carries the stage's prefix, since Mesos' 400 body
 * depends on it: "Failed to parse body into JSON: <json error>" or "Failed to convert JSON into Call protobuf:
 * <conversion error>" (a body that is JSON but not an object: "...protobuf: Expecting a JSON object"). `detail` is
 * the text without the prefix. Validation is separate: `validateMasterCall`.
 */
export function parseMasterCall(text: string): BodyResult<MasterCall> & { detail?: string } {
  const json = parseJsonBody(text, 'any');
  if (!json.ok) return { ok: false, error: JSON_ERROR_PREFIX + json.error, detail: json.error, stage: 'json' };
  const parsed = parseMessage(CallDescriptor, json.value);
  if (!parsed.ok) {
    return { ok: false, error: CALL_CONVERSION_ERROR_PREFIX + parsed.error, detail: parsed.error, stage: 'proto' };
  }
  return { ok: true, value: parsed.value as MasterCall };
}

/** The sub-message each call type requires (validation::master::call::validate). */
const REQUIRED_SUB_MESSAGE: Partial<Record<CallType, keyof MasterCall>> = {
  GET_METRICS: 'get_metrics',
  SET_LOGGING_LEVEL: 'set_logging_level',
  LIST_FILES: 'list_files',
  READ_FILE: 'read_file',
  UPDATE_WEIGHTS: 'update_weights',
  RESERVE_RESOURCES: 'reserve_resources',
  UNRESERVE_RESOURCES: 'unreserve_resources',
  CREATE_VOLUMES: 'create_volumes',
  DESTROY_VOLUMES: 'destroy_volumes',
  GROW_VOLUME: 'grow_volume',
  SHRINK_VOLUME: 'shrink_volume',
  UPDATE_MAINTENANCE_SCHEDULE: 'update_maintenance_schedule',
  START_MAINTENANCE: 'start_maintenance',
  STOP_MAINTENANCE: 'stop_maintenance',
  DRAIN_AGENT: 'drain_agent',
  DEACTIVATE_AGENT: 'deactivate_agent',
  REACTIVATE_AGENT: 'reactivate_agent',
  UPDATE_QUOTA: 'update_quota',
  SET_QUOTA: 'set_quota',
  REMOVE_QUOTA: 'remove_quota',
  TEARDOWN: 'teardown',
  MARK_AGENT_GONE: 'mark_agent_gone',
};

/**
 * Mesos' validation::master::call::validate on the devolved call, without its "Failed to validate master::Call: "
 * prefix (CALL_VALIDATION_ERROR_PREFIX): the caller adds it. Undefined when valid.
 * Not reproduced: Resources::validate for RESERVE/UNRESERVE_RESOURCES (maint does not serve them).
 */
export function validateMasterCall(call: MasterCall): string | undefined {
  // devolve() moves drain_agent.max_grace_period (a google.protobuf.Duration) into a DurationInfo by re-parsing its
  // bytes, and converts it properly only for DRAIN_AGENT calls. For any other type, a Duration with no seconds has
  // no field 1 on the wire, so the internal DurationInfo lacks its required nanoseconds.
  const grace = call.drain_agent?.max_grace_period;
  if (call.type !== 'DRAIN_AGENT' && grace !== undefined && grace.seconds === 0n) {
    return 'Not initialized: drain_agent.max_grace_period.nanoseconds';
  }
  if (call.type === undefined) return "Expecting 'type' to be present";
  const field = REQUIRED_SUB_MESSAGE[call.type];
  if (field === undefined) return undefined;
  const value = call[field] as ProtoMessage | undefined;
  if (value === undefined) return `Expecting '${field}' to be present`;
  if ((call.type === 'GROW_VOLUME' || call.type === 'SHRINK_VOLUME') && value.agent_id === undefined) {
    return "Expecting 'agent_id' to be present; only agent default resources are supported right now";
  }
  return undefined;
}

/** DRAIN_AGENT's max_grace_period as Mesos stores it (devolve: seconds * 1e9 + nanos, in int64). */
export function durationToNanos(duration: ProtoDuration): bigint {
  return BigInt.asIntN(64, BigInt.asIntN(64, duration.seconds * 1_000_000_000n) + BigInt(duration.nanos));
}
