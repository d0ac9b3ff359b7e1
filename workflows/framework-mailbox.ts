// One framework's mailbox (`maint/framework/<id>`): every event maint has for it, in order (increasing seqs, numbered
// from the clock at subscription), its open inverse offers and the machines in maintenance (so a reader who fell behind can resync), and its webhook. Machine,
// agent and registry workflows only signal it, so a framework's dead webhook holds back nobody but itself; pull and
// SSE readers query it. Started by the API's SUBSCRIBE (updateWithStart `configureMailbox`); `closeMailbox` ends it.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WebhookOutcome } from '../activities/webhook';
import { ErrorCode } from '../src/domain/errors';
import type {
  FrameworkNotice,
  FrameworkSubscription,
  MachineUnavailability,
  OfferNotice,
} from '../src/domain/framework';
import { packMachines, unpackMachines, type PackedMachines } from '../src/domain/packed-machines';
import { WorkflowIds } from '../src/temporal/ids';
import {
  answerInverseOffers,
  closeMailbox,
  configureMailbox,
  frameworkNotices,
  inverseOfferAnswers,
  mailboxEvents,
  type AnswerCall,
  type ConfigureMailbox,
  type MailboxEvent,
  type MailboxInput,
  type MailboxPage,
} from './messages';
import { ANSWERS_IN_BACKGROUND, LATE_ANSWERS_CONFIRMED } from './patches';

// A dead webhook is retried for as long as it stays dead: backoff up to a minute, one POST at a time, and an attempt
// resumes after the last part it heartbeated, so a half-delivered batch is not re-sent from its start.
const webhook = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const DEFAULT_MAX_HISTORY_EVENTS = 5_000;
/** Events kept for readers (pull, SSE, the webhook); older ones are trimmed and a reader behind them gets a resync. */
export const MAX_LOG_EVENTS = 2_000;
/**
 * The log is also bounded in size (JSON characters): it travels whole through continue-as-new, whose input must stay
 * under Temporal's 2 MB payload limit with the offers and machines next to it.
 */
export const MAX_LOG_BYTES = 768 * 1024;
/** Rescinded offer ids remembered, so that a rescind overtaking its offer cancels it. */
export const MAX_RESCINDED = 5_000;
/** Answered and withdrawn offer ids remembered, so that a copy of the offer, its rescind or a late answer is known. */
const MAX_ANSWERED = 2_000;
/** Events per mailboxEvents page by default, and a page's size bound (a query answer must stay under 2 MB). */
const DEFAULT_PAGE = 500;
const MAX_PAGE_BYTES = 1024 * 1024;
/** Events per webhook activity call, and the call's input size bound. */
export const WEBHOOK_BATCH = 100;
const MAX_BATCH_BYTES = 1024 * 1024;
/** After a delivery failure that retrying cannot fix (no MAINT_SECRET_KEY on the worker), try again this much later. */
const FAILED_WEBHOOK_PAUSE = '5m';

/** Everything a mailbox knows; plain data, carried through continue-as-new as `resume`. */
export interface MailboxState {
  frameworkId: string;
  subscription?: FrameworkSubscription;
  /** The webhook's HMAC key, sealed with MAINT_SECRET_KEY. */
  sealedSecret?: string;
  subscribed: boolean;
  log: MailboxEvent[];
  nextSeq: number;
  /** Inverse offers sent and neither answered nor rescinded, oldest first. */
  open: OfferNotice[];
  answered: string[];
  /** Offers rescinded, sent or not (a rescind may overtake its offer). */
  rescinded: string[];
  /** Offers rescinded after they were sent: an answer to one still reaches its machine, which records it as late. */
  withdrawn: string[];
  /** Every machine in maintenance as this framework was told, in the order first heard of (packed: 10,000 must fit). */
  machines: PackedMachines | MachineUnavailability[];
  /** The webhook has had every event up to this seq (delivered, or rejected for good). */
  deliveredSeq: number;
  lastError?: string;
}

