// A framework's side of maint's scheduler API: subscribe (with a webhook where maint POSTs events), then accept or
// decline inverse offers. Every call is a Mesos v1 scheduler call, POSTed to `${maintUrl}/api/v1/scheduler`.
import type { Filters, SchedulerCall } from '../domain/scheduler-wire';
import { parseJson, stringifyJson } from '../lib/json';

export interface SchedulerClientOptions {
  /** Base URL of maint's API, e.g. http://127.0.0.1:8080. */
  maintUrl: string;
  /** This framework's id; SUBSCRIBE asks maint to use it. */
  frameworkId: string;
  /** For tests, or to add authentication. Default: the global fetch. */
  fetchImpl?: typeof fetch;
  /** Per call; default 10 s. */
  timeoutMs?: number;
}

export interface SubscribeOptions {
  name: string;
  principal?: string;
  /** Where maint should POST this framework's events. */
  webhookUrl?: string;
}

/** maint answered a call with a non-2xx status. */
export class SchedulerApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    call: SchedulerCall['type'],
  ) {
    super(`maint answered ${call} with ${status}: ${body}`);
    this.name = 'SchedulerApiError';
  }
}

export class SchedulerClient {
  readonly frameworkId: string;
  private readonly endpoint: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: SchedulerClientOptions) {
    this.frameworkId = options.frameworkId;
    this.endpoint = `${options.maintUrl.replace(/\/+$/, '')}/api/v1/scheduler`;
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Subscribes (again: maint keeps one subscription per framework id); returns the id maint confirmed. */
  async subscribe(options: SubscribeOptions): Promise<{ frameworkId: string }> {
    const body = await this.call({
      type: 'SUBSCRIBE',
      subscribe: {
        framework_info: {
          id: { value: this.frameworkId },
          name: options.name,
          ...(options.principal === undefined ? {} : { principal: options.principal }),
        },
        ...(options.webhookUrl === undefined ? {} : { webhook: { url: options.webhookUrl } }),
      },
    });
    const frameworkId = subscribedFrameworkId(body);
    if (frameworkId === undefined) throw new Error(`maint answered SUBSCRIBE without a framework id: ${body}`);
    return { frameworkId };
  }

  /** Tells maint the framework gives these resources back (it has moved what it could). */
  async acceptInverseOffers(inverseOfferIds: string[], filters?: Filters): Promise<void> {
    await this.call({
      type: 'ACCEPT_INVERSE_OFFERS',
      framework_id: { value: this.frameworkId },
      accept_inverse_offers: { inverse_offer_ids: values(inverseOfferIds), ...withFilters(filters) },
    });
  }

  /** Tells maint the framework will not give these resources back before the deadline. */
  async declineInverseOffers(inverseOfferIds: string[], filters?: Filters): Promise<void> {
    await this.call({
      type: 'DECLINE_INVERSE_OFFERS',
      framework_id: { value: this.frameworkId },
      decline_inverse_offers: { inverse_offer_ids: values(inverseOfferIds), ...withFilters(filters) },
    });
  }

  /** POSTs one call; returns the answer's body text, or throws SchedulerApiError on a non-2xx status. */
  private async call(call: SchedulerCall): Promise<string> {
    const response = await this.fetchImpl(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: stringifyJson(call),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new SchedulerApiError(response.status, text, call.type);
    return text;
  }
}

function values(ids: string[]): { value: string }[] {
  return ids.map((value) => ({ value }));
}

function withFilters(filters: Filters | undefined): { filters?: Filters } {
  return filters === undefined ? {} : { filters };
}

/** `{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"..."}}}` → the value, if the answer has it. */
function subscribedFrameworkId(text: string): string | undefined {
  let body: unknown;
  try {
    body = parseJson(text);
  } catch {
    return undefined;
  }
  const subscribed = (body as { subscribed?: { framework_id?: { value?: unknown } } } | null)?.subscribed;
  const value = subscribed?.framework_id?.value;
  return typeof value === 'string' ? value : undefined;
}
