// The scheduler API's requests (POST /api/v1/scheduler calls in Mesos v1 shapes, the events query, placement),
// validated with zod so that every refusal names its field. Mesos' own objects are not strict (Mesos ignores fields
// it does not know, and frameworks send many: roles, hostname, failover_timeout…); maint's additions are.
import { z } from 'zod';
import { PLANS } from '../../domain/framework';
import { MAX_DURATION_MS } from '../../domain/time';
import { MachineIdSchema } from '../native/schemas';

/**
 * A framework id: it names the framework's mailbox workflow and appears in URL paths, so no "/" and no spaces.
 * Mesos' own ids (`<uuid>-0001`) fit.
 */
export const FrameworkIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'a framework id is letters, digits, ".", "_", ":" and "-", starting with a letter or digit',
  )
  .max(200, 'a framework id is at most 200 characters');

const Value = z.object({ value: z.string().min(1).max(1_000) });
const FrameworkIdValue = z.object({ value: FrameworkIdSchema });

/** Mesos' Filters; refuse_seconds is a double, normalised by refuseMs. */
const Filters = z.object({ refuse_seconds: z.number().optional() });

const InverseOfferAnswer = z.object({
  inverse_offer_ids: z.array(Value).max(10_000),
  filters: Filters.optional(),
  plan: z.enum(PLANS).optional(),
});

const Budget = z
  .object({
    max_tasks_killed: z.number().int().min(1).optional(),
    max_machines_down: z.number().int().min(1).optional(),
  })
  .strict();

const Subscribe = z
  .object({
    type: z.literal('SUBSCRIBE'),
    framework_id: FrameworkIdValue.optional(),
    subscribe: z.object({
      framework_info: z.object({
        id: FrameworkIdValue.optional(),
        name: z.string().min(1).max(200),
        user: z.string().optional(),
        principal: z.string().min(1).optional(),
        capabilities: z.array(z.object({ type: z.string() })).optional(),
      }),
      webhook: z
        .object({
          url: z.url({ protocol: /^https?$/ }).max(2_000),
          secret: z.string().min(16, 'at least 16 characters: maint signs every delivery with it').max(1_000),
        })
        .strict()
        .optional(),
      disruption_budget: Budget.optional(),
    }),
  })
  .superRefine((call, ctx) => {
    const info = call.subscribe.framework_info;
    if (info.id === undefined && call.framework_id === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a framework id is required', path: ['subscribe', 'framework_info', 'id'] });
    }
    // Mesos: "'framework_id' differs from 'subscribe.framework_info.id'".
    if (info.id !== undefined && call.framework_id !== undefined && info.id.value !== call.framework_id.value) {
      ctx.addIssue({ code: 'custom', message: "differs from 'subscribe.framework_info.id'", path: ['framework_id'] });
    }
  });

export const SCHEDULER_CALL_TYPES = ['SUBSCRIBE', 'TEARDOWN', 'ACCEPT_INVERSE_OFFERS', 'DECLINE_INVERSE_OFFERS'] as const;

export const SchedulerCallSchema = z.discriminatedUnion(
  'type',
  [
    Subscribe,
    z.object({ type: z.literal('TEARDOWN'), framework_id: FrameworkIdValue }),
    z.object({
      type: z.literal('ACCEPT_INVERSE_OFFERS'),
      framework_id: FrameworkIdValue,
      accept_inverse_offers: InverseOfferAnswer,
    }),
    z.object({
      type: z.literal('DECLINE_INVERSE_OFFERS'),
      framework_id: FrameworkIdValue,
      decline_inverse_offers: InverseOfferAnswer,
    }),
  ],
  { error: () => `maint takes the calls ${SCHEDULER_CALL_TYPES.join(', ')}` },
);
export type SchedulerCallBody = z.infer<typeof SchedulerCallSchema>;

/** Mesos' default refuse_seconds (Filters in mesos.proto). */
export const DEFAULT_REFUSE_SECONDS = 5;
/** Mesos caps a refusal at 365 days (the allocator's MAX_REFUSE_SECONDS). */
export const MAX_REFUSE_MS = 365 * 86_400_000;

/**
 * Mesos' refuse filter of an answer, in milliseconds: no filters or no refuse_seconds is the default 5 s (Mesos
 * passes the default Filters), a negative (or not-a-number) value too, as Mesos' allocator falls back to the
 * default; more than 365 days is 365 days; 0 is no filter. A positive value never rounds down to "no filter".
 */
export function refuseMs(filters: { refuse_seconds?: number } | undefined): number {
  const seconds = filters?.refuse_seconds;
  if (seconds === undefined || Number.isNaN(seconds) || seconds < 0) return DEFAULT_REFUSE_SECONDS * 1000;
  if (seconds === 0) return 0;
  return Math.min(MAX_REFUSE_MS, Math.max(1, Math.round(seconds * 1000)));
}

/** An event id (seq) as given in `?after=` or Last-Event-ID. */
const Seq = z
  .string()
  .regex(/^\d{1,16}$/, 'an event id: a whole number, 0 or more')
  .transform(Number)
  .refine(Number.isSafeInteger, 'an event id: a whole number below 2^53');

export const EventsQuerySchema = z.object({
  after: Seq.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'a whole number from 1 to 1000')
    .transform(Number)
    .pipe(z.number().min(1, 'a whole number from 1 to 1000').max(1_000, 'a whole number from 1 to 1000'))
    .optional(),
});

/** The Last-Event-ID header of a reconnecting stream (named as the header in errors). */
export const LastEventIdSchema = z.object({ 'Last-Event-ID': Seq.optional() });

export const FrameworkParams = z.object({ id: FrameworkIdSchema });

export const PlacementRequestSchema = z
  .object({
    machine_ids: z.array(MachineIdSchema).min(1, 'give at least one candidate machine').max(10_000),
    runtime_seconds: z
      .number()
      .min(0, 'a task runs 0 seconds or more')
      .max(MAX_DURATION_MS / 1000, `at most ${MAX_DURATION_MS / 1000} seconds (a century)`),
  })
  .strict();