/** Offer ids grouped by the machine workflow they belong to (an answer goes to each machine once). */
export type AnswersByMachine = Map<string, string[]>;

/** The mailbox's state and rules, without Temporal (the workflow below drives time, messages and the webhook). */
export class Mailbox {
  private readonly sizes: number[];
  private logBytes: number;
  private readonly machines: Map<string, MachineUnavailability>;
  private readonly answeredIds: Set<string>;
  private readonly rescindedIds: Set<string>;
  private readonly withdrawnIds: Set<string>;

  private constructor(private readonly s: MailboxState) {
    this.sizes = s.log.map(sizeOf);
    this.logBytes = this.sizes.reduce((a, b) => a + b, 0);
    this.machines = new Map(unpackMachines(s.machines).map((m) => [m.key, m]));
    this.answeredIds = new Set(s.answered);
    this.rescindedIds = new Set(s.rescinded);
    this.withdrawnIds = new Set(s.withdrawn);
  }

  /**
   * A new mailbox numbers its events from `firstSeq`. The workflow passes a number from the clock (epoch ms × 1,000),
   * so a framework that unsubscribed and subscribed again never sees an event id, nor an Idempotency-Key, of its
   * earlier subscription again: a framework that dedupes by key would otherwise drop the new events.
   */
  static fresh(frameworkId: string, firstSeq = 1): Mailbox {
    return new Mailbox({
      frameworkId,
      subscribed: false,
      log: [],
      nextSeq: firstSeq,
      open: [],
      answered: [],
      rescinded: [],
      withdrawn: [],
      machines: [],
      deliveredSeq: firstSeq - 1,
    });
  }

  static resume(state: MailboxState): Mailbox {
    return new Mailbox(state);
  }

  snapshot(): MailboxState {
    return { ...this.s, machines: packMachines([...this.machines.values()]) };
  }

  get subscribed(): boolean {
    return this.s.subscribed;
  }
  get subscription(): FrameworkSubscription | undefined {
    return this.s.subscription;
  }
  /** The oldest seq still kept (lastSeq + 1 while the log is empty). */
  get firstSeq(): number {
    return this.s.log[0]?.seq ?? this.s.nextSeq;
  }
  get lastSeq(): number {
    return this.s.nextSeq - 1;
  }
  get deliveredSeq(): number {
    return this.s.deliveredSeq;
  }
  /** Where and how events are POSTed; undefined when the framework streams or pulls, or has unsubscribed. */
  get webhook(): { url: string; sealedSecret: string; partitionAware: boolean } | undefined {
    const { subscription, sealedSecret, subscribed } = this.s;
    if (!subscribed || !subscription?.webhookUrl || !sealedSecret) return undefined;
    return { url: subscription.webhookUrl, sealedSecret, partitionAware: subscription.partitionAware === true };
  }

  // ---- subscription ----------------------------------------------------------------------------------------------

  /** configureMailbox's validator: the principal that subscribed a framework keeps it, as the registry rules. */
  checkConfigure({ subscription }: ConfigureMailbox): void {
    const holder = this.s.subscription?.principal;
    if (holder !== undefined && holder !== subscription.principal) throw this.forbidden();
  }

  /**
   * Validator of the calls a framework makes on its mailbox (answers, close). A call without a principal comes through
   * an API with authentication off, which checks nothing.
   */
  checkPrincipal(principal: string | undefined): void {
    const holder = this.s.subscription?.principal;
    if (holder !== undefined && principal !== undefined && holder !== principal) throw this.forbidden();
  }

  /** Subscribe (again): a new webhook URL or secret changes where events go, not which were delivered. */
  configure({ subscription, sealedSecret }: ConfigureMailbox): FrameworkSubscription {
    this.s.subscription = subscription;
    this.s.sealedSecret = sealedSecret;
    this.s.subscribed = true;
    return subscription;
  }

  close(): void {
    this.s.subscribed = false;
  }

