// Frameworks: their subscriptions (the registry workflow, and one mailbox workflow per framework holding its events,
// open inverse offers and webhook), their answers to inverse offers, and what they may read: their events, the
// unavailability of every machine in maintenance, the disruption budgets.
import { WithStartWorkflowOperation, type Client, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { ErrorCode, isNotFound, MaintError } from '../domain/errors';
import type { FrameworkSubscription, MachineUnavailability } from '../domain/framework';
import { machineKey, type MachineId } from '../domain/machine';
import { MachineIndex } from '../domain/placement';
import { seal } from '../lib/sealed';
import { perKeyLimit } from '../lib/per-key-limit';
import { batchedWhileInFlight, sharedWhileInFlight } from '../lib/shared-reads';
import type { WorkflowIds } from '../temporal/ids';
import { callTemporal, queryWithin, toMaintError } from '../temporal/client';
import { budgetedFrameworksFromMemo } from '../temporal/published-state';
import {
  answerInverseOffers,
  budgetsView,
  closeMailbox,
  configureMailbox,
  frameworksView,
  mailboxEvents,
  subscribeFramework,
  unavailabilityView,
  unsubscribeFramework,
  type AnswerCall,
  type BudgetUse,
  type MailboxInput,
  type MailboxPage,
  type Subscribe,
} from '../../workflows/messages';
import type { frameworksWorkflow } from '../../workflows/frameworks';
import type { FrameworkDirectory } from '../../activities/deps';

/** The mailbox workflow's signature (workflows/framework-mailbox.ts), named by type so this module needs no import of it. */
type FrameworkMailboxWorkflow = (input: MailboxInput) => Promise<void>;

/** A webhook's HMAC key shorter than this is refused: it would be guessable. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

export interface EventsQuery {
  afterSeq?: number;
  limit?: number;
  /** The authenticated principal; undefined when authentication is off (no check). */
  principal?: string;
}

/**
 * Temporal takes at most 10 updates in flight per workflow (`history.maxInFlightUpdates`) and refuses the next one.
 * A framework answering a burst of inverse offers sent more at once: under bench:fleet's load 224-580 answers per
 * 1,000-machine run were refused (503), and clients retrying them made 2,000 refusals (docs/performance.md). So a
 * framework's answers take at most eight places (room is left for the mailbox's other updates: a subscribe, another
 * API process's answers), and those waiting for one go together: one update per kind of answer, whatever the burst.
 */
const ANSWERS_IN_FLIGHT = 8;

/** Answers sent to a mailbox as one update: their offers together, and the update's outcome for each to read. */
interface AnswerBatch {
  offerIds: Set<string>;
  result: Promise<{ recorded: string[]; ignored: string[] }>;
}

