// The native API's request bodies: one zod schema each for validation and types (and later the OpenAPI document).
import { z } from 'zod';
import { machineIdError, type MachineId } from '../../domain/machine';
import { ESCALATIONS } from '../../domain/policy';
import { parseDuration } from '../../domain/time';

export const MachineIdSchema: z.ZodType<MachineId> = z
  .object({ hostname: z.string().optional(), ip: z.string().optional() })
  .strict()
  .superRefine((id, ctx) => {
    const error = machineIdError(id);
    if (error) ctx.addIssue({ code: 'custom', message: error, path: id.ip ? ['ip'] : [] });
  });

/** "90s", "30m", "1h30m", "2d": whole units, Go style. */
export const DurationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use whole units like 90s, 30m, 1h30m, 2d` });
    return z.NEVER;
  }
  return ms;
});

const Instant = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

export const PolicySchema = z
  .object({
    escalation: z.enum(ESCALATIONS).default('hard-drain'),
    downWhenDrained: z.boolean().default(true),
    autoUp: z.boolean().default(true),
    maxParallel: z.number().int().min(1).optional(),
    maxGracePeriod: DurationSchema.optional(),
  })
  .strict();

export const CreateWindowSchema = z
  .object({
    machines: z.array(MachineIdSchema).min(1, 'a window needs at least one machine'),
    drainWithin: DurationSchema.optional(),
    start: Instant.optional(),
    duration: DurationSchema.optional(),
    policy: PolicySchema.default({ escalation: 'hard-drain', downWhenDrained: true, autoUp: true }),
  })
  .strict()
  .superRefine((w, ctx) => {
    if ((w.drainWithin === undefined) === (w.start === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "drainWithin" or "start"', path: ['start'] });
    }
  });
export type CreateWindowBody = z.infer<typeof CreateWindowSchema>;

export const ExtendSchema = z
  .object({
    by: DurationSchema.refine((ms) => ms > 0, 'must be longer than 0s').optional(),
    deadline: Instant.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.by === undefined) === (e.deadline === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "by" or "deadline"', path: ['by'] });
    }
  });

export const SelectionSchema = z
  .object({ machines: z.array(MachineIdSchema).min(1).optional() })
  .strict()
  .default({});

export const WindowIdSchema = z.string().regex(/^w-\d+$/, 'a window id looks like w-12');
