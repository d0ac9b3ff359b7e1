// Renders maint's notices as Mesos v1 scheduler events (the JSON a Mesos framework already parses). Pure: the API
// (pull and stream), the webhook activity and the workflows may all render, and must render alike.
import type { FrameworkNotice, OfferNotice, ResourceAmount } from './framework';
import { machineLabel, type MachineId } from './machine';
import type {
  InverseOfferJson,
  MachineIdJson,
  MachineUnavailabilityJson,
  ResourceJson,
  SchedulerEvent,
  TaskStatusJson,
} from './scheduler-wire';
import { HEARTBEAT_INTERVAL_SECONDS, type UnavailabilityJson } from './scheduler-wire';
import { toNanos } from './unavailability';
import type { Unavailability } from './window';

export interface RenderOptions {
  /** The framework has Mesos' PARTITION_AWARE capability: tasks gone with their machine are TASK_GONE_BY_OPERATOR. */
  partitionAware: boolean;
  /** When maint recorded the notice (the mailbox event's atMs): the TaskStatus timestamp. Default: now. */
  atMs?: number;
}

/**
 * One notice as the scheduler events it stands for, in order. Most notices are one event; `tasks-killed` is one
 * UPDATE per task, as Mesos sends one status update per task (and none for an empty list).
 */
export function toSchedulerEvents(frameworkId: string, notice: FrameworkNotice, options: RenderOptions): SchedulerEvent[] {
  switch (notice.kind) {
    case 'inverse-offers':
      return [
        {
          type: 'INVERSE_OFFERS',
          inverse_offers: { inverse_offers: notice.offers.map((offer) => inverseOfferJson(frameworkId, offer)) },
        },
      ];
    case 'rescind-inverse-offer':
      return [{ type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: notice.offerId } } }];
    case 'tasks-killed': {
      const gone = notice.gone && options.partitionAware;
      // Mesos' TaskStatus.timestamp is seconds since the epoch, as a double.
      const timestamp = (options.atMs ?? Date.now()) / 1000;
      const why =
        notice.cause === 'hard-drain'
          ? `killed by the hard drain of ${machineLabel(notice.machine)} for maintenance`
          : `killed by the drain of agent ${notice.agentId ?? machineLabel(notice.machine)}`;
      return notice.tasks.map((task) => {
        const status: TaskStatusJson = {
          task_id: { value: task.taskId },
          state: gone ? 'TASK_GONE_BY_OPERATOR' : 'TASK_KILLED',
          reason: 'REASON_SLAVE_DRAINING',
          source: 'SOURCE_MASTER',
          ...(notice.agentId === undefined ? {} : { agent_id: { value: notice.agentId } }),
          message: gone ? `${why}; the task is gone with its machine` : why,
          timestamp,
        };
        return { type: 'UPDATE', update: { status } };
      });
    }
    case 'unavailability':
      return [
        {
          type: 'UNAVAILABILITY',
          unavailability: {
            full: notice.full === true,
            machines: notice.machines.map(
              (m): MachineUnavailabilityJson => ({
                machine_id: machineIdJson(m.machine),
                ...(m.agentId === undefined ? {} : { agent_id: { value: m.agentId } }),
                mode: m.mode,
                ...(m.unavailability === undefined ? {} : { unavailability: unavailabilityJson(m.unavailability) }),
              }),
            ),
          },
        },
      ];
    case 'machine-up':
      return [
        {
          type: 'MACHINE_UP',
          machine_up: {
            machine_id: machineIdJson(notice.machine),
            ...(notice.agentId === undefined ? {} : { agent_id: { value: notice.agentId } }),
            volumes_intact: [...notice.volumesIntact],
          },
        },
      ];
  }
}

/**
 * The one event of a notice, for the webhook activity of histories recorded before the scheduler API (it only ever
 * delivers inverse offers and rescinds, each exactly one event). New code renders with toSchedulerEvents.
 */
export function toSchedulerEvent(frameworkId: string, notice: FrameworkNotice): SchedulerEvent {
  const [first] = toSchedulerEvents(frameworkId, notice, { partitionAware: false });
  if (!first) throw new Error(`a ${notice.kind} notice with nothing in it renders no event`);
  return first;
}

/** The first event of every stream: who is subscribed, and how often a silent stream sends a HEARTBEAT. */
export function subscribedEvent(frameworkId: string): SchedulerEvent {
  return {
    type: 'SUBSCRIBED',
    subscribed: { framework_id: { value: frameworkId }, heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS },
  };
}

export const HEARTBEAT_EVENT: SchedulerEvent = { type: 'HEARTBEAT' };

/** One open inverse offer as Mesos' InverseOffer (the pull page lists them). */
export function inverseOfferJson(frameworkId: string, offer: OfferNotice): InverseOfferJson {
  return {
    id: { value: offer.offerId },
    framework_id: { value: frameworkId },
    agent_id: { value: offer.agentId },
    unavailability: unavailabilityJson(offer.unavailability),
    resources: resourcesJson(offer.resources ?? [], offer.volumes ?? []),
    // Notices recorded before the scheduler API have no machine; Mesos' InverseOffer has none either.
    ...(offer.machine === undefined ? {} : { machine_id: machineIdJson(offer.machine) }),
  };
}

/**
 * What the framework holds on the agent as Mesos Resources: its tasks' scalars summed by name (in the order they
 * first appear), then one disk resource per persistent volume, as Mesos shows a volume (size unknown here: 0).
 */
export function resourcesJson(amounts: readonly ResourceAmount[], volumes: readonly string[]): ResourceJson[] {
  const sums = new Map<string, number>();
  for (const { name, scalar } of amounts) sums.set(name, (sums.get(name) ?? 0) + scalar);
  const scalars = [...sums].map(
    ([name, value]): ResourceJson => ({ name, type: 'SCALAR', scalar: { value: mesosScalar(value) } }),
  );
  const disks = [...new Set(volumes)].map(
    (id): ResourceJson => ({
      name: 'disk',
      type: 'SCALAR',
      scalar: { value: 0 },
      disk: { persistence: { id }, volume: { container_path: id, mode: 'RW' } },
    }),
  );
  return [...scalars, ...disks];
}

/** Mesos keeps scalars in fixed point with three decimals, so 0.1 + 0.2 cpus is 0.3, not 0.30000000000000004. */
function mesosScalar(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** A MachineID with only the fields that were given (Mesos' JSON leaves absent fields out). */
export function machineIdJson(id: MachineId): MachineIdJson {
  return { ...(id.hostname === undefined ? {} : { hostname: id.hostname }), ...(id.ip === undefined ? {} : { ip: id.ip }) };
}

/** Mesos' Unavailability JSON, int64 nanoseconds exact. */
export function unavailabilityJson(u: Unavailability): UnavailabilityJson {
  const n = toNanos(u);
  return {
    start: { nanoseconds: n.start },
    ...(n.duration === undefined ? {} : { duration: { nanoseconds: n.duration } }),
  };
}
