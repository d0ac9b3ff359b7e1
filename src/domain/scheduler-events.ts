// Renders maint's notices as Mesos v1 scheduler events (the JSON a Mesos framework already parses).
import type { FrameworkNotice } from './framework';
import type { SchedulerEvent } from './scheduler-wire';
import { toNanos } from './unavailability';
import type { Unavailability } from './window';
import type { UnavailabilityJson } from './scheduler-wire';

export function toSchedulerEvent(frameworkId: string, notice: FrameworkNotice): SchedulerEvent {
  switch (notice.kind) {
    case 'inverse-offers':
      return {
        type: 'INVERSE_OFFERS',
        inverse_offers: {
          inverse_offers: notice.offers.map((o) => ({
            id: { value: o.offerId },
            framework_id: { value: frameworkId },
            agent_id: { value: o.agentId },
            unavailability: unavailabilityJson(o.unavailability),
            resources: [],
          })),
        },
      };
    case 'rescind-inverse-offer':
      return { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: notice.offerId } } };
  }
}

/** Mesos' Unavailability JSON, int64 nanoseconds exact. */
export function unavailabilityJson(u: Unavailability): UnavailabilityJson {
  const n = toNanos(u);
  return {
    start: { nanoseconds: n.start },
    ...(n.duration === undefined ? {} : { duration: { nanoseconds: n.duration } }),
  };
}
