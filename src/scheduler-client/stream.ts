// A framework's event stream over Server-Sent Events (GET .../frameworks/:id/events, Accept: text/event-stream):
// a parser of text/event-stream as the HTML standard defines it, and a reader that reconnects after a dropped
// connection with Last-Event-ID, so no event is missed or seen twice across reconnects, until its signal aborts.
import type { SchedulerEvent } from '../domain/scheduler-wire';
import { parseJson } from '../lib/json';
import { readSchedulerEvent, SchedulerEventError } from './events';

/** One dispatched message of a text/event-stream. */
export interface SseMessage {
  /** The `event:` field; "message" when absent, as EventSource does. */
  type: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** This message's own `id:` field, if it had one. */
  id?: string;
  /** The stream's last event id after this message (what a reconnect sends as Last-Event-ID). */
  lastEventId: string;
}

/**
 * Incremental text/event-stream parser: feed it decoded text as it arrives, take the messages completed so far.
 * Lines end with CRLF, LF or CR (a CR LF may be split across chunks); `:` starts a comment; a field's
 * value loses one leading space; a blank line dispatches; a message with no data is not dispatched; an id with NUL is
 * ignored; `retry:` with digits only sets the reconnection time.
 */
export class SseParser {
  private buffer = '';
  private started = false;
  /** The last chunk ended with CR: an LF starting the next one belongs to it. */
  private afterCr = false;
  private data: string[] = [];
  private type = '';
  private ownId: string | undefined;
  private lastEventId = '';
  /** The server's `retry:` in ms, if it sent one. */
  retryMs: number | undefined;

  constructor(lastEventId = '') {
    this.lastEventId = lastEventId;
  }

  push(text: string): SseMessage[] {
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1); // the LF of a CR LF split across chunks
    if (text.length > 0) this.afterCr = false;
    this.buffer += text;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.startsWith('\uFEFF')) this.buffer = this.buffer.slice(1);
    }
    const messages: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (ch === '\r' && this.buffer[i + 1] === '\n') i++;
      else if (ch === '\r' && i === this.buffer.length - 1) this.afterCr = true;
      start = i + 1;
      const message = this.line(line);
      if (message) messages.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.lastEventId = value;
          this.ownId = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default: // unknown fields are ignored
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message: SseMessage | undefined =
      this.data.length === 0
        ? undefined
        : {
            type: this.type || 'message',
            data: this.data.join('\n'),
            ...(this.ownId === undefined ? {} : { id: this.ownId }),
            lastEventId: this.lastEventId,
          };
    this.data = [];
    this.type = '';
    this.ownId = undefined;
    return message;
  }
}

/** One event of the stream; `id` is its seq (SUBSCRIBED and HEARTBEAT have none). */
export interface StreamedEvent {
  id?: number;
  event: SchedulerEvent;
}

export interface StreamOptions {
  /** Start after this seq (events 1..after are not sent again). */
  after?: number;
  /** Ends the stream: the iteration returns, without an error. */
  signal?: AbortSignal;
  /** First delay before reconnecting; doubles per failed attempt up to maxRetryMs. Default 500 ms (or the server's `retry:`). */
  retryMs?: number;
  /** Default 30 s. */
  maxRetryMs?: number;
  /**
   * A connection silent for this long is taken for dead and replaced. Default three heartbeat intervals (the
   * SUBSCRIBED event says how long one is; 15 s until then).
   */
  idleTimeoutMs?: number;
  /** Told of every reconnect: why, and how long it waits first. */
  onReconnect?: (error: unknown, delayMs: number) => void;
}

/** What the reader needs from the client: the URL and the headers (credentials) of every connection. */
export interface StreamTarget {
  url: string;
  headers: Record<string, string>;
  fetchImpl: typeof fetch;
}

/** The stream refused for good (401, 403, 404, …): reconnecting would not help. */
export type StreamRefusal = (status: number, body: string) => Error;

const DEFAULT_HEARTBEAT_SECONDS = 15;

