// Simulated frameworks: real clients of maint's scheduler API (src/scheduler-client) that run their tasks on the
// simulated fleet. Each subscribes with a webhook on the sim and a secret of its own, verifies the signature of every
// delivery (a bad one is refused with 401 and counted), applies each event at most once per Idempotency-Key (maint
// retries deliveries; a repeat is recorded and counted, not applied), and reacts after its behaviour:
// - mover: moves its tasks off the offered agent's machine (where maint's placement advice says, else to the least
//   loaded machine), then accepts with plan MOVE (after answerDelayMs); declines what it could not move;
// - decliner: declines every inverse offer at once;
// - silent: never answers;
// - waiter: declines with plan WAIT (its tasks hold persistent volumes: it waits the downtime out), and when maint
//   says the machine is up again, relaunches there the tasks the drain ended, with their intact volumes.
// Answers carry the framework's refuseSeconds (unset: no filters, Mesos' default applies).
import { randomBytes } from 'node:crypto';
import type { ClusterAgent, ClusterTask } from '../drivers/cluster-driver';
import { machineKey } from '../domain/machine';
import type {
  MachineIdJson,
  MachineUnavailabilityJson,
  PlacementClass,
  PlanJson,
  SchedulerEvent,
} from '../domain/scheduler-wire';
import { SchedulerClient, webhookHandler, type WebhookDelivery, type WebhookHandler } from '../scheduler-client';
import type { Fleet } from './fleet';

export type Behaviour = 'mover' | 'decliner' | 'silent' | 'waiter';

export interface FrameworkSpec {
  id: string;
  behaviour: Behaviour;
  /** mover only: how long it takes to move its tasks before it accepts; default 200 ms. */
  answerDelayMs?: number;
  /** Mesos' refuse filter sent with every answer; unset: no filters (maint applies Mesos' 5 s). */
  refuseSeconds?: number;
  /** Subscribes with Mesos' PARTITION_AWARE capability. */
  partitionAware?: boolean;
  /** The disruption budget it subscribes with. */
  budget?: { maxTasksKilled?: number; maxMachinesDown?: number };
  /** HTTP Basic credentials for maint's API, when it requires them. */
  credentials?: { principal: string; secret: string };
}

/** The default frameworks, named after their behaviours (and matching the fleet's default layout). */
export const DEFAULT_FRAMEWORKS: FrameworkSpec[] = [
  { id: 'mover', behaviour: 'mover' },
  { id: 'decliner', behaviour: 'decliner' },
  { id: 'silent', behaviour: 'silent' },
];

/** How long the mover expects a moved task to run, for maint's placement advice. */
const MOVED_TASK_RUNTIME_SECONDS = 3600;
/** The newest events a framework's view keeps (a long-running sim must not grow without bound). */
const MAX_EVENTS = 10_000;

/** The part of a pino logger the sim uses; pino loggers fit. */
export interface SimLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export const silentLogger: SimLogger = { info: () => {}, warn: () => {} };

export interface ReceivedEvent {
  type: string;
  inverseOfferIds: string[];
  idempotencyKey: string | null;
  /** Maint-Event-Id: the event's seq in the framework's log. */
  eventId: number | null;
  at: string;
  /** Same Idempotency-Key as an earlier delivery: recorded, not applied. */
  duplicate: boolean;
  /** The event as received (nanoseconds stay exact BigInts). */
  event: unknown;
}

export interface SentAnswer {
  type: 'ACCEPT_INVERSE_OFFERS' | 'DECLINE_INVERSE_OFFERS';
  inverseOfferIds: string[];
  plan?: PlanJson;
  refuseSeconds?: number;
  at: string;
  /** When maint's answer to the call came back (or the call failed). */
  returnedAt?: string;
  /** Set when maint could not be reached or refused the call. */
  error?: string;
}

export interface TaskUpdate {
  taskId: string;
  state: string;
  at: string;
}