  private forbidden(): ApplicationFailure {
    return ApplicationFailure.create({
      type: ErrorCode.FORBIDDEN,
      message: `framework ${this.s.frameworkId} is subscribed by another principal`,
      nonRetryable: true,
    });
  }

  // ---- notices in ------------------------------------------------------------------------------------------------

  /** Takes notices from machines, agents and the registry; returns how many events they made. */
  take(notices: FrameworkNotice[], atMs: number): number {
    const before = this.s.nextSeq;
    for (const notice of notices) {
      const event = this.apply(notice);
      if (event) this.append({ seq: this.s.nextSeq++, atMs, notice: event });
    }
    return this.s.nextSeq - before;
  }

  /** Updates what the mailbox knows; returns what the framework is told, if anything. */
  private apply(notice: FrameworkNotice): FrameworkNotice | undefined {
    switch (notice.kind) {
      case 'inverse-offers': {
        // A rescind that overtook its offer cancels it; a copy of an offer already sent (a machine re-sends what it
        // had not seen delivered when it continued as new) is not sent twice.
        const fresh = notice.offers.filter(
          (o) =>
            !this.rescindedIds.has(o.offerId) &&
            !this.answeredIds.has(o.offerId) &&
            !this.s.open.some((x) => x.offerId === o.offerId),
        );
        this.s.open.push(...fresh);
        return fresh.length ? { ...notice, offers: fresh } : undefined;
      }
      case 'rescind-inverse-offer': {
        const wasOpen = this.s.open.some((o) => o.offerId === notice.offerId);
        if (!this.rescindedIds.has(notice.offerId)) {
          remember(this.s.rescinded, this.rescindedIds, notice.offerId, MAX_RESCINDED);
        }
        if (!wasOpen) return undefined; // never seen (it may still come: it is cancelled), or already answered
        this.s.open = this.s.open.filter((o) => o.offerId !== notice.offerId);
        remember(this.s.withdrawn, this.withdrawnIds, notice.offerId, MAX_ANSWERED);
        return notice;
      }
      case 'unavailability':
        if (!notice.machines.length) return undefined;
        // Merged, also when `full`: the registry tells every change, and a snapshot may come in chunks.
        for (const m of notice.machines) {
          if (m.unavailability === undefined) this.machines.delete(m.key);
          else this.machines.set(m.key, m);
        }
        return notice;
      case 'tasks-killed':
      case 'machine-up':
        return notice;
    }
  }

  private append(event: MailboxEvent): void {
    const size = sizeOf(event);
    this.s.log.push(event);
    this.sizes.push(size);
    this.logBytes += size;
    while (this.s.log.length > 1 && (this.s.log.length > MAX_LOG_EVENTS || this.logBytes > MAX_LOG_BYTES)) {
      this.s.log.shift();
      this.logBytes -= this.sizes.shift()!;
    }
  }

  // ---- answers ----------------------------------------------------------------------------------------------------

  /**
   * Sorts a framework's answer: its open offers are answered (and closed here); offers of its own that were rescinded
   * since are passed on too, for the machine to record as late (README: late answers), and returned in `late`; any
   * other id is ignored, as Mesos ignores unknown inverse offer ids (MESOS-7119).
   */
  answer(call: AnswerCall, ids: WorkflowIds): { recorded: string[]; ignored: string[]; late: Set<string>; byMachine: AnswersByMachine } {
    const recorded: string[] = [];
    const ignored: string[] = [];
    const late = new Set<string>();
    const byMachine: AnswersByMachine = new Map();
    for (const offerId of new Set(call.offerIds)) {
      const open = this.s.open.some((o) => o.offerId === offerId);
      const rescinded = !open && this.withdrawnIds.has(offerId);
      const machine = ids.machineOfOffer(offerId);
      if (!this.s.subscribed || (!open && !rescinded) || machine === undefined) {
        ignored.push(offerId);
        continue;
      }
      if (open) {
        this.s.open = this.s.open.filter((o) => o.offerId !== offerId);
        remember(this.s.answered, this.answeredIds, offerId, MAX_ANSWERED);
      } else {
        late.add(offerId);
      }
      recorded.push(offerId);
      byMachine.set(machine, [...(byMachine.get(machine) ?? []), offerId]);
    }
    return { recorded, ignored, late, byMachine };
  }

