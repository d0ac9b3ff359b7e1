// The scheduler API on the wire: events maint sends frameworks and calls it takes, in Mesos v1 scheduler shapes where
// Mesos has them (snake_case, {value} wrappers, int64 nanoseconds), with maint's additions marked. Pure types: the
// API, the activities and the framework client (src/scheduler-client) share them.

export interface Value {
  value: string;
}

/** int64 nanoseconds; serialised as a bare JSON number (lossless-json), accepted as a number or numeric string. */
export interface NanosJson {
  nanoseconds: bigint | number | string;
}

export interface UnavailabilityJson {
  start: NanosJson;
  duration?: NanosJson;
}

export interface MachineIdJson {
  hostname?: string;
  ip?: string;
}

/** Mesos' Resource: a scalar, or (with `disk.persistence`) a persistent volume. */
export interface ResourceJson {
  name: string;
  type: 'SCALAR';
  scalar: { value: number };
  disk?: { persistence: { id: string }; volume?: { container_path: string; mode: 'RW' } };
}

export interface InverseOfferJson {
  id: Value;
  framework_id: Value;
  agent_id: Value;
  unavailability: UnavailabilityJson;
  /** What the framework holds on the agent (its tasks' resources and persistent volumes); empty: not known. */
  resources: ResourceJson[];
  /** maint: the machine the agent runs on. */
  machine_id?: MachineIdJson;
}

/** Mesos' TaskStatus, as far as maint reports it (tasks killed by a drain). `timestamp` is seconds, as in Mesos. */
export interface TaskStatusJson {
  task_id: Value;
  state: 'TASK_KILLED' | 'TASK_GONE_BY_OPERATOR';
  reason: 'REASON_SLAVE_DRAINING';
  source: 'SOURCE_MASTER';
  agent_id?: Value;
  message: string;
  timestamp: number;
}

/** maint: one machine's maintenance; no `unavailability` means it is out of maintenance (UP). */
export interface MachineUnavailabilityJson {
  machine_id: MachineIdJson;
  agent_id?: Value;
  mode: 'UP' | 'DRAINING' | 'DOWN';
  unavailability?: UnavailabilityJson;
}

export type SchedulerEvent =
  | { type: 'SUBSCRIBED'; subscribed: { framework_id: Value; heartbeat_interval_seconds: number } }
  | { type: 'INVERSE_OFFERS'; inverse_offers: { inverse_offers: InverseOfferJson[] } }
  | { type: 'RESCIND_INVERSE_OFFER'; rescind_inverse_offer: { inverse_offer_id: Value } }
  | { type: 'UPDATE'; update: { status: TaskStatusJson } }
  /** maint: machines whose maintenance changed; `full` when it lists every machine in maintenance (a resync). */
  | { type: 'UNAVAILABILITY'; unavailability: { full: boolean; machines: MachineUnavailabilityJson[] } }
  /** maint: a machine the framework had tasks on is UP again; its persistent volumes kept through the downtime. */
  | { type: 'MACHINE_UP'; machine_up: { machine_id: MachineIdJson; agent_id?: Value; volumes_intact: string[] } }
  | { type: 'HEARTBEAT' };

export type SchedulerEventType = SchedulerEvent['type'];

export interface Filters {
  refuse_seconds?: number;
}

/** maint: how the framework will handle the machines of the answered inverse offers (default MOVE). */
export type PlanJson = 'MOVE' | 'WAIT';

export interface InverseOfferAnswerJson {
  inverse_offer_ids: Value[];
  filters?: Filters;
  /** maint: WAIT keeps the framework's persistent volumes out of the hard drain's "gone". */
  plan?: PlanJson;
}

export type SchedulerCall =
  | {
      type: 'SUBSCRIBE';
      framework_id?: Value;
      subscribe: {
        framework_info: {
          id?: Value;
          name: string;
          user?: string;
          principal?: string;
          /** Mesos' capabilities; maint reads PARTITION_AWARE. */
          capabilities?: { type: string }[];
        };
        /** maint: where events are POSTed, signed with `secret` (HMAC-SHA256). Without it the framework streams or pulls. */
        webhook?: { url: string; secret: string };
        /** maint: how much maint may take from this framework at once. */
        disruption_budget?: { max_tasks_killed?: number; max_machines_down?: number };
      };
    }
  | { type: 'TEARDOWN'; framework_id: Value }
  | { type: 'ACCEPT_INVERSE_OFFERS'; framework_id: Value; accept_inverse_offers: InverseOfferAnswerJson }
  | { type: 'DECLINE_INVERSE_OFFERS'; framework_id: Value; decline_inverse_offers: InverseOfferAnswerJson };

/** Webhook deliveries carry an Idempotency-Key, the same on every retry: `<framework id>/<event seq>/<part>`. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Webhook deliveries and stream events carry the event's seq (the stream's `id:`; a pull's `after=`). */
export const EVENT_ID_HEADER = 'Maint-Event-Id';
/** How often the stream sends a HEARTBEAT when there is nothing else. */
export const HEARTBEAT_INTERVAL_SECONDS = 15;

/** GET /api/v1/scheduler/frameworks/:id/events?after=<seq> (a pull). */
export interface EventsPageJson {
  framework_id: Value;
  events: { id: number; event: SchedulerEvent }[];
  /** Pass as `after` next time. */
  last_event_id: number;
  /** True when `after` was older than the kept log: `events` starts with what is still relevant. */
  resync: boolean;
  /** Every open inverse offer. */
  outstanding: { inverse_offers: InverseOfferJson[] };
}

/** POST /api/v1/scheduler/placement */
export interface PlacementRequestJson {
  machine_ids: MachineIdJson[];
  /** How long the task is expected to run. */
  runtime_seconds: number;
}

export type PlacementClass = 'NO_MAINTENANCE' | 'MAINTENANCE_AFTER_TASK' | 'DOWN_DURING_TASK';

export interface PlacementJson {
  ranking: {
    machine_id: MachineIdJson;
    rank: number;
    class: PlacementClass;
    unavailability?: UnavailabilityJson;
    reason: string;
  }[];
}
