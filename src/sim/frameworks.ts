// Simulated frameworks: real clients of maint's scheduler API that run their tasks on the simulated fleet. Each
// subscribes with a webhook, receives maint's events there and reacts after its own behaviour:
// - mover: moves its tasks off the offered machines, then accepts the inverse offers (after answerDelayMs);
// - decliner: declines every inverse offer at once;
// - silent: never answers.
// Like a careful real framework, each one applies an event at most once per Idempotency-Key: a webhook delivered
// twice (maint retries deliveries) has no second effect, and the duplicate is counted.
import { z } from 'zod';
import type { ClusterAgent } from '../drivers/cluster-driver';
import { ErrorCode, MaintError } from '../domain/errors';
import { SchedulerClient } from '../scheduler-client';
import type { Fleet } from './fleet';

export type Behaviour = 'mover' | 'decliner' | 'silent';

export interface FrameworkSpec {
  id: string;
  behaviour: Behaviour;
  /** mover only: how long it takes to move its tasks before it accepts; default 200 ms. */
  answerDelayMs?: number;
}

/** The default frameworks, named after their behaviours (and matching the fleet's default layout). */
export const DEFAULT_FRAMEWORKS: FrameworkSpec[] = [
  { id: 'mover', behaviour: 'mover' },
  { id: 'decliner', behaviour: 'decliner' },
  { id: 'silent', behaviour: 'silent' },
];

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
  at: string;
  /** Same Idempotency-Key as an earlier delivery: recorded, not applied. */
  duplicate: boolean;
  /** The event as received (nanoseconds stay exact BigInts). */
  event: unknown;
}

export interface SentAnswer {
  type: 'ACCEPT_INVERSE_OFFERS' | 'DECLINE_INVERSE_OFFERS';
  inverseOfferIds: string[];
  at: string;
  /** Set when maint could not be reached or refused the call. */
  error?: string;
}

export interface FrameworkView {
  id: string;
  behaviour: Behaviour;
  answerDelayMs: number;
  subscribed: boolean;
  /** Inverse offers received and not rescinded. */
  inverseOffers: string[];
  events: ReceivedEvent[];
  answers: SentAnswer[];
  duplicatesIgnored: number;
}

// Only the fields a simulated framework acts on are checked; the rest of the event is kept as received.
const Value = z.object({ value: z.string().min(1) });
const InverseOffersEvent = z.object({
  type: z.literal('INVERSE_OFFERS'),
  inverse_offers: z.object({ inverse_offers: z.array(z.object({ id: Value, agent_id: Value })) }),
});
const RescindEvent = z.object({
  type: z.literal('RESCIND_INVERSE_OFFER'),
  rescind_inverse_offer: z.object({ inverse_offer_id: Value }),
});
const AnyEvent = z.object({ type: z.string().min(1) });

type WebhookEvent =
  | { kind: 'inverse-offers'; offers: { id: string; agentId: string }[] }
  | { kind: 'rescind'; offerId: string }
  | { kind: 'other' }; // an event type the sim does not act on (e.g. a later maint addition): recorded only

function offerIdsOf(event: WebhookEvent): string[] {
  if (event.kind === 'inverse-offers') return event.offers.map((o) => o.id);
  return event.kind === 'rescind' ? [event.offerId] : [];
}

export class SimFramework {
  readonly id: string;
  readonly behaviour: Behaviour;
  private readonly answerDelayMs: number;
  private readonly fleet: Fleet;
  private readonly client: SchedulerClient;
  private readonly logger: SimLogger;
  private subscribed = false;
  private stopped = false;
  /** Inverse offers known and not rescinded: offer id → agent id. */
  private readonly inverseOffers = new Map<string, string>();
  private readonly appliedKeys = new Set<string>();
  private readonly events: ReceivedEvent[] = [];
  private readonly answers: SentAnswer[] = [];
  private duplicatesIgnored = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(spec: FrameworkSpec, deps: { fleet: Fleet; maintUrl: string; logger: SimLogger }) {
    this.id = spec.id;
    this.behaviour = spec.behaviour;
    this.answerDelayMs = spec.answerDelayMs ?? 200;
    this.fleet = deps.fleet;
    this.logger = deps.logger;
    this.client = new SchedulerClient({ maintUrl: deps.maintUrl, frameworkId: spec.id });
  }