  // ---- readers ----------------------------------------------------------------------------------------------------

  /** What is still relevant for a reader who missed events: every machine in maintenance, every open offer. */
  resyncNotices(): FrameworkNotice[] {
    const notices: FrameworkNotice[] = [];
    if (this.machines.size) notices.push({ kind: 'unavailability', machines: [...this.machines.values()], full: true });
    if (this.s.open.length) notices.push({ kind: 'inverse-offers', offers: [...this.s.open] });
    return notices;
  }

  /**
   * Events after `afterSeq`. A new reader (no afterSeq) gets the resync and starts at lastSeq; a reader behind the
   * kept log (for instance, one that read an earlier subscription of this framework), or ahead of it (an id this
   * mailbox never gave out), gets the resync and every kept event.
   */
  page({ afterSeq, limit }: { afterSeq?: number; limit?: number }): MailboxPage {
    const max = Math.max(1, Math.min(Math.floor(limit ?? DEFAULT_PAGE), MAX_LOG_EVENTS));
    let from = afterSeq ?? this.lastSeq;
    let resync: FrameworkNotice[] | undefined;
    if (afterSeq === undefined || afterSeq < this.firstSeq - 1 || afterSeq > this.lastSeq) {
      resync = this.resyncNotices();
      if (afterSeq !== undefined) from = this.firstSeq - 1;
    }
    const events = this.after(from, max, MAX_PAGE_BYTES);
    const { subscription, subscribed, open, deliveredSeq, lastError } = this.s;
    return {
      subscription: subscription ?? { frameworkId: this.s.frameworkId, name: this.s.frameworkId, subscribedAtMs: 0 },
      subscribed,
      events,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      ...(resync ? { resync } : {}),
      outstanding: [...open],
      ...(subscription?.webhookUrl
        ? { webhook: { url: subscription.webhookUrl, deliveredSeq, ...(lastError ? { lastError } : {}) } }
        : {}),
    };
  }

  /** Up to `max` consecutive kept events after `seq`, at most `maxBytes` of them (but always one). */
  private after(seq: number, max: number, maxBytes: number): MailboxEvent[] {
    const start = Math.max(0, seq + 1 - this.firstSeq);
    const out: MailboxEvent[] = [];
    let bytes = 0;
    for (let i = start; i < this.s.log.length && out.length < max; i++) {
      bytes += this.sizes[i];
      if (out.length && bytes > maxBytes) break;
      out.push(this.s.log[i]);
    }
    return out;
  }

  // ---- webhook ----------------------------------------------------------------------------------------------------

  get webhookBehind(): boolean {
    return this.webhook !== undefined && this.s.deliveredSeq < this.lastSeq;
  }

  /**
   * The next events to POST. A webhook that fell behind the kept log first gets the resync, as events that all carry
   * the seq just before the first kept one (firstSeq - 1): their Idempotency-Keys are `<id>/<firstSeq - 1>/<part>`,
   * parts numbered across them (the machines first, then the open offers), and delivering them moves the cursor there.
   */
  nextWebhookBatch(nowMs: number): { events: MailboxEvent[]; resync: boolean } | undefined {
    if (!this.webhookBehind) return undefined;
    if (this.s.deliveredSeq < this.firstSeq - 1) {
      const seq = this.firstSeq - 1;
      const notices = this.resyncNotices();
      if (notices.length) return { events: notices.map((notice) => ({ seq, atMs: nowMs, notice })), resync: true };
      this.s.deliveredSeq = seq; // nothing is still relevant: go on with the kept events
    }
    return { events: this.after(this.s.deliveredSeq, WEBHOOK_BATCH, MAX_BATCH_BYTES), resync: false };
  }

