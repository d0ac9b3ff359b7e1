// A framework's events: read from its mailbox, rendered as Mesos v1 scheduler events, as a JSON page (pull) or as a
// Server-Sent-Events stream. The mailbox is the one source of truth; the stream only polls it, so an API process
// holds no state a crash could lose, and a reconnect with Last-Event-ID resumes exactly.
import type { Response } from 'express';
import type { Logger } from 'pino';
import { ErrorCode, isNotFound, MaintError } from '../../domain/errors';
import { HEARTBEAT_EVENT, inverseOfferJson, subscribedEvent, toSchedulerEvents } from '../../domain/scheduler-events';
import { HEARTBEAT_INTERVAL_SECONDS, type EventsPageJson, type SchedulerEvent } from '../../domain/scheduler-wire';
import { stringifyJson } from '../../lib/json';
import type { FrameworkService } from '../../service/frameworks';
import type { MailboxPage } from '../../../workflows/messages';

export interface RenderedEvent {
  /** The mailbox event's seq (the stream's `id:`, a pull's `after=`). */
  seq: number;
  event: SchedulerEvent;
  /**
   * The last event rendered from its seq. One notice can be several events (one UPDATE per killed task); only the
   * last carries the stream's `id:`, so a reader cut off between them resumes before the seq, never past a part.
   */
  last: boolean;
}

export interface RenderedPage {
  events: RenderedEvent[];
  /** Where the reader stands after this page: its next `after`. */
  lastSeq: number;
  /** The reader had no position, or one outside the kept log: `events` start with what is still relevant. */
  resync: boolean;
  /** The framework unsubscribed: nothing more will come. */
  ended: boolean;
  page: MailboxPage;
}

/**
 * Reads one page after `afterSeq`. Without a position the mailbox answers with what is still relevant (every machine
 * in maintenance, every open offer) and the reader goes on from the latest event; a position behind the kept log, or
 * ahead of it (an earlier life of the mailbox: the framework tore down and subscribed again), gets that and every
 * kept event.
 */
export async function readPage(
  frameworks: FrameworkService,
  frameworkId: string,
  query: { afterSeq?: number; limit: number; principal?: string },
): Promise<RenderedPage> {
  const page = await frameworks.events(frameworkId, query);
  return { ...renderPage(frameworkId, page, query.afterSeq), page };
}

/**
 * A mailbox page as scheduler events (pure). The resync stands for everything up to the seq the page's events
 * follow, and its last event carries that seq, as a webhook's resync does.
 */
export function renderPage(
  frameworkId: string,
  page: MailboxPage,
  afterSeq: number | undefined,
): Omit<RenderedPage, 'page'> {
  const partitionAware = page.subscription.partitionAware === true;
  const events: RenderedEvent[] = [];
  const add = (seq: number, parts: SchedulerEvent[]) =>
    parts.forEach((event, i) => events.push({ seq, event, last: i === parts.length - 1 }));
  const first = page.events[0];
  const resyncSeq = first ? first.seq - 1 : page.lastSeq;
  const resync = (page.resync ?? []).flatMap((notice) => toSchedulerEvents(frameworkId, notice, { partitionAware }));
  add(resyncSeq, resync);
  for (const { seq, atMs, notice } of page.events) {
    add(seq, toSchedulerEvents(frameworkId, notice, { partitionAware, atMs }));
  }
  const last = page.events[page.events.length - 1];
  return {
    events,
    lastSeq: last ? last.seq : page.resync ? resyncSeq : Math.min(afterSeq ?? page.lastSeq, page.lastSeq),
    resync: page.resync !== undefined,
    ended: !page.subscribed,
  };
}

/** GET …/events as JSON (a pull). */
export function pageJson(frameworkId: string, rendered: RenderedPage): EventsPageJson {
  return {
    framework_id: { value: frameworkId },
    events: rendered.events.map(({ seq, event }) => ({ id: seq, event })),
    last_event_id: rendered.lastSeq,
    resync: rendered.resync,
    outstanding: { inverse_offers: rendered.page.outstanding.map((offer) => inverseOfferJson(frameworkId, offer)) },
  };
}

