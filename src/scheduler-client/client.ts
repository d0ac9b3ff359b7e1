// A framework's side of maint's scheduler API. Calls are Mesos v1 scheduler calls POSTed to
// `${maintUrl}/api/v1/scheduler`; events come three ways: POSTed to the framework's webhook (webhook.ts verifies
// them), streamed (stream(): Server-Sent Events), or pulled (pull(): a page of the framework's event log).
// JSON is lossless both ways: int64 nanoseconds stay exact (BigInt).
import type {
  EventsPageJson,
  InverseOfferAnswerJson,
  MachineIdJson,
  PlacementJson,
  PlacementRequestJson,
  PlanJson,
  SchedulerCall,
} from '../domain/scheduler-wire';
import { parseJson, stringifyJson } from '../lib/json';
import { readEventStream, type StreamedEvent, type StreamOptions } from './stream';

export interface SchedulerClientOptions {
  /** Base URL of maint's API, e.g. http://127.0.0.1:8080. */
  maintUrl: string;
  /** This framework's id; SUBSCRIBE asks maint to use it. */
  frameworkId: string;
  /** HTTP Basic credentials, when maint requires them (MAINT_CREDENTIALS). The principal then owns the framework. */
  credentials?: { principal: string; secret: string };
  /** Default: the global fetch. */
  fetchImpl?: typeof fetch;
  /** Per call (not the stream); default 10 s. */
  timeoutMs?: number;
  /**
   * Answers, placement advice and pulls are safe to repeat: one that maint refuses as busy (503, 429) or that fails on
   * the way (network, timeout) is tried again after a backoff (doubling from `initialMs` up to `maxMs`, jittered; a
   * Retry-After header is honoured), `attempts` times in all. Subscribe and teardown are tried once. Default: 5
   * attempts, 250 ms, 4 s; `{ attempts: 1 }` turns it off.
   */
  retry?: RetryOptions;
}

export interface RetryOptions {
  attempts?: number;
  initialMs?: number;
  maxMs?: number;
}

export interface SubscribeOptions {
  name: string;
  /** Default: the credentials' principal. maint refuses (403) one that is not the authenticated principal. */
  principal?: string;
  /** Mesos' PARTITION_AWARE: tasks a drain ends for good are reported TASK_GONE_BY_OPERATOR, not TASK_KILLED. */
  partitionAware?: boolean;
  /** Where maint POSTs events, signed with `secret` (HMAC-SHA256). Without it the framework streams or pulls. */
  webhook?: { url: string; secret: string };
  /** How much maint may take from this framework at once. */
  budget?: { maxTasksKilled?: number; maxMachinesDown?: number };
}

export interface Subscribed {
  frameworkId: string;
  /** How often the stream sends a HEARTBEAT; absent if maint did not say. */
  heartbeatIntervalSeconds?: number;
}

export interface AnswerOptions {
  /**
   * Mesos' refuse filter: no new inverse offer for the same machine before this many seconds. Unset: no filters are
   * sent and maint applies Mesos' default (5 s); 0: no filter.
   */
  refuseSeconds?: number;
  /** maint: MOVE (default) the tasks away, or WAIT the downtime out (persistent volumes are kept). */
  plan?: PlanJson;
}

/** maint answered with a non-2xx status. `error` is maint's error code when the body says it (INVALID, FORBIDDEN…). */
export class SchedulerApiError extends Error {
  readonly error: string | undefined;

  constructor(
    readonly status: number,
    readonly body: string,
    what = 'the call',
    /** The Retry-After header maint sent with it (seconds), if any. */
    readonly retryAfter?: string | null,
  ) {
    super(`maint answered ${what} with ${status}: ${body}`);
    this.name = 'SchedulerApiError';
    this.error = errorCode(body);
  }
}

export class SchedulerClient {
  readonly frameworkId: string;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retry: Required<RetryOptions>;
  private readonly credentials: SchedulerClientOptions['credentials'];
  private readonly authorization: Record<string, string>;

