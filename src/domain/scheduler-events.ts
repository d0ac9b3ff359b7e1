// Renders maint's notices as Mesos v1 scheduler events (the JSON a Mesos framework already parses).
import type { FrameworkNotice } from './framework';
import type { SchedulerEvent } from './scheduler-wire';
import { msToNanos } from './time';

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
            unavailability: {
              start: { nanoseconds: msToNanos(o.unavailability.startMs) },
              ...(o.unavailability.durationMs === undefined
                ? {}
                : { duration: { nanoseconds: msToNanos(o.unavailability.durationMs) } }),
            },
            resources: [],
          })),
        },
      };
    case 'rescind-inverse-offer':
      return { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: notice.offerId } } };
  }
}