/**
 * Reads the stream until options.signal aborts, reconnecting after any network error, 5xx, 408, 429, end of body or
 * silence, with backoff (reset once a connection delivers an event). Throws `refuse(status, body)` on another non-2xx
 * status, and a SchedulerEventError on a message whose data is not an event.
 */
export async function* readEventStream(
  target: StreamTarget,
  options: StreamOptions,
  refuse: StreamRefusal,
): AsyncGenerator<StreamedEvent> {
  const { signal } = options;
  let lastEventId = options.after === undefined ? undefined : String(options.after);
  let resumed = false; // the first connection uses ?after=, later ones Last-Event-ID
  let failures = 0;
  let serverRetryMs: number | undefined;
  let idleTimeoutMs = options.idleTimeoutMs ?? 3 * DEFAULT_HEARTBEAT_SECONDS * 1000;

  while (!signal?.aborted) {
    const connection = new AbortController();
    const abortConnection = () => connection.abort(signal?.reason);
    signal?.addEventListener('abort', abortConnection, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    let failure: unknown;
    try {
      const url = new URL(target.url);
      const headers: Record<string, string> = { ...target.headers, accept: 'text/event-stream' };
      if (!resumed && lastEventId !== undefined) url.searchParams.set('after', lastEventId);
      if (resumed && lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      resumed = true;
      watch();
      const response = await target.fetchImpl(url, { headers, signal: connection.signal });
      if (!response.ok) {
        const body = await response.text();
        if (!retryable(response.status)) throw new Refused(refuse(response.status, body));
        throw new Error(`the stream answered ${response.status}: ${body}`);
      }
      if (!response.body) throw new Error('the stream answered without a body');
      const type = response.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream')) {
        throw new Refused(refuse(response.status, `expected text/event-stream, got ${type || 'no content type'}`));
      }

      const parser = new SseParser(lastEventId);
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const message of parser.push(decoder.decode(value, { stream: true }))) {
            const streamed = toStreamed(message);
            lastEventId = message.lastEventId === '' ? lastEventId : message.lastEventId;
            failures = 0;
            const heartbeat = subscribedHeartbeatSeconds(streamed.event);
            if (heartbeat !== undefined && options.idleTimeoutMs === undefined) idleTimeoutMs = 3 * heartbeat * 1000;
            clearTimeout(idle); // a slow consumer is not a silent connection
            yield streamed;
          }
          serverRetryMs = parser.retryMs ?? serverRetryMs;
          watch();
        }
      } finally {
        // The consumer stopped (break, return) or the connection failed: let go of the body either way.
        reader.cancel().catch(() => {});
      }
      failure = new Error('the stream ended');
    } catch (err) {
      if (err instanceof Refused) throw err.error;
      if (err instanceof SchedulerEventError) throw err;
      failure = err;
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener('abort', abortConnection);
      connection.abort();
    }
    if (signal?.aborted) return;

    const base = options.retryMs ?? serverRetryMs ?? 500;
    const ceiling = Math.min(options.maxRetryMs ?? 30_000, base * 2 ** failures);
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2); // jitter: reconnects do not stampede
    failures++;
    options.onReconnect?.(failure, delayMs);
    await sleep(delayMs, signal);
  }
}

/** Wraps a refusal so the catch-all above tells it from a network error. */
class Refused {
  constructor(readonly error: Error) {}
}

function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function toStreamed(message: SseMessage): StreamedEvent {
  let value: unknown;
  try {
    value = parseJson(message.data);
  } catch (err) {
    throw new SchedulerEventError(`stream message ${message.id ?? '(no id)'} is not JSON: ${String(err)}`);
  }
  const event = readSchedulerEvent(value);
  const id = message.id === undefined ? undefined : Number(message.id);
  return id === undefined || !Number.isSafeInteger(id) ? { event } : { id, event };
}

function subscribedHeartbeatSeconds(event: SchedulerEvent): number | undefined {
  if (event.type !== 'SUBSCRIBED') return undefined;
  const seconds = Number(event.subscribed.heartbeat_interval_seconds);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
