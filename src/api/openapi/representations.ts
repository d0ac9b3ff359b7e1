// What the API answers, as zod schemas: the OpenAPI document's response shapes, and what tests check real answers
// against. They follow the functions that render them (native/representation.ts, native/frameworks.ts, health.ts,
// mesos/representation.ts, mesos/operator-v1.ts, domain/scheduler-events.ts); objects are open (extra properties
// allowed), so a new field is never a violation, and every property they do name is exact.
import { z } from 'zod';
import { ESCALATIONS } from '../../domain/policy';

// ---- shared pieces -----------------------------------------------------------------------------------------------

const Instant = z.iso.datetime({ offset: true }).meta({ description: 'an instant, ISO 8601 (UTC)' });
const Duration = z
  .string()
  .regex(/^(\d+(ms|s|m|h|d))+$/)
  .meta({ description: 'a Go-style duration in whole units: 90s, 30m, 1h30m, 2d', example: '1h30m' });
const Mode = z.enum(['UP', 'DRAINING', 'DOWN']);
const Phase = z.enum(['draining', 'awaiting-operator', 'waiting-for-slot', 'waiting-for-budget', 'hard-draining', 'down', 'done']);

/**
 * An int64 written as a bare JSON number, exact beyond 2^53 (Mesos' nanoseconds). Parsed losslessly it is a BigInt,
 * with JSON.parse a number that may have lost its last digits; both are accepted here.
 */
export const Int64 = z
  .union([z.bigint(), z.number().refine(Number.isInteger, 'an integer')])
  .meta({ type: 'integer', format: 'int64' } as Record<string, unknown>);

const MachineId = z
  .object({ hostname: z.string().optional(), ip: z.string().optional() })
  .meta({ id: 'MachineID', description: "Mesos' MachineID: a hostname, an IPv4 address, or both" });

const Value = z.object({ value: z.string() });

// ---- errors ------------------------------------------------------------------------------------------------------

export const ErrorSchema = z
  .object({
    error: z.enum([
      'INVALID',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'NOT_FOUND',
      'METHOD_NOT_ALLOWED',
      'CONFLICT',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'UNAVAILABLE',
      'INTERNAL',
    ]),
    message: z.string().meta({ description: 'what is wrong, naming the field first when there is one' }),
    field: z.string().optional().meta({ description: 'the request field at fault, as a path: machines[1].ip' }),
    issues: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'every problem found in the body, when it did not validate' }),
  })
  .meta({ id: 'Error', description: "maint's JSON error: a code, and a message naming the field" });

// ---- native API --------------------------------------------------------------------------------------------------

const Unavailability = z
  .object({ start: Instant, duration: Duration.optional() })
  .meta({ id: 'Unavailability', description: 'from start, for duration; no duration: until an operator says up' });

const Policy = z
  .object({
    escalation: z.enum(ESCALATIONS),
    downWhenDrained: z.boolean(),
    autoUp: z.boolean(),
    maxParallel: z.number().int().min(1).optional(),
    maxGracePeriod: Duration.optional(),
  })
  .meta({ id: 'Policy' });

const Task = z.object({ taskId: z.string(), frameworkId: z.string() });
const HistoryEntry = z.object({ at: Instant, what: z.string(), detail: z.string().optional() });

export const MachineMaintenanceSchema = z
  .object({
    id: MachineId,
    mode: Mode,
    phase: Phase,
    window: z.string(),
    unavailability: Unavailability,
    deadline: Instant,
    upAt: Instant.optional(),
    waitingOn: z.string(),
    answers: z.array(
      z.object({
        frameworkId: z.string(),
        answer: z.enum(['ACCEPT', 'DECLINE']),
        at: Instant,
        offerId: z.string(),
        late: z.boolean(),
      }),
    ),
    outstandingOffers: z.array(z.object({ offerId: z.string(), frameworkId: z.string() })),
    remaining: z.array(Task),
    killed: z.array(Task),
    history: z.array(HistoryEntry),
  })
  .meta({ id: 'MachineMaintenance', description: "one machine's maintenance in a window" });