  constructor(options: SchedulerClientOptions) {
    this.frameworkId = options.frameworkId;
    this.base = `${options.maintUrl.replace(/\/+$/, '')}/api/v1/scheduler`;
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = { attempts: 5, initialMs: 250, maxMs: 4_000, ...options.retry };
    this.credentials = options.credentials;
    const { credentials } = options;
    this.authorization = credentials
      ? { authorization: `Basic ${Buffer.from(`${credentials.principal}:${credentials.secret}`).toString('base64')}` }
      : {};
  }

  /** Subscribes (again: maint keeps one subscription per framework id, and a new call replaces its settings). */
  async subscribe(options: SubscribeOptions): Promise<Subscribed> {
    const principal = options.principal ?? this.credentials?.principal;
    const budget = options.budget && {
      ...(options.budget.maxTasksKilled === undefined ? {} : { max_tasks_killed: options.budget.maxTasksKilled }),
      ...(options.budget.maxMachinesDown === undefined ? {} : { max_machines_down: options.budget.maxMachinesDown }),
    };
    const text = await this.call({
      type: 'SUBSCRIBE',
      subscribe: {
        framework_info: {
          id: { value: this.frameworkId },
          name: options.name,
          ...(principal === undefined ? {} : { principal }),
          ...(options.partitionAware ? { capabilities: [{ type: 'PARTITION_AWARE' }] } : {}),
        },
        ...(options.webhook === undefined ? {} : { webhook: { url: options.webhook.url, secret: options.webhook.secret } }),
        ...(budget === undefined ? {} : { disruption_budget: budget }),
      },
    });
    const subscribed = readSubscribed(text);
    if (subscribed === undefined) throw new Error(`maint answered SUBSCRIBE without a framework id: ${text}`);
    return subscribed;
  }

  /** Unsubscribes (Mesos' TEARDOWN): maint stops telling this framework anything and forgets its open offers. */
  async teardown(): Promise<void> {
    await this.call({ type: 'TEARDOWN', framework_id: { value: this.frameworkId } });
  }

  /** The framework gives these resources back (it has moved, or will not mind losing, what runs there). */
  async acceptInverseOffers(inverseOfferIds: string[], options: AnswerOptions = {}): Promise<void> {
    await this.repeatableCall({
      type: 'ACCEPT_INVERSE_OFFERS',
      framework_id: { value: this.frameworkId },
      accept_inverse_offers: answerBody(inverseOfferIds, options),
    });
  }

  /** The framework will not give these resources back before the deadline. */
  async declineInverseOffers(inverseOfferIds: string[], options: AnswerOptions = {}): Promise<void> {
    await this.repeatableCall({
      type: 'DECLINE_INVERSE_OFFERS',
      framework_id: { value: this.frameworkId },
      decline_inverse_offers: answerBody(inverseOfferIds, options),
    });
  }

  /**
   * One page of the framework's events after `after` (a seq: the last page's last_event_id). Without it, or with one
   * older than the kept log, the page starts with what is still relevant (every open offer, every machine in
   * maintenance) and says `resync`. `limit`: at most this many events (maint's default 100, at most 1,000).
   */
  async pull(after?: number, options: { limit?: number } = {}): Promise<EventsPageJson> {
    const url = new URL(this.eventsUrl());
    if (after !== undefined) url.searchParams.set('after', String(after));
    if (options.limit !== undefined) url.searchParams.set('limit', String(options.limit));
    const text = await this.repeatable(() => this.request(url, { method: 'GET', headers: { accept: 'application/json' } }, 'GET events'));
    return parseJson(text) as EventsPageJson;
  }

  /**
   * The framework's events as they happen (Server-Sent Events), starting with SUBSCRIBED, with a HEARTBEAT every
   * 15 s. Reconnects with Last-Event-ID after a dropped connection, with backoff, until `signal` aborts; throws a
   * SchedulerApiError when maint refuses the stream (401, 403, 404).
   */
  stream(options: StreamOptions = {}): AsyncIterable<StreamedEvent> {
    return readEventStream(
      { url: this.eventsUrl(), headers: { ...this.authorization }, fetchImpl: this.fetchImpl },
      options,
      (status, body) => new SchedulerApiError(status, body, 'the event stream'),
    );
  }

