// The native API's request bodies: one zod schema each for validation and types (and later the OpenAPI document).
import { z } from 'zod';
import { duplicateIndex, machineIdError, machineKeyTooLong, machineLabel, MAX_MACHINE_KEY, type MachineId } from '../../domain/machine';
import { ESCALATIONS } from '../../domain/policy';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../domain/time';

export const MachineIdSchema: z.ZodType<MachineId> = z
  .object({
    hostname: z.string().optional().meta({ description: 'compared case-insensitively (ASCII), as Mesos does' }),
    ip: z.string().optional().meta({ format: 'ipv4', description: 'an IPv4 address' }),
  })
  .strict()
  .meta({ description: "Mesos' MachineID: a hostname, an IPv4 address, or both; not both empty" })
  .superRefine((id, ctx) => {
    const error = machineIdError(id);
    if (error) ctx.addIssue({ code: 'custom', message: error, path: id.ip ? ['ip'] : [] });
    else if (machineKeyTooLong(id)) {
      ctx.addIssue({ code: 'custom', message: `longer than maint accepts (${MAX_MACHINE_KEY} characters)`, path: ['hostname'] });
    }
  });

/** A list of machines in which each appears once (Mesos equality: hostnames case-insensitive). */
const MachineList = z
  .array(MachineIdSchema)
  .min(1, 'a window needs at least one machine')
  .superRefine((ids, ctx) => {
    const i = duplicateIndex(ids);
    if (i !== undefined) ctx.addIssue({ code: 'custom', message: `${machineLabel(ids[i])} appears more than once`, path: [i] });
  });

/** What parseDuration accepts, for the document (parseDuration is the one that decides). */
const DURATION_PATTERN = /^(\d+(ms|s|m|h|d))+$/;

/** "90s", "30m", "1h30m", "2d": whole units, Go style. */
export const DurationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use whole units like 90s, 30m, 1h30m, 2d` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is longer than maint accepts (${formatDuration(MAX_DURATION_MS)})` });
    return z.NEVER;
  }
  return ms;
}).meta({
  pattern: DURATION_PATTERN.source,
  description: 'a duration in whole units, Go style: 90s, 30m, 1h30m, 2d (at most a century)',
  example: '30m',
});

const Instant = z.iso
  .datetime({ offset: true })
  .transform((text) => Date.parse(text))
  .meta({ description: 'an instant, ISO 8601 with Z or an offset', example: '2026-12-01T14:00:00Z' });

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
    machines: MachineList,
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
  .object({ machines: MachineList.optional() })
  .strict()
  .default({});

export const WindowIdSchema = z.string().regex(/^w-\d+$/, 'a window id looks like w-12');

/** Path parameters, parsed as objects so that errors name them ("id", "machine"). */
export const WindowParams = z.object({ id: WindowIdSchema });
export const MachineParams = z.object({
  machine: z.string().min(1).max(255).meta({ description: 'a hostname (any case) or an IP address' }),
});

/** GET /windows?limit= */
export const WindowListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100).meta({ description: 'how many windows, newest first' }),
});