export interface FrameworkView {
  id: string;
  behaviour: Behaviour;
  answerDelayMs: number;
  refuseSeconds?: number;
  partitionAware: boolean;
  budget?: FrameworkSpec['budget'];
  subscribed: boolean;
  /** Inverse offers received and not rescinded. */
  inverseOffers: string[];
  /** The machines in maintenance it was told of (UNAVAILABILITY), as last told. */
  maintenance: MachineUnavailabilityJson[];
  events: ReceivedEvent[];
  /** Events left out of `events`, oldest first, past the view's limit. */
  eventsDropped: number;
  answers: SentAnswer[];
  /** Its tasks maint reported ended (UPDATE): TASK_KILLED, or TASK_GONE_BY_OPERATOR when partition aware. */
  taskUpdates: TaskUpdate[];
  /** waiter: tasks relaunched on a machine back UP (new task ids). */
  relaunched: string[];
  duplicatesIgnored: number;
  /** Deliveries refused for a missing, wrong or stale signature. */
  signatureFailures: number;
  /** mover: placement advice that failed (it then moved to the least loaded machine). */
  placementFailures: number;
}

type InverseOffersEvent = Extract<SchedulerEvent, { type: 'INVERSE_OFFERS' }>;
type Advice = Map<string, { class: PlacementClass; rank: number }>;

const CLASS_ORDER: Record<PlacementClass, number> = {
  NO_MAINTENANCE: 0,
  MAINTENANCE_AFTER_TASK: 1,
  DOWN_DURING_TASK: 2,
};

export class SimFramework {
  readonly id: string;
  readonly behaviour: Behaviour;
  /** Express / node:http handler of this framework's webhook (the route must leave the body raw, or as text). */
  readonly webhook: WebhookHandler;
  private readonly spec: FrameworkSpec;
  private readonly answerDelayMs: number;
  private readonly secret = randomBytes(32).toString('hex');
  private readonly fleet: Fleet;
  private readonly client: SchedulerClient;
  private readonly logger: SimLogger;
  private subscribed = false;
  private stopped = false;
  /** Inverse offers known and not rescinded: offer id → agent id. */
  private readonly inverseOffers = new Map<string, string>();
  /** Machines in maintenance by machineKey. */
  private readonly maintenance = new Map<string, MachineUnavailabilityJson>();
  /** waiter: its tasks on each agent it declined to leave, to relaunch when the machine is back. */
  private readonly waiting = new Map<string, ClusterTask[]>();
  private readonly events: ReceivedEvent[] = [];
  private eventsDropped = 0;
  private readonly answers: SentAnswer[] = [];
  private readonly taskUpdates: TaskUpdate[] = [];
  private readonly relaunched: string[] = [];
  private duplicatesIgnored = 0;
  private signatureFailures = 0;
  private placementFailures = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(spec: FrameworkSpec, deps: { fleet: Fleet; maintUrl: string; logger: SimLogger }) {
    this.id = spec.id;
    this.behaviour = spec.behaviour;
    this.spec = spec;
    this.answerDelayMs = spec.answerDelayMs ?? 200;
    this.fleet = deps.fleet;
    this.logger = deps.logger;
    this.client = new SchedulerClient({
      maintUrl: deps.maintUrl,
      frameworkId: spec.id,
      ...(spec.credentials ? { credentials: spec.credentials } : {}),
    });
    this.webhook = webhookHandler({
      secret: this.secret,
      onEvent: (event, delivery) => this.receive(event, delivery, false),
      onDuplicate: (event, delivery) => this.receive(event, delivery, true),
      onRefused: (status, reason) => {
        if (status !== 401) return;
        this.signatureFailures++;
        this.logger.warn({ framework: this.id, reason }, 'webhook delivery refused: bad signature');
      },
    });
  }