export const WindowSchema = z
  .object({
    id: z.string(),
    origin: z.enum(['native', 'mesos']),
    state: z.enum(['ACTIVE', 'COMPLETED', 'CANCELLED']),
    unavailability: Unavailability,
    deadline: Instant,
    policy: Policy,
    createdAt: Instant,
    createdBy: z.string(),
    cancelledAt: Instant.optional(),
    completedAt: Instant.optional(),
    machines: z.array(MachineMaintenanceSchema),
  })
  .meta({ id: 'Window' });

export const WindowListSchema = z
  .object({
    windows: z.array(
      z.object({
        id: z.string(),
        origin: z.enum(['native', 'mesos']),
        state: z.enum(['ACTIVE', 'COMPLETED', 'CANCELLED']),
        unavailability: Unavailability,
        deadline: Instant,
        createdAt: Instant,
        machines: z.array(z.object({ id: MachineId, mode: Mode, phase: Phase })),
      }),
    ),
  })
  .meta({ id: 'WindowList', description: 'newest first' });

export const MachineReportSchema = z
  .object({
    id: MachineId,
    mode: Mode,
    unavailability: Unavailability.optional(),
    window: z.string().optional().meta({ description: 'the window it is in now' }),
    lastWindow: z.string().optional(),
    maintenance: MachineMaintenanceSchema.optional().meta({ description: 'its latest maintenance' }),
    history: z.array(HistoryEntry),
    cluster: z.object({ agentId: z.string(), down: z.boolean(), tasks: z.number().int().min(0) }).optional(),
  })
  .meta({ id: 'MachineReport' });

export const FrameworkListSchema = z
  .object({
    frameworks: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        principal: z.string().optional(),
        delivery: z.enum(['webhook', 'pull or stream']),
        webhookUrl: z.string().optional().meta({ description: 'without user info; a query string shows as ?***' }),
        partitionAware: z.boolean(),
        subscribedAt: Instant,
        budget: z
          .object({
            maxTasksKilled: z.number().int().optional(),
            maxMachinesDown: z.number().int().optional(),
            tasksKilled: z.number().int(),
            machinesDown: z.array(z.string()),
            waiting: z.array(z.string()),
          })
          .optional(),
      }),
    ),
  })
  .meta({ id: 'FrameworkList' });

export const HealthSchema = z
  .object({
    ok: z.boolean(),
    temporal: z.enum(['reachable', 'unreachable']),
    workers: z.number().int().min(0).optional(),
    message: z.string().optional(),
  })
  .meta({ id: 'Health' });

// ---- scheduler API -----------------------------------------------------------------------------------------------

const Nanos = z.object({ nanoseconds: Int64 });
const MesosUnavailability = z
  .object({ start: Nanos, duration: Nanos.optional() })
  .meta({ id: 'MesosUnavailability', description: "Mesos' Unavailability: int64 nanoseconds since the epoch" });

const Resource = z.object({
  name: z.string(),
  type: z.literal('SCALAR'),
  scalar: z.object({ value: z.number() }),
  disk: z
    .object({
      persistence: z.object({ id: z.string() }),
      volume: z.object({ container_path: z.string(), mode: z.literal('RW') }).optional(),
    })
    .optional(),
});

const InverseOffer = z
  .object({
    id: Value,
    framework_id: Value,
    agent_id: Value,
    unavailability: MesosUnavailability,
    resources: z.array(Resource),
    machine_id: MachineId.optional(),
  })
  .meta({ id: 'InverseOffer' });

export const SchedulerEventSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('SUBSCRIBED'),
      subscribed: z.object({ framework_id: Value, heartbeat_interval_seconds: z.number() }),
    }),
    z.object({ type: z.literal('INVERSE_OFFERS'), inverse_offers: z.object({ inverse_offers: z.array(InverseOffer) }) }),
    z.object({ type: z.literal('RESCIND_INVERSE_OFFER'), rescind_inverse_offer: z.object({ inverse_offer_id: Value }) }),
    z.object({
      type: z.literal('UPDATE'),
      update: z.object({
        status: z.object({
          task_id: Value,
          state: z.enum(['TASK_KILLED', 'TASK_GONE_BY_OPERATOR']),
          reason: z.literal('REASON_SLAVE_DRAINING'),
          source: z.literal('SOURCE_MASTER'),
          agent_id: Value.optional(),
          message: z.string(),
          timestamp: z.number(),
        }),
      }),
    }),
    z.object({
      type: z.literal('UNAVAILABILITY'),
      unavailability: z.object({
        full: z.boolean(),
        machines: z.array(
          z.object({
            machine_id: MachineId,
            agent_id: Value.optional(),
            mode: Mode,
            unavailability: MesosUnavailability.optional(),
          }),
        ),
      }),
    }),
    z.object({
      type: z.literal('MACHINE_UP'),
      machine_up: z.object({ machine_id: MachineId, agent_id: Value.optional(), volumes_intact: z.array(z.string()) }),
    }),
    z.object({ type: z.literal('HEARTBEAT') }),
  ])
  .meta({ id: 'SchedulerEvent' });

