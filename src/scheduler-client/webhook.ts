// A framework's webhook: where maint POSTs its events, one per request, signed with the secret the framework gave at
// SUBSCRIBE. verifyWebhook checks one delivery; webhookHandler is a whole endpoint for node:http or express.
//
// What maint sends (docs/scheduler-api.md): the event as JSON; Idempotency-Key `<framework id>/<seq>/<part>`, the
// same on every retry; Maint-Event-Id `<seq>`; Maint-Timestamp (seconds) and Maint-Signature
// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. maint takes 2xx as delivered, 4xx other than 408 and 429
// as refused for good (it skips the event), anything else as "try again later".
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SchedulerEvent } from '../domain/scheduler-wire';
import { EVENT_ID_HEADER, IDEMPOTENCY_HEADER } from '../domain/scheduler-wire';
import { parseJson } from '../lib/json';
import { DEFAULT_TOLERANCE_SECONDS, verifySignature, type Verdict } from '../lib/signature';
import { readSchedulerEvent, SchedulerEventError } from './events';

export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

export interface VerifyOptions {
  /** Deliveries timestamped further than this from now are refused (replays); default 300 s. */
  toleranceSeconds?: number;
  /** Default Date.now(). */
  nowMs?: number;
}

/**
 * Checks one delivery's signature over `rawBody`: the exact text received, before any JSON parsing (a re-serialised
 * body would not match: key order, spacing and int64 digits all count).
 */
export function verifyWebhook(secret: string, headers: WebhookHeaders, rawBody: string, options: VerifyOptions = {}): Verdict {
  return verifySignature(secret, headers, rawBody, options);
}

/** One delivery as the handler saw it. */
export interface WebhookDelivery {
  /** Idempotency-Key: the same on every retry of one event part. */
  idempotencyKey?: string;
  /** Maint-Event-Id: the event's seq in the framework's log. */
  eventId?: number;
  rawBody: string;
}

export interface WebhookHandlerOptions {
  secret: string;
  /** Called once per event (per Idempotency-Key); maint retries the delivery while it throws. */
  onEvent: (event: SchedulerEvent, delivery: WebhookDelivery) => unknown;
  /** Remember Idempotency-Keys and acknowledge a repeat without calling onEvent again; default true. */
  dedupe?: boolean;
  /** How many keys to remember (the oldest are forgotten first); default 10,000. */
  dedupeCapacity?: number;
  /** A repeated delivery, acknowledged without calling onEvent. */
  onDuplicate?: (event: SchedulerEvent, delivery: WebhookDelivery) => void;
  /** A delivery refused: 401 (signature), 400 (not an event), 405, 413. onEvent was not called. */
  onRefused?: (status: number, reason: string) => void;
  toleranceSeconds?: number;
  /** Default 1 MiB; a larger body is refused with 413. */
  maxBodyBytes?: number;
  /** For tests: the clock the timestamp is checked against. */
  now?: () => number;
}

/** Request as node:http gives it; express adds `body` (a string from express.text, a Buffer from express.raw). */
export type WebhookRequest = IncomingMessage & { body?: unknown };
export type WebhookHandler = (req: WebhookRequest, res: ServerResponse) => Promise<void>;

const DEFAULT_CAPACITY = 10_000;
const DEFAULT_MAX_BODY = 1024 * 1024;

/**
 * An endpoint for maint's deliveries, usable as `http.createServer(handler)` or `app.post(path, handler)` (mount it
 * before any JSON body parser, or behind express.text / express.raw: it needs the raw body). It answers 401 on a
 * missing, wrong or stale signature, 400 on a body that is not an event, 200 once onEvent resolved (or for a
 * delivery seen before), 500 when onEvent threw (maint retries).
 */
export function webhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const seen = new KeyMemory(options.dedupeCapacity ?? DEFAULT_CAPACITY);
  /** Deliveries being handled: a retry that overlaps the first attempt waits for its outcome. */
  const inFlight = new Map<string, Promise<void>>();
  const dedupe = options.dedupe ?? true;

  const refuse = (res: ServerResponse, status: number, error: string, message: string) => {
    options.onRefused?.(status, message);
    send(res, status, { error, message });
  };

  const handle = async (req: WebhookRequest, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return refuse(res, 405, 'METHOD_NOT_ALLOWED', `${req.method ?? '?'}: deliveries are POSTed`);
    }
    let rawBody: string;
    try {
      rawBody = await readRawBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY);
    } catch (err) {
      if (err instanceof TooLarge) return refuse(res, 413, 'INVALID', err.message);
      // Mounted behind a JSON parser, or the connection broke: nothing to verify; never a rejected promise.
      return send(res, 500, { error: 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
    }

    const verdict = verifyWebhook(options.secret, req.headers, rawBody, {
      toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      nowMs: options.now?.() ?? Date.now(),
    });
    if (!verdict.ok) return refuse(res, 401, 'UNAUTHENTICATED', verdict.reason);

    let event: SchedulerEvent;
    try {
      event = readSchedulerEvent(parseJson(rawBody));
    } catch (err) {
      const message = err instanceof SchedulerEventError ? err.message : `body is not JSON: ${String(err)}`;
      return refuse(res, 400, 'INVALID', message);
    }

    const delivery = deliveryOf(req, rawBody);
    const key = dedupe ? delivery.idempotencyKey : undefined;
    if (key !== undefined && (seen.has(key) || inFlight.has(key))) {
      try {
        await inFlight.get(key);
      } catch (err) {
        return send(res, 500, { error: 'INTERNAL', message: String(err) });
      }
      options.onDuplicate?.(event, delivery);
      return send(res, 200, { duplicate: true });
    }

    const handling = Promise.resolve().then(() => options.onEvent(event, delivery)).then(() => {});
    if (key !== undefined) inFlight.set(key, handling);
    try {
      await handling;
      if (key !== undefined) seen.add(key);
      send(res, 200, {});
    } catch (err) {
      // Not remembered: maint's retry is handled afresh.
      send(res, 500, { error: 'INTERNAL', message: String(err) });
    } finally {
      if (key !== undefined) inFlight.delete(key);
    }
  };
  // Never a rejected promise (node:http would crash on it): a failing hook is a 500, and maint retries.
  return (req, res) => handle(req, res).catch((err: unknown) => send(res, 500, { error: 'INTERNAL', message: String(err) }));
}

function deliveryOf(req: IncomingMessage, rawBody: string): WebhookDelivery {
  const header = (name: string): string | undefined => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const idempotencyKey = header(IDEMPOTENCY_HEADER);
  const eventId = Number(header(EVENT_ID_HEADER));
  return {
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(Number.isSafeInteger(eventId) && header(EVENT_ID_HEADER) ? { eventId } : {}),
    rawBody,
  };
}

class TooLarge extends Error {}

/** The body as received: from express (text or raw parser) if it read it, else from the request stream. */
async function readRawBody(req: WebhookRequest, maxBytes: number): Promise<string> {
  if (typeof req.body === 'string') return req.body;
  if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
  if (req.body !== undefined && req.body !== null && !(typeof req.body === 'object' && Object.keys(req.body).length === 0)) {
    throw new Error('the body was parsed before the webhook handler: mount it before express.json()');
  }
  if (req.readableEnded) return '';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buffer.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.resume(); // read the rest and drop it, so the 413 reaches the sender
        reject(new TooLarge(`the body is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(buffer);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

/** A bounded set: past capacity, the oldest key is forgotten (maint retries an event for hours, not forever). */
class KeyMemory {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    while (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
  }
}