  webhookDelivered(outcome: WebhookOutcome): void {
    this.s.deliveredSeq = Math.max(this.s.deliveredSeq, outcome.deliveredThrough);
    for (const r of outcome.rejected) {
      const why = `${r.status} ${r.text}`.trim();
      this.s.lastError = `event ${r.seq} (part ${r.part}) rejected by the webhook for good: ${why}`;
    }
  }

  webhookFailed(message: string): void {
    this.s.lastError = message;
  }

  /** Markdown for the Temporal UI's current details. */
  details(): string {
    const { subscription, subscribed, open, deliveredSeq, lastError } = this.s;
    const who = subscription?.principal ? ` (principal ${subscription.principal})` : '';
    const hook = subscription?.webhookUrl
      ? `Webhook: ${subscription.webhookUrl} · delivered through ${deliveredSeq} of ${this.lastSeq}`
      : 'No webhook: the framework streams or pulls';
    return [
      `**framework ${this.s.frameworkId}**${who} is ${subscribed ? '**subscribed**' : '**unsubscribed**'}`,
      '',
      hook,
      '',
      `Events kept: ${this.firstSeq}–${this.lastSeq} · open inverse offers: ${open.length} · ` +
        `machines in maintenance: ${this.machines.size}`,
      ...(lastError ? ['', `Last error: ${lastError}`] : []),
    ].join('\n');
  }
}

/** Appends to a bounded list of ids (oldest dropped first) and its lookup set. */
function remember(list: string[], set: Set<string>, id: string, max: number): void {
  list.push(id);
  set.add(id);
  while (list.length > max) set.delete(list.shift()!);
}

function sizeOf(value: unknown): number {
  return JSON.stringify(value).length;
}