export const SubscribedSchema = SchedulerEventSchema.options[0];

export const EventsPageSchema = z
  .object({
    framework_id: Value,
    events: z.array(z.object({ id: z.number().int().min(0), event: SchedulerEventSchema })),
    last_event_id: z.number().int().min(0).meta({ description: 'pass as `after` next time' }),
    resync: z.boolean(),
    outstanding: z.object({ inverse_offers: z.array(InverseOffer) }),
  })
  .meta({ id: 'EventsPage' });

export const PlacementSchema = z
  .object({
    ranking: z.array(
      z.object({
        machine_id: MachineId,
        rank: z.number().int(),
        class: z.enum(['NO_MAINTENANCE', 'MAINTENANCE_AFTER_TASK', 'DOWN_DURING_TASK']),
        unavailability: MesosUnavailability.optional(),
        reason: z.string(),
      }),
    ),
  })
  .meta({ id: 'Placement' });

// ---- Mesos -------------------------------------------------------------------------------------------------------

export const MesosScheduleSchema = z
  .object({
    windows: z.array(z.object({ machine_ids: z.array(MachineId), unavailability: MesosUnavailability })).optional(),
  })
  .meta({ id: 'MesosSchedule', description: 'mesos.maintenance.Schedule; `{}` when empty' });

export const MesosClusterStatusSchema = z
  .object({
    draining_machines: z
      .array(
        z.object({
          id: MachineId,
          statuses: z
            .array(
              z.object({
                status: z.enum(['ACCEPT', 'DECLINE']),
                framework_id: Value,
                timestamp: Nanos,
              }),
            )
            .optional(),
        }),
      )
      .optional(),
    down_machines: z.array(MachineId).optional(),
  })
  .meta({ id: 'MesosClusterStatus', description: 'mesos.maintenance.ClusterStatus; `{}` when nothing is in maintenance' });

const AgentResource = z.object({ name: z.string(), type: z.literal('SCALAR'), scalar: z.object({ value: z.number() }) });

const Agent = z.object({
  agent_info: z.object({ hostname: z.string(), id: Value, port: z.number().int(), resources: z.array(AgentResource) }),
  active: z.boolean(),
  deactivated: z.boolean(),
  version: z.string(),
  pid: z.string(),
  registered_time: Nanos,
  total_resources: z.array(AgentResource),
  allocated_resources: z.array(AgentResource).optional(),
  capabilities: z.array(z.object({ type: z.string() })),
  drain_info: z
    .object({
      state: z.enum(['DRAINING', 'DRAINED']),
      config: z.object({ mark_gone: z.boolean(), max_grace_period: Nanos.optional() }),
    })
    .optional(),
  estimated_drain_start_time: Nanos.optional(),
});

/** POST /api/v1's answers that have a body (the GET_* calls); mutations answer 200 with none. */
export const OperatorResponseSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('GET_MAINTENANCE_SCHEDULE'),
      get_maintenance_schedule: z.object({ schedule: MesosScheduleSchema }),
    }),
    z.object({
      type: z.literal('GET_MAINTENANCE_STATUS'),
      get_maintenance_status: z.object({ status: MesosClusterStatusSchema }),
    }),
    z.object({ type: z.literal('GET_AGENTS'), get_agents: z.object({ agents: z.array(Agent).optional() }) }),
  ])
  .meta({ id: 'OperatorResponse', description: 'mesos.v1.master.Response' });