  /** Subscribes in the background, retrying every retryMs until maint answers: maint may start after the sim. */
  subscribe(webhookUrl: string, retryMs: number): void {
    const attempt = async (): Promise<void> => {
      try {
        await this.client.subscribe({ name: this.id, webhookUrl });
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

  /**
   * Takes one webhook delivery: checks and records it now, applies it after the HTTP answer (a webhook answers fast).
   * Throws INVALID on a body that is not a scheduler event.
   */
  receive(body: unknown, idempotencyKey: string | undefined): void {
    const event = readEvent(body);
    const duplicate = idempotencyKey !== undefined && this.appliedKeys.has(idempotencyKey);
    this.events.push({
      type: (body as { type: string }).type, // readEvent checked it
      inverseOfferIds: offerIdsOf(event),
      idempotencyKey: idempotencyKey ?? null,
      at: new Date().toISOString(),
      duplicate,
      event: body,
    });
    if (duplicate) {
      this.duplicatesIgnored++;
      return;
    }
    if (idempotencyKey !== undefined) this.appliedKeys.add(idempotencyKey);
    this.later(0, () => this.apply(event));
  }

  view(): FrameworkView {
    return {
      id: this.id,
      behaviour: this.behaviour,
      answerDelayMs: this.answerDelayMs,
      subscribed: this.subscribed,
      inverseOffers: [...this.inverseOffers.keys()],
      events: [...this.events],
      answers: [...this.answers],
      duplicatesIgnored: this.duplicatesIgnored,
    };
  }

  /** Stops retries and pending answers; an answer already on the wire completes. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private apply(event: WebhookEvent): void {
    if (event.kind === 'rescind') {
      this.inverseOffers.delete(event.offerId);
      return;
    }
    if (event.kind === 'other') return;

    for (const offer of event.offers) this.inverseOffers.set(offer.id, offer.agentId);
    const ids = offerIdsOf(event);
    switch (this.behaviour) {
      case 'silent':
        return;
      case 'decliner':
        void this.answer('DECLINE_INVERSE_OFFERS', ids);
        return;
      case 'mover': {
        const moved: string[] = [];
        const stuck: string[] = [];
        for (const offer of event.offers) (this.moveTasksOff(offer.agentId) ? moved : stuck).push(offer.id);
        // An offer it cannot honour (nowhere left to go) is declined rather than left to the deadline.
        void this.answer('DECLINE_INVERSE_OFFERS', stuck);
        this.later(this.answerDelayMs, () =>
          this.answer('ACCEPT_INVERSE_OFFERS', moved.filter((id) => this.inverseOffers.has(id))),
        );
        return;
      }
    }
  }

  /**
   * Relaunches each of this framework's RUNNING tasks on the agent's machine elsewhere, then stops the original
   * (make before break). Volumes stay behind: they belong to the machine. False when some task found no machine.
   */
  private moveTasksOff(agentId: string): boolean {
    const source = this.fleet.machineOfAgent(agentId);
    for (const task of source?.tasks ?? []) {
      if (task.frameworkId !== this.id || task.state !== 'RUNNING') continue;
      const target = this.pickTarget();
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

  /**
   * The least loaded agent that takes tasks (machine up, agent neither deactivated nor gone) and has no inverse offer
   * this framework knows of (the source agent has one). Ties go to fleet order, so moves are deterministic.
   */
  private pickTarget(): ClusterAgent | undefined {
    const offered = new Set(this.inverseOffers.values());
    let best: ClusterAgent | undefined;
    for (const agent of this.fleet.agents()) {
      if (agent.down || agent.deactivated || agent.gone || offered.has(agent.agentId)) continue;
      if (!best || agent.tasks.length < best.tasks.length) best = agent;
    }
    return best;
  }

  private async answer(type: SentAnswer['type'], inverseOfferIds: string[]): Promise<void> {
    if (inverseOfferIds.length === 0 || this.stopped) return;
    const answer: SentAnswer = { type, inverseOfferIds, at: new Date().toISOString() };
    try {
      if (type === 'ACCEPT_INVERSE_OFFERS') await this.client.acceptInverseOffers(inverseOfferIds);
      else await this.client.declineInverseOffers(inverseOfferIds);
    } catch (err) {
      answer.error = String(err);
      this.logger.warn({ framework: this.id, type, inverseOfferIds, err: answer.error }, 'answer to maint failed');
    }
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

function readEvent(body: unknown): WebhookEvent {
  const base = AnyEvent.safeParse(body);
  if (!base.success) throw invalidEvent(base.error);
  if (base.data.type === 'INVERSE_OFFERS') {
    const parsed = InverseOffersEvent.safeParse(body);
    if (!parsed.success) throw invalidEvent(parsed.error);
    return {
      kind: 'inverse-offers',
      offers: parsed.data.inverse_offers.inverse_offers.map((o) => ({ id: o.id.value, agentId: o.agent_id.value })),
    };
  }
  if (base.data.type === 'RESCIND_INVERSE_OFFER') {
    const parsed = RescindEvent.safeParse(body);
    if (!parsed.success) throw invalidEvent(parsed.error);
    return { kind: 'rescind', offerId: parsed.data.rescind_inverse_offer.inverse_offer_id.value };
  }
  return { kind: 'other' };
}

function invalidEvent(error: z.ZodError): MaintError {
  return new MaintError(ErrorCode.INVALID, `not a scheduler event: ${z.prettifyError(error)}`);
}