export class FrameworkService {
  /** Placement's reads of the registry: one at a time, the requests arriving meanwhile read together after it. */
  private readonly inMaintenance = batchedWhileInFlight((machines: MachineId[]) =>
    this.queryRegistry(unavailabilityView, [], { machines: uniqueMachines(machines) }),
  );
  /** A framework's answers, at most ANSWERS_IN_FLIGHT updates of its mailbox at once; the others wait their turn. */
  private readonly answersInFlight = perKeyLimit(ANSWERS_IN_FLIGHT);
  /** Answers waiting for a place, by framework and everything but their offers: each batch is sent as one update. */
  private readonly waitingAnswers = new Map<string, AnswerBatch>();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly ids: WorkflowIds,
    /** MAINT_SECRET_KEY: seals webhook secrets. Without it frameworks subscribe without a webhook (stream or pull). */
    private readonly secretKey?: Buffer,
  ) {}

  /**
   * Subscribes a framework, or updates its subscription. `principal` is the authenticated one (undefined when
   * authentication is off); it owns the framework, and a `req.principal` that differs from it is refused. The
   * mailbox is configured first: it refuses a framework id another principal holds before the registry records
   * anything, and a retry after a failure in between completes the subscription.
   */
  async subscribe(req: Subscribe & { webhookSecret?: string }, principal?: string): Promise<FrameworkSubscription> {
    const { webhookSecret, ...subscribe } = req;
    if (principal !== undefined && subscribe.principal !== undefined && subscribe.principal !== principal) {
      throw new MaintError(
        ErrorCode.FORBIDDEN,
        `subscribe.framework_info.principal: "${subscribe.principal}" is not the authenticated principal ${principal}`,
        'subscribe.framework_info.principal',
      );
    }
    const owner = principal ?? subscribe.principal;
    const sealedSecret = subscribe.webhookUrl === undefined ? undefined : this.sealWebhookSecret(webhookSecret);
    const registered: Subscribe = {
      frameworkId: subscribe.frameworkId,
      name: subscribe.name,
      ...(owner === undefined ? {} : { principal: owner }),
      ...(subscribe.webhookUrl === undefined ? {} : { webhookUrl: subscribe.webhookUrl }),
      ...(subscribe.partitionAware === undefined ? {} : { partitionAware: subscribe.partitionAware }),
      ...(subscribe.budget === undefined ? {} : { budget: subscribe.budget }),
    };
    const subscription: FrameworkSubscription = { ...registered, subscribedAtMs: Date.now() };
    try {
      await callTemporal(() => this.client.workflow.executeUpdateWithStart(configureMailbox, {
        args: [{ subscription, ...(sealedSecret === undefined ? {} : { sealedSecret }) }],
        startWorkflowOperation: new WithStartWorkflowOperation<FrameworkMailboxWorkflow>('frameworkMailboxWorkflow', {
          workflowId: this.ids.framework(subscribe.frameworkId),
          taskQueue: this.taskQueue,
          args: [{ instance: this.ids.instance, frameworkId: subscribe.frameworkId }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `mailbox of framework ${subscribe.frameworkId}: its events, open inverse offers and webhook`,
        }),
      }));
      return await callTemporal(() => this.client.workflow.executeUpdateWithStart(subscribeFramework, {
        args: [registered],
        startWorkflowOperation: this.registryStart(),
      }));
    } catch (err) {
      throw this.mapped(err, subscribe.frameworkId, 'subscribe.framework_info.id', principal);
    }
  }

  /**
   * Mesos' TEARDOWN: the mailbox stops delivering and ends, and the registry forgets the framework. NOT_FOUND when
   * neither knows it (never subscribed, or torn down already).
   */
  async unsubscribe(frameworkId: string, principal?: string): Promise<void> {
    let closed = false;
    try {
      await this.mailbox(frameworkId).executeUpdate(closeMailbox, { args: [principal === undefined ? {} : { principal }] });
      closed = true;
    } catch (err) {
      const mapped = this.mapped(err, frameworkId, 'framework_id', principal);
      if (!isNotFound(mapped)) throw mapped;
      // No mailbox (any more): the registry may still hold the framework, after a failure between the two steps.
      if (!(await this.list()).some((f) => f.frameworkId === frameworkId)) throw mapped;
    }
    try {
      await this.client.workflow
        .getHandle(this.ids.frameworks)
        .executeUpdate(unsubscribeFramework, { args: [{ frameworkId, ...(principal === undefined ? {} : { principal }) }] });
    } catch (err) {
      const mapped = this.mapped(err, frameworkId, 'framework_id', principal);
      if (!(closed && isNotFound(mapped))) throw mapped;
    }
  }

  /** Every subscription (no secrets: the registry never holds them); [] before anyone subscribed. */
  async list(): Promise<FrameworkSubscription[]> {
    return this.queryRegistry(frameworksView, []);
  }

  /**
   * The frameworks subscribed with a disruption budget: from the registry's memo (no worker, as fast under load as
   * idle), or from its subscriptions when it has not published them.
   */
  async budgeted(): Promise<string[]> {
    try {
      const published = budgetedFrameworksFromMemo((await this.client.workflow.getHandle(this.ids.frameworks).describe()).memo);
      if (published) return published;
    } catch (err) {
      const mapped = toMaintError(err);
      if (isNotFound(mapped)) return []; // nobody subscribed yet
      throw mapped;
    }
    return (await this.list()).filter((f) => f.budget !== undefined).map((f) => f.frameworkId);
  }

  /**
   * Records the framework's answer to its open inverse offers and forwards it to their machines. Ids that are not
   * open offers of this framework are ignored without error, as in Mesos (MESOS-7119).
   */
  async answer(frameworkId: string, call: Omit<AnswerCall, 'atMs'>): Promise<{ recorded: string[]; ignored: string[] }> {
    const { offerIds, ...shape } = call;
    // Answers alike but for their offers, waiting for a place, go to the mailbox as one update (see ANSWERS_IN_FLIGHT).
    const key = JSON.stringify([frameworkId, shape.answer, shape.refuseMs, shape.plan ?? null, shape.principal ?? null]);
    let batch = this.waitingAnswers.get(key);
    if (batch) offerIds.forEach((id) => batch!.offerIds.add(id));
    else {
      // Registered before it is run, as it may start at once (a place is free) and must then take itself off; its
      // result is set right after.
      const started: AnswerBatch = { offerIds: new Set(offerIds), result: Promise.resolve({ recorded: [], ignored: [] }) };
      this.waitingAnswers.set(key, started);
      started.result = this.answersInFlight(frameworkId, () => {
        if (this.waitingAnswers.get(key) === started) this.waitingAnswers.delete(key); // later answers make a new batch
        // The time of the answer is when it is sent.
        const sent = { ...shape, offerIds: [...started.offerIds], atMs: Date.now() };
        return this.mailbox(frameworkId).executeUpdate(answerInverseOffers, { args: [sent] });
      });
      batch = started;
    }
    try {
      const { recorded, ignored } = await batch.result;
      const own = new Set(offerIds);
      return { recorded: recorded.filter((id) => own.has(id)), ignored: ignored.filter((id) => own.has(id)) };
    } catch (err) {
      throw this.mapped(err, frameworkId, 'framework_id', call.principal);
    }
  }

  /**
   * The framework's events after `afterSeq` (pull and stream read them). A subscription with no principal (made
   * while authentication was off) may be read by anyone, as it may be claimed by anyone.
   */
  async events(frameworkId: string, query: EventsQuery = {}): Promise<MailboxPage> {
    let page: MailboxPage;
    try {
      page = await queryWithin(this.mailbox(frameworkId), mailboxEvents, {
        ...(query.afterSeq === undefined ? {} : { afterSeq: query.afterSeq }),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
      });
    } catch (err) {
      throw this.mapped(err, frameworkId, 'id', query.principal);
    }
    const owner = page.subscription.principal;
    if (query.principal !== undefined && owner !== undefined && owner !== query.principal) {
      throw forbidden(frameworkId, 'id', query.principal);
    }
    return page;
  }

  /**
   * The machines in maintenance that may be one of `machines` (Mesos' matching, see placement.ts); [] before any
   * reported. A framework asks for advice with every inverse offer, and a burst of offers made as many queries, each
   * held by the server until the busy worker took the registry's next task (bench:fleet: 106 queries of 10 s at once).
   * So one query runs at a time, and the requests that arrive meanwhile are asked together right after it, with all
   * their candidates: never everything, which at 10,000 machines is more than a query may answer. A query can still
   * time out under such load (503, docs/performance.md).
   */
  async unavailability(machines: MachineId[]): Promise<MachineUnavailability[]> {
    const found = await this.inMaintenance(machines);
    const candidates = new MachineIndex(machines, (m) => m);
    return found.filter((m) => candidates.covering(m.machine).length > 0);
  }

  /** Each framework's disruption budget and what of it is in use; [] before anyone subscribed. */
  async budgets(): Promise<BudgetUse[]> {
    return this.queryRegistry(budgetsView, []);
  }

  private sealWebhookSecret(secret: string | undefined): string {
    if (secret === undefined || secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
      throw new MaintError(
        ErrorCode.INVALID,
        `subscribe.webhook.secret: a webhook needs a secret of at least ${MIN_WEBHOOK_SECRET_LENGTH} characters ` +
          '(maint signs every delivery with it)',
        'subscribe.webhook.secret',
      );
    }
    if (!this.secretKey) {
      throw new MaintError(
        ErrorCode.INVALID,
        'subscribe.webhook: this maint cannot keep webhook secrets because MAINT_SECRET_KEY is unset; subscribe without ' +
          'a webhook and stream or pull the events (GET /api/v1/scheduler/frameworks/<id>/events)',
        'subscribe.webhook',
      );
    }
    return seal(this.secretKey, secret);
  }

  private mailbox(frameworkId: string): WorkflowHandle<FrameworkMailboxWorkflow> {
    return this.client.workflow.getHandle<FrameworkMailboxWorkflow>(this.ids.framework(frameworkId));
  }

  private registryStart(): WithStartWorkflowOperation<typeof frameworksWorkflow> {
    return new WithStartWorkflowOperation<typeof frameworksWorkflow>('frameworksWorkflow', {
      workflowId: this.ids.frameworks,
      taskQueue: this.taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: 'framework registry: subscriptions, machines in maintenance, disruption budgets',
    });
  }

  private async queryRegistry<T, Args extends unknown[]>(query: QueryDefinition<T, Args>, none: T, ...args: Args): Promise<T> {
    try {
      return await queryWithin(this.client.workflow.getHandle(this.ids.frameworks), query, ...args);
    } catch (err) {
      const mapped = toMaintError(err);
      if (isNotFound(mapped)) return none; // nobody subscribed, no machine reported yet
      throw mapped;
    }
  }

  /**
   * Temporal's errors in the API's words, naming the framework: a workflow that does not exist is a framework that
   * is not subscribed; a refusal of another principal names the framework and the field the caller gave it in.
   */
  private mapped(err: unknown, frameworkId: string, field: string, principal: string | undefined): unknown {
    const mapped = toMaintError(err);
    if (!(mapped instanceof MaintError)) return mapped;
    if (mapped.code === ErrorCode.NOT_FOUND) {
      return new MaintError(ErrorCode.NOT_FOUND, `${field}: framework ${frameworkId} is not subscribed`, field);
    }
    if (mapped.code === ErrorCode.FORBIDDEN && mapped.field === undefined) return forbidden(frameworkId, field, principal);
    return mapped;
  }
}