  /**
   * maint's advice on where to run a task of `runtimeSeconds`: the machines ranked, those with no maintenance in
   * sight first and those going down during the task last.
   */
  async placement(machines: MachineIdJson[], runtimeSeconds: number): Promise<PlacementJson> {
    const request: PlacementRequestJson = {
      machine_ids: machines.map((m) => ({
        ...(m.hostname === undefined ? {} : { hostname: m.hostname }),
        ...(m.ip === undefined ? {} : { ip: m.ip }),
      })),
      runtime_seconds: runtimeSeconds,
    };
    const text = await this.repeatable(() =>
      this.request(`${this.base}/placement`, { method: 'POST', headers: jsonHeaders(), body: stringifyJson(request) }, 'placement'),
    );
    return parseJson(text) as PlacementJson;
  }

  private eventsUrl(): string {
    return `${this.base}/frameworks/${encodeURIComponent(this.frameworkId)}/events`;
  }

  /** POSTs one call; returns the answer's body text, or throws SchedulerApiError on a non-2xx status. */
  private call(call: SchedulerCall): Promise<string> {
    return this.request(this.base, { method: 'POST', headers: jsonHeaders(), body: stringifyJson(call) }, call.type);
  }

  /** A call maint may apply twice with the same effect (an answer names its offers): tried again when busy. */
  private repeatableCall(call: SchedulerCall): Promise<string> {
    return this.repeatable(() => this.call(call));
  }

  /** `attempt` until it succeeds, fails for a reason other than busy or unreachable, or runs out of attempts. */
  private async repeatable(attempt: () => Promise<string>): Promise<string> {
    const { attempts, initialMs, maxMs } = this.retry;
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        const wait = n < attempts ? retryDelayMs(err, n, initialMs, maxMs) : undefined;
        if (wait === undefined) throw err;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private async request(
    url: string | URL,
    init: { method: string; headers: Record<string, string>; body?: string },
    what: string,
  ): Promise<string> {
    const response = await this.fetchImpl(url, {
      ...init,
      headers: { ...init.headers, ...this.authorization },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new SchedulerApiError(response.status, text, what, response.headers.get('retry-after'));
    return text;
  }
}

/** fetch's failures on the way: the network (TypeError) and the call's timeout (TimeoutError). By name: realms differ. */
const UNREACHED = new Set(['TypeError', 'TimeoutError']);

/**
 * How long to wait before attempt n + 1, or undefined when the failure is not worth another: maint busy (503, 429) or
 * not reached (a network error or timeout) is; any other answer is maint's last word.
 */
function retryDelayMs(err: unknown, n: number, initialMs: number, maxMs: number): number | undefined {
  if (err instanceof SchedulerApiError) {
    if (err.status !== 503 && err.status !== 429) return undefined;
    const asked = Number(err.retryAfter);
    if (err.retryAfter !== undefined && Number.isFinite(asked) && asked >= 0) return Math.min(asked * 1000, maxMs);
  } else if (!UNREACHED.has(String((err as { name?: unknown } | undefined)?.name))) {
    return undefined;
  }
  const ceiling = Math.min(initialMs * 2 ** (n - 1), maxMs);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json' };
}

function answerBody(ids: string[], options: AnswerOptions): InverseOfferAnswerJson {
  return {
    inverse_offer_ids: ids.map((value) => ({ value })),
    ...(options.refuseSeconds === undefined ? {} : { filters: { refuse_seconds: options.refuseSeconds } }),
    ...(options.plan === undefined ? {} : { plan: options.plan }),
  };
}

/** `{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":…},"heartbeat_interval_seconds":15}}`, if it is one. */
function readSubscribed(text: string): Subscribed | undefined {
  const subscribed = (tryParse(text) as { subscribed?: { framework_id?: { value?: unknown }; heartbeat_interval_seconds?: unknown } } | null)
    ?.subscribed;
  const frameworkId = subscribed?.framework_id?.value;
  if (typeof frameworkId !== 'string') return undefined;
  const heartbeat = Number(subscribed?.heartbeat_interval_seconds);
  return Number.isFinite(heartbeat) && heartbeat > 0 ? { frameworkId, heartbeatIntervalSeconds: heartbeat } : { frameworkId };
}

function errorCode(body: string): string | undefined {
  const error = (tryParse(body) as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : undefined;
}

function tryParse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}