  /** Subscribes in the background, retrying every retryMs until maint answers: maint may start after the sim. */
  subscribe(webhookUrl: string, retryMs: number): void {
    const attempt = async (): Promise<void> => {
      try {
        await this.client.subscribe({
          name: this.id,
          webhook: { url: webhookUrl, secret: this.secret },
          ...(this.spec.partitionAware ? { partitionAware: true } : {}),
          ...(this.spec.budget ? { budget: this.spec.budget } : {}),
        });
        if (this.stopped) return;
        this.subscribed = true;
        this.logger.info({ framework: this.id, webhookUrl }, 'subscribed to maint');
      } catch (err) {
        if (this.stopped) return;
        this.logger.warn({ framework: this.id, err: String(err) }, 'subscribe failed, retrying');
        this.later(retryMs, attempt);
      }
    };
    void attempt();
  }

  view(): FrameworkView {
    return {
      id: this.id,
      behaviour: this.behaviour,
      answerDelayMs: this.answerDelayMs,
      ...(this.spec.refuseSeconds === undefined ? {} : { refuseSeconds: this.spec.refuseSeconds }),
      partitionAware: this.spec.partitionAware ?? false,
      ...(this.spec.budget ? { budget: { ...this.spec.budget } } : {}),
      subscribed: this.subscribed,
      inverseOffers: [...this.inverseOffers.keys()],
      maintenance: [...this.maintenance.values()],
      events: [...this.events],
      eventsDropped: this.eventsDropped,
      answers: [...this.answers],
      taskUpdates: [...this.taskUpdates],
      relaunched: [...this.relaunched],
      duplicatesIgnored: this.duplicatesIgnored,
      signatureFailures: this.signatureFailures,
      placementFailures: this.placementFailures,
    };
  }

  /** Stops retries and pending answers; an answer already on the wire completes. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Records a verified delivery now; applies a new one after the HTTP answer (a webhook answers fast). */
  private receive(event: SchedulerEvent, delivery: WebhookDelivery, duplicate: boolean): void {
    this.events.push({
      type: event.type,
      inverseOfferIds: offerIdsOf(event),
      idempotencyKey: delivery.idempotencyKey ?? null,
      eventId: delivery.eventId ?? null,
      at: new Date().toISOString(),
      duplicate,
      event,
    });
    if (this.events.length > MAX_EVENTS) {
      this.events.shift();
      this.eventsDropped++;
    }
    if (duplicate) {
      this.duplicatesIgnored++;
      return;
    }
    this.later(0, () => this.apply(event));
  }

  private async apply(event: SchedulerEvent): Promise<void> {
    switch (event.type) {
      case 'INVERSE_OFFERS':
        for (const offer of event.inverse_offers.inverse_offers) this.inverseOffers.set(offer.id.value, offer.agent_id.value);
        return this.react(event);
      case 'RESCIND_INVERSE_OFFER':
        this.inverseOffers.delete(event.rescind_inverse_offer.inverse_offer_id.value);
        return;
      case 'UPDATE': {
        const { status } = event.update;
        this.taskUpdates.push({ taskId: status.task_id.value, state: status.state, at: new Date().toISOString() });
        return;
      }
      case 'UNAVAILABILITY': {
        const { full, machines } = event.unavailability;
        if (full) this.maintenance.clear();
        for (const machine of machines) {
          const key = machineKey(machine.machine_id);
          if (machine.mode === 'UP' || machine.unavailability === undefined) this.maintenance.delete(key);
          else this.maintenance.set(key, machine);
        }
        return;
      }
      case 'MACHINE_UP':
        this.maintenance.delete(machineKey(event.machine_up.machine_id));
        if (this.behaviour === 'waiter') this.relaunchOn(event.machine_up);
        return;
      default: // SUBSCRIBED, HEARTBEAT, or a type from a later maint: recorded only
    }
  }