/** One Server-Sent Event: `id:` (when given), `event:` the type, `data:` the event's JSON on one line. */
export function sseFrame(event: SchedulerEvent, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event.type}\ndata: ${stringifyJson(event)}\n\n`;
}

/** The open streams of this API process, so that a shutdown ends them instead of waiting for them. */
export class EventStreams {
  private readonly open = new Set<() => void>();

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const end of [...this.open]) end();
  }
}

export interface StreamSettings {
  frameworks: FrameworkService;
  streams: EventStreams;
  logger: Logger;
  /** How often the mailbox is read; default 500 ms. */
  pollMs?: number;
  heartbeatMs?: number;
  /** A stream whose mailbox cannot be read for this long ends (the reader reconnects, and hears why). */
  failAfterMs?: number;
}

const PAGE_LIMIT = 500;

/**
 * Serves one stream until the reader goes away, the framework unsubscribes or the process stops. The first page is
 * read before the headers go out, so an unknown framework (404) or another principal's (403) is a JSON error.
 */
export async function streamEvents(
  settings: StreamSettings,
  res: Response,
  frameworkId: string,
  from: { afterSeq?: number; principal?: string },
): Promise<void> {
  const { frameworks, logger } = settings;
  const read = (afterSeq: number | undefined) =>
    readPage(frameworks, frameworkId, { afterSeq, limit: PAGE_LIMIT, principal: from.principal });
  let rendered = await read(from.afterSeq);
  if (rendered.ended) throw new MaintError(ErrorCode.NOT_FOUND, `id: framework ${frameworkId} is not subscribed`, 'id');

  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Accel-Buffering', 'no'); // proxies (nginx) must not buffer a stream
  // The connection ends with the stream: one left idle would hold a shutting-down server open until keep-alive expires.
  res.setHeader('Connection', 'close');
  res.flushHeaders();

  let open = true;
  let wake: (() => void) | undefined;
  const end = () => {
    if (!open) return;
    open = false;
    wake?.();
    res.end();
  };
  const forget = settings.streams.add(end);
  res.on('close', end);

  const write = async (text: string): Promise<void> => {
    if (!open || res.write(text)) return;
    // A slow reader: wait for its socket rather than buffer its backlog in memory.
    await new Promise<void>((resolve) => {
      res.once('drain', resolve);
      res.once('close', resolve);
    });
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const heartbeatMs = settings.heartbeatMs ?? HEARTBEAT_INTERVAL_SECONDS * 1000;
  const heartbeat = setInterval(() => void write(sseFrame(HEARTBEAT_EVENT)), heartbeatMs);

  try {
    await write(sseFrame(subscribedEvent(frameworkId)));
    let failingSince: number | undefined;
    // More is waiting (the page was full): read on at once; otherwise poll.
    let more = rendered.lastSeq < rendered.page.lastSeq;
    for (;;) {
      for (const { seq, event, last } of rendered.events) await write(sseFrame(event, last ? seq : undefined));
      if (!open || rendered.ended) break;
      if (!more) await sleep(settings.pollMs ?? 500);
      if (!open) break;
      try {
        rendered = await read(rendered.lastSeq);
        more = rendered.lastSeq < rendered.page.lastSeq;
        failingSince = undefined;
      } catch (err) {
        // Unsubscribed (the mailbox is gone), or the id now belongs to another principal: the stream is over, and
        // the reader's reconnect hears why (404, 403).
        if (isNotFound(err) || (err instanceof MaintError && err.code === ErrorCode.FORBIDDEN)) break;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > (settings.failAfterMs ?? 10_000)) {
          logger.warn({ err, frameworkId }, 'ending an event stream: its mailbox cannot be read');
          break;
        }
        rendered = { ...rendered, events: [] };
        more = false;
      }
    }
  } finally {
    clearInterval(heartbeat);
    forget();
    end();
  }
}
