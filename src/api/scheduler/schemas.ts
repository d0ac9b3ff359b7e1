// Mesos v1 scheduler calls maint takes (POST /api/v1/scheduler), validated with zod.
import { z } from 'zod';

const Value = z.object({ value: z.string().min(1) });
const Filters = z.object({ refuse_seconds: z.number().optional() }).optional();
const InverseOfferIds = z.object({ inverse_offer_ids: z.array(Value), filters: Filters });

export const SchedulerCallSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('SUBSCRIBE'),
    framework_id: Value.optional(),
    subscribe: z.object({
      framework_info: z.object({
        id: Value.optional(),
        name: z.string().min(1),
        user: z.string().optional(),
        principal: z.string().optional(),
      }),
      webhook: z.object({ url: z.url({ protocol: /^https?$/ }) }).optional(),
    }),
  }),
  z.object({ type: z.literal('ACCEPT_INVERSE_OFFERS'), framework_id: Value, accept_inverse_offers: InverseOfferIds }),
  z.object({ type: z.literal('DECLINE_INVERSE_OFFERS'), framework_id: Value, decline_inverse_offers: InverseOfferIds }),
]);
export type SchedulerCallBody = z.infer<typeof SchedulerCallSchema>;