  private async react(event: InverseOffersEvent): Promise<void> {
    const offers = event.inverse_offers.inverse_offers.map((o) => ({ id: o.id.value, agentId: o.agent_id.value }));
    const ids = offers.map((o) => o.id);
    switch (this.behaviour) {
      case 'silent':
        return;
      case 'decliner':
        return this.answer('DECLINE_INVERSE_OFFERS', ids);
      case 'waiter':
        for (const offer of offers) this.remember(offer.agentId);
        return this.answer('DECLINE_INVERSE_OFFERS', ids, 'WAIT');
      case 'mover': {
        // Advice only when something is to move (an offer may come for tasks already gone).
        const moving = offers.some((o) => this.runningTasksOn(o.agentId).length > 0);
        const advice = moving ? await this.placementAdvice() : undefined;
        const moved: string[] = [];
        const stuck: string[] = [];
        for (const offer of offers) (this.moveTasksOff(offer.agentId, advice) ? moved : stuck).push(offer.id);
        // An offer it cannot honour (nowhere left to go) is declined rather than left to the deadline.
        void this.answer('DECLINE_INVERSE_OFFERS', stuck, 'MOVE');
        this.later(this.answerDelayMs, () =>
          this.answer('ACCEPT_INVERSE_OFFERS', moved.filter((id) => this.inverseOffers.has(id)), 'MOVE'),
        );
        return;
      }
    }
  }

  /** waiter: adds its RUNNING tasks on the agent to those to bring back (a re-offer mid hard drain finds fewer). */
  private remember(agentId: string): void {
    const known = this.waiting.get(agentId) ?? [];
    const ids = new Set(known.map((t) => t.taskId));
    this.waiting.set(agentId, [...known, ...this.runningTasksOn(agentId).filter((t) => !ids.has(t.taskId))]);
  }

  private runningTasksOn(agentId: string): ClusterTask[] {
    const machine = this.fleet.machineOfAgent(agentId);
    return (machine?.tasks ?? []).filter((t) => t.frameworkId === this.id && t.state === 'RUNNING');
  }

  /**
   * Relaunches each of this framework's RUNNING tasks on the agent's machine elsewhere, then stops the original
   * (make before break). Volumes stay behind: they belong to the machine. False when some task found no machine.
   */
  private moveTasksOff(agentId: string, advice: Advice | undefined): boolean {
    for (const task of this.runningTasksOn(agentId)) {
      const target = this.pickTarget(advice);
      if (!target) return false;
      this.fleet.launchTask({
        frameworkId: this.id,
        machine: target.machine,
        name: task.name,
        gracePeriodMs: task.gracePeriodMs,
        resources: task.resources,
      });
      this.fleet.frameworkKill(this.id, task.taskId);
    }
    return true;
  }

  /** Agents that take tasks (machine up, agent neither deactivated nor gone) with no inverse offer to this framework. */
  private candidates(): ClusterAgent[] {
    const offered = new Set(this.inverseOffers.values());
    return this.fleet
      .agents()
      .filter((a) => !a.down && !a.deactivated && !a.gone && !offered.has(a.agentId));
  }

  /** maint's ranking of the candidates for a task of an hour; undefined (and counted) when maint cannot say. */
  private async placementAdvice(): Promise<Advice | undefined> {
    const candidates = this.candidates();
    if (candidates.length === 0) return undefined;
    try {
      const placement = await this.client.placement(
        candidates.map((a) => a.machine),
        MOVED_TASK_RUNTIME_SECONDS,
      );
      return new Map(placement.ranking.map((r) => [machineKey(r.machine_id), { class: r.class, rank: r.rank }]));
    } catch (err) {
      this.placementFailures++;
      this.logger.warn({ framework: this.id, err: String(err) }, 'placement advice failed, moving to the least loaded');
      return undefined;
    }
  }

