// Mesos v1 scheduler API shapes maint speaks with frameworks (events it sends, calls it takes). Pure types.
// Field names are Mesos' own (snake_case, {value} wrappers, int64 nanoseconds) so Mesos framework code can read them.

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

export interface InverseOfferJson {
  id: Value;
  framework_id: Value;
  agent_id: Value;
  unavailability: UnavailabilityJson;
  /** Empty: every resource the framework holds on the agent is asked back. */
  resources: unknown[];
}

export type SchedulerEvent =
  | { type: 'INVERSE_OFFERS'; inverse_offers: { inverse_offers: InverseOfferJson[] } }
  | { type: 'RESCIND_INVERSE_OFFER'; rescind_inverse_offer: { inverse_offer_id: Value } };

export interface Filters {
  refuse_seconds?: number;
}

export type SchedulerCall =
  | {
      type: 'SUBSCRIBE';
      subscribe: {
        framework_info: { id?: Value; name: string; user?: string; principal?: string; capabilities?: unknown[] };
        /** maint's extension: where events are POSTed. Without it the framework pulls (a later issue). */
        webhook?: { url: string };
      };
    }
  | {
      type: 'ACCEPT_INVERSE_OFFERS';
      framework_id: Value;
      accept_inverse_offers: { inverse_offer_ids: Value[]; filters?: Filters };
    }
  | {
      type: 'DECLINE_INVERSE_OFFERS';
      framework_id: Value;
      decline_inverse_offers: { inverse_offer_ids: Value[]; filters?: Filters };
    };

/** Header carrying the id that makes a webhook delivery safe to apply twice. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
