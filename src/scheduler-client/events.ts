// What a framework accepts as a scheduler event, wherever it came from (a webhook delivery, the stream). The check is
// of the fields a framework acts on, per type; unknown fields are kept as received, and an event type this client does
// not know yet (a later maint) passes with its type only, so an older framework keeps working.
import { z } from 'zod';
import type { SchedulerEvent } from '../domain/scheduler-wire';

/** A body that is not a scheduler event. */
export class SchedulerEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerEventError';
  }
}

const Value = z.looseObject({ value: z.string().min(1) });
/** int64: a BigInt when beyond 2^53 (lossless-json), else a number; a numeric string is accepted too. */
const Nanos = z.looseObject({
  nanoseconds: z.union([z.bigint(), z.number().int(), z.string().regex(/^-?\d+$/)]),
});
const Unavailability = z.looseObject({ start: Nanos, duration: Nanos.optional() });
const MachineId = z.looseObject({ hostname: z.string().optional(), ip: z.string().optional() });

const KNOWN: Partial<Record<SchedulerEvent['type'], z.ZodType>> = {
  SUBSCRIBED: z.looseObject({ subscribed: z.looseObject({ framework_id: Value }) }),
  INVERSE_OFFERS: z.looseObject({
    inverse_offers: z.looseObject({
      inverse_offers: z.array(
        z.looseObject({ id: Value, agent_id: Value, unavailability: Unavailability, resources: z.array(z.unknown()) }),
      ),
    }),
  }),
  RESCIND_INVERSE_OFFER: z.looseObject({ rescind_inverse_offer: z.looseObject({ inverse_offer_id: Value }) }),
  UPDATE: z.looseObject({
    update: z.looseObject({ status: z.looseObject({ task_id: Value, state: z.string().min(1) }) }),
  }),
  UNAVAILABILITY: z.looseObject({
    unavailability: z.looseObject({
      full: z.boolean(),
      machines: z.array(
        z.looseObject({
          machine_id: MachineId,
          mode: z.enum(['UP', 'DRAINING', 'DOWN']),
          unavailability: Unavailability.optional(),
        }),
      ),
    }),
  }),
  MACHINE_UP: z.looseObject({
    machine_up: z.looseObject({ machine_id: MachineId, volumes_intact: z.array(z.string()) }),
  }),
};

const Typed = z.looseObject({ type: z.string().min(1) });

/**
 * The value (parsed JSON) as a SchedulerEvent, returned as given (nothing stripped, nanoseconds as parsed), or a
 * SchedulerEventError naming the first wrong field.
 */
export function readSchedulerEvent(value: unknown): SchedulerEvent {
  const typed = Typed.safeParse(value);
  if (!typed.success) throw new SchedulerEventError(`not a scheduler event: ${describe(typed.error)}`);
  const schema = KNOWN[typed.data.type as SchedulerEvent['type']];
  const checked = schema?.safeParse(value);
  if (checked && !checked.success) {
    throw new SchedulerEventError(`not a ${typed.data.type} event: ${describe(checked.error)}`);
  }
  return value as SchedulerEvent;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : (issue?.message ?? 'invalid');
}