  /**
   * With advice: the best placement class first (no maintenance in sight, then maintenance after the task, then down
   * during it), the least loaded within it, then maint's rank. Without: machines not in maintenance as far as this
   * framework was told first, then the least loaded. Remaining ties go to fleet order, so moves are deterministic.
   */
  private pickTarget(advice: Advice | undefined): ClusterAgent | undefined {
    const score = (agent: ClusterAgent): number[] => {
      const key = machineKey(agent.machine);
      if (!advice) return [this.maintenance.has(key) ? 1 : 0, agent.tasks.length];
      const ranked = advice.get(key);
      if (!ranked) return [Object.keys(CLASS_ORDER).length, agent.tasks.length, Number.MAX_SAFE_INTEGER];
      return [CLASS_ORDER[ranked.class] ?? Object.keys(CLASS_ORDER).length, agent.tasks.length, ranked.rank];
    };
    let best: { agent: ClusterAgent; score: number[] } | undefined;
    for (const agent of this.candidates()) {
      const candidate = { agent, score: score(agent) };
      if (!best || lessThan(candidate.score, best.score)) best = candidate;
    }
    return best?.agent;
  }

  /** waiter: its tasks the drain ended on this machine run there again, with the volumes that survived. */
  private relaunchOn(up: { machine_id: MachineIdJson; agent_id?: { value: string }; volumes_intact: string[] }): void {
    const agentId = up.agent_id?.value ?? this.fleet.agents().find((a) => machineKey(a.machine) === machineKey(up.machine_id))?.agentId;
    if (agentId === undefined) return;
    const tasks = this.waiting.get(agentId) ?? [];
    this.waiting.delete(agentId);
    const stillThere = new Set(this.fleet.tasks(this.id).map((t) => t.taskId));
    const intact = new Set(up.volumes_intact);
    for (const task of tasks) {
      if (stillThere.has(task.taskId)) continue; // never killed (e.g. the window was cancelled)
      try {
        const placed = this.fleet.launchTask({
          frameworkId: this.id,
          machine: this.fleet.machineOfAgent(agentId)?.id ?? up.machine_id,
          name: task.name,
          gracePeriodMs: task.gracePeriodMs,
          resources: task.resources,
          volumes: task.volumes.filter((v) => intact.has(v)),
        });
        this.relaunched.push(placed.taskId);
      } catch (err) {
        this.logger.warn({ framework: this.id, task: task.taskId, err: String(err) }, 'relaunch after UP failed');
      }
    }
  }

  private async answer(type: SentAnswer['type'], inverseOfferIds: string[], plan?: PlanJson): Promise<void> {
    if (inverseOfferIds.length === 0 || this.stopped) return;
    const { refuseSeconds } = this.spec;
    const answer: SentAnswer = {
      type,
      inverseOfferIds,
      ...(plan === undefined ? {} : { plan }),
      ...(refuseSeconds === undefined ? {} : { refuseSeconds }),
      at: new Date().toISOString(),
    };
    const options = { ...(plan === undefined ? {} : { plan }), ...(refuseSeconds === undefined ? {} : { refuseSeconds }) };
    try {
      if (type === 'ACCEPT_INVERSE_OFFERS') await this.client.acceptInverseOffers(inverseOfferIds, options);
      else await this.client.declineInverseOffers(inverseOfferIds, options);
    } catch (err) {
      answer.error = String(err);
      this.logger.warn({ framework: this.id, type, inverseOfferIds, err: answer.error }, 'answer to maint failed');
    }
    answer.returnedAt = new Date().toISOString();
    this.answers.push(answer);
  }

  private later(ms: number, action: () => unknown): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // A failing reaction is logged, never thrown: the sim outlives any one event.
      Promise.resolve()
        .then(action)
        .catch((err: unknown) => this.logger.warn({ framework: this.id, err: String(err) }, 'reaction failed'));
    }, ms);
    this.timers.add(timer);
  }
}

function offerIdsOf(event: SchedulerEvent): string[] {
  if (event.type === 'INVERSE_OFFERS') return event.inverse_offers.inverse_offers.map((o) => o.id.value);
  if (event.type === 'RESCIND_INVERSE_OFFER') return [event.rescind_inverse_offer.inverse_offer_id.value];
  return [];
}

/** Lexicographic comparison of two scores. */
function lessThan(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}