export async function frameworkMailboxWorkflow(input: MailboxInput): Promise<void> {
  const box = input.resume ? Mailbox.resume(input.resume as MailboxState) : Mailbox.fresh(input.frameworkId, Date.now() * 1_000 + 1);
  const ids = new WorkflowIds(input.instance);
  /** Bumped when the webhook's URL or secret changes: a delivery in flight to the old one is cancelled. */
  let generation = 0;
  /** Answers being forwarded to machines: the run neither ends nor continues as new before they are out. */
  let forwarding = 0;
  let stopping = false;
  const refresh = () => setCurrentDetails(box.details());

  setHandler(
    configureMailbox,
    (req) => {
      const before = JSON.stringify(box.webhook ?? null);
      const subscription = box.configure(req);
      if (JSON.stringify(box.webhook ?? null) !== before) generation++;
      refresh();
      return subscription;
    },
    { validator: (req) => box.checkConfigure(req) },
  );

  setHandler(
    closeMailbox,
    () => {
      box.close();
      refresh();
    },
    { validator: ({ principal }) => box.checkPrincipal(principal) },
  );

  setHandler(frameworkNotices, ({ notices, atMs }) => {
    if (box.take(notices, atMs)) refresh();
  });

  setHandler(
    answerInverseOffers,
    async (call) => {
      const { recorded, ignored, late, byMachine } = box.answer(call, ids);
      const { answer, atMs, refuseMs, plan } = call;
      const confirmLate = patched(LATE_ANSWERS_CONFIRMED);
      /** Late ids whose machine's workflow has ended: moot, so reported ignored (see LATE_ANSWERS_CONFIRMED). */
      const moot = new Set<string>();
      const forwards = [...byMachine].map(([workflowId, offerIds]) => {
        forwarding++;
        const sent = getExternalWorkflowHandle(workflowId)
          .signal(inverseOfferAnswers, {
            frameworkId: input.frameworkId,
            answer,
            offerIds,
            atMs,
            refuseMs,
            ...(plan ? { plan } : {}),
          })
          .then(
            () => true,
            // The machine's workflow has ended (its maintenance is over): the answer is moot, as in Mesos.
            () => false,
          )
          .finally(() => forwarding--);
        return { offerIds, sent };
      });
      if (confirmLate) {
        // The answer is durable once this handler returns; the machines hear of it right after, except a late one,
        // which only a machine still running can record: waited for, as rare as rescinds answered.
        const confirming = forwards.filter((f) => f.offerIds.some((id) => late.has(id)));
        for (const { offerIds, sent } of confirming) {
          if (!(await sent)) for (const id of offerIds) if (late.has(id)) moot.add(id);
        }
      } else if (!patched(ANSWERS_IN_BACKGROUND)) {
        // Histories from before answers-in-background: every forward was waited for, which made a framework answering
        // hundreds of offers wait on as many round trips.
        await Promise.all(forwards.map((f) => f.sent));
      }
      refresh();
      if (moot.size) return { recorded: recorded.filter((id) => !moot.has(id)), ignored: [...ignored, ...moot] };
      return { recorded, ignored };
    },
    { validator: (call) => box.checkPrincipal(call.principal) },
  );

  setHandler(mailboxEvents, (query) => box.page(query));

  refresh();
  const delivering = deliverToWebhook();

  const limit = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const mustContinue = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
  await condition(() => !box.subscribed || mustContinue());
  stopping = true; // cancels a delivery in flight; the next run resumes from the cursor (Idempotency-Keys unchanged)
  await delivering;
  await condition(() => allHandlersFinished() && forwarding === 0);
  // Unsubscribed: done (a later SUBSCRIBE starts a new run). Still subscribed (also after a close and a new
  // SUBSCRIBE that came in meanwhile): carry on in a new run.
  if (box.subscribed) await continueAsNew<typeof frameworkMailboxWorkflow>({ ...input, resume: box.snapshot() });

  /** Delivers the log in order, a batch per activity call, while the framework has a webhook. */
  async function deliverToWebhook(): Promise<void> {
    while (!stopping) {
      await condition(() => stopping || box.webhookBehind);
      if (stopping) return;
      const started = generation;
      const hook = box.webhook!;
      const batch = box.nextWebhookBatch(Date.now());
      if (!batch?.events.length) continue;
      const first = batch.events[0].seq;
      const last = batch.events[batch.events.length - 1].seq;
      const summary = batch.resync
        ? `webhook ${input.frameworkId}: resync before event ${first + 1}`
        : `webhook ${input.frameworkId}: events ${first === last ? first : `${first}–${last}`}`;
      let settled = false;
      const scope = new CancellationScope();
      const call = scope
        .run(() =>
          webhook.deliverWebhook.executeWithOptions({ summary }, [
            { frameworkId: input.frameworkId, ...hook, events: batch.events },
          ]),
        )
        .finally(() => {
          settled = true;
        });
      // Also cancelled when the log trimmed the batch while the webhook failed: the resync replaces it.
      const trimmed = () => !batch.resync && box.firstSeq > first;
      await condition(() => settled || stopping || generation !== started || trimmed());
      if (!settled) scope.cancel();
      try {
        box.webhookDelivered(await call);
      } catch (err) {
        // Stopping, the webhook changed, or the batch was trimmed: start over from the cursor (with the new webhook,
        // the resync, or in the next run).
        if (isCancellation(err)) continue;
        // Retries are unlimited, so only what retrying cannot fix gets here (no MAINT_SECRET_KEY on the worker, a
        // secret sealed with another key): say so, and try again later or as soon as the subscription changes.
        box.webhookFailed(failureText(err));
        refresh();
        await condition(() => stopping || generation !== started, FAILED_WEBHOOK_PAUSE, {
          summary: `webhook of ${input.frameworkId} failed for good: try again in ${FAILED_WEBHOOK_PAUSE}, or when it subscribes again`,
        });
      }
      refresh();
    }
  }
}

function failureText(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