function forbidden(frameworkId: string, field: string, principal: string | undefined): MaintError {
  const who = principal === undefined ? 'this caller' : `principal ${principal}`;
  return new MaintError(
    ErrorCode.FORBIDDEN,
    `${field}: framework ${frameworkId} is subscribed by another principal; ${who} may not act for it`,
    field,
  );
}

/** Each machine once, as the registry's query matches them (the same machine twice asks nothing more). */
function uniqueMachines(machines: MachineId[]): MachineId[] {
  return [...new Map(machines.map((m) => [machineKey(m), m])).values()];
}

/**
 * The framework directory activities use: subscriptions for notices' webhooks, with a short cache so a burst of
 * notices asks once; and the frameworks with a budget for a machine's look, read from the registry's memo at each look
 * (looks at the same moment share one read). Never cached: a budget declared at SUBSCRIBE applies to every look after
 * it (with a cache, a look right after the subscription read the list from before it, and a hard drain went ahead
 * that the budget should have held).
 */
export function frameworkDirectory(service: FrameworkService, ttlMs = 2_000, budgetWaitMs = 2_000): FrameworkDirectory {
  let cached: { at: number; byId: Map<string, FrameworkSubscription> } | undefined;
  const readSubscriptions = sharedWhileInFlight(async () => {
    const all = await service.list();
    cached = { at: Date.now(), byId: new Map(all.map((f) => [f.frameworkId, f])) };
    return cached.byId;
  });
  const readBudgeted = sharedWhileInFlight(async (): Promise<ReadonlySet<string>> => new Set(await service.budgeted()));
  return {
    async lookup(frameworkId: string): Promise<FrameworkSubscription | undefined> {
      const fresh = cached && Date.now() - cached.at <= ttlMs && cached.byId.has(frameworkId);
      return (fresh ? cached!.byId : await readSubscriptions()).get(frameworkId);
    },
    async withBudgets(): Promise<ReadonlySet<string> | undefined> {
      // A busy server must not slow the look down: past a short wait the answer is "cannot tell", and the machine
      // asks the registry itself before a hard drain.
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), budgetWaitMs).unref());
      return Promise.race([readBudgeted().catch(() => undefined), timeout]);
    },
  };
}
