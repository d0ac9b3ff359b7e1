// The framework client library against real HTTP: a node:http server in the test plays maint's part (it records what
// the client sends and answers as the scheduler API does), and the webhook handler serves real POSTs.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { stringify } from 'lossless-json';
import type { SchedulerEvent } from '../../src/domain/scheduler-wire';
import { parseJson, stringifyJson } from '../../src/lib/json';
import { signatureHeaders } from '../../src/lib/signature';
import {
  SchedulerApiError,
  SchedulerClient,
  SchedulerEventError,
  SseParser,
  verifyWebhook,
  webhookHandler,
  type StreamedEvent,
  type StreamOptions,
  type WebhookDelivery,
} from '../../src/scheduler-client';

const NANOS = 1443830400000000001n; // beyond 2^53: a float would round it

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Route = (req: Recorded, res: http.ServerResponse) => void;

interface Server {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A real HTTP server; `route` answers each request after its body is read. */
async function serve(route: Route): Promise<Server> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(recorded);
      route(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: http.ServerResponse, status: number, value?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(value === undefined ? '' : stringifyJson(value));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const basic = (principal: string, secret: string) => `Basic ${Buffer.from(`${principal}:${secret}`).toString('base64')}`;

function inverseOffers(offerId: string): SchedulerEvent {
  return {
    type: 'INVERSE_OFFERS',
    inverse_offers: {
      inverse_offers: [
        {
          id: { value: offerId },
          framework_id: { value: 'fw' },
          agent_id: { value: 'agent-1' },
          unavailability: { start: { nanoseconds: NANOS }, duration: { nanoseconds: 3_600_000_000_000 } },
          resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }],
          machine_id: { hostname: 'sim-01', ip: '192.0.2.1' },
        },
      ],
    },
  };
}

describe('SchedulerClient calls', () => {
  let maint: Server;
  beforeAll(async () => {
    maint = await serve((req, res) => {
      if (req.method === 'POST' && req.url === '/api/v1/scheduler') {
        const call = parseJson(req.body) as { type: string; subscribe?: { framework_info: { id: { value: string } } } };
        if (call.type === 'SUBSCRIBE') {
          const id = call.subscribe?.framework_info.id.value;
          if (id === 'taken') return json(res, 403, { error: 'FORBIDDEN', message: 'framework taken is another principal\'s' });
          return json(res, 200, { type: 'SUBSCRIBED', subscribed: { framework_id: { value: id }, heartbeat_interval_seconds: 15 } });
        }
        return json(res, 202);
      }
      if (req.method === 'GET' && req.url.startsWith('/api/v1/scheduler/frameworks/fw-1/events')) {
        return json(res, 200, {
          framework_id: { value: 'fw-1' },
          events: [{ id: 8, event: inverseOffers('offer-8') }],
          last_event_id: 8,
          resync: false,
          outstanding: { inverse_offers: (inverseOffers('offer-8') as { inverse_offers: { inverse_offers: unknown[] } }).inverse_offers.inverse_offers },
        });
      }
      if (req.method === 'POST' && req.url === '/api/v1/scheduler/placement') {
        return json(res, 200, {
          ranking: [
            { machine_id: { hostname: 'b' }, rank: 1, class: 'NO_MAINTENANCE', reason: 'no maintenance scheduled' },
            {
              machine_id: { hostname: 'a', ip: '10.0.0.1' },
              rank: 2,
              class: 'DOWN_DURING_TASK',
              unavailability: { start: { nanoseconds: NANOS } },
              reason: 'down 10 minutes into the task',
            },
          ],
        });
      }
      json(res, 404, { error: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` });
    });
  });
  afterAll(() => maint.close());
  beforeEach(() => maint.requests.splice(0));

  const client = (frameworkId = 'fw', credentials?: { principal: string; secret: string }) =>
    new SchedulerClient({ maintUrl: `${maint.url}/`, frameworkId, ...(credentials ? { credentials } : {}) });
  const sent = () => maint.requests.map((r) => parseJson(r.body));

  test('SUBSCRIBE: the whole call, exactly; principal from the credentials; Basic auth on every request', async () => {
    const credentials = { principal: 'team-a', secret: 's3cret' };
    const subscribed = await client('fw', credentials).subscribe({
      name: 'my framework',
      partitionAware: true,
      webhook: { url: 'https://fw.example/hook', secret: 'whsec' },
      budget: { maxTasksKilled: 3, maxMachinesDown: 1 },
    });
    expect(subscribed).toEqual({ frameworkId: 'fw', heartbeatIntervalSeconds: 15 });
    expect(sent()).toEqual([
      {
        type: 'SUBSCRIBE',
        subscribe: {
          framework_info: {
            id: { value: 'fw' },
            name: 'my framework',
            principal: 'team-a',
            capabilities: [{ type: 'PARTITION_AWARE' }],
          },
          webhook: { url: 'https://fw.example/hook', secret: 'whsec' },
          disruption_budget: { max_tasks_killed: 3, max_machines_down: 1 },
        },
      },
    ]);
    expect(maint.requests[0].headers).toMatchObject({
      authorization: basic('team-a', 's3cret'),
      'content-type': 'application/json',
    });
  });

  test('SUBSCRIBE without options sends only the framework info, and no Authorization', async () => {
    await client().subscribe({ name: 'fw' });
    await client().subscribe({ name: 'fw', budget: { maxMachinesDown: 2 } });
    expect(sent()).toEqual([
      { type: 'SUBSCRIBE', subscribe: { framework_info: { id: { value: 'fw' }, name: 'fw' } } },
      {
        type: 'SUBSCRIBE',
        subscribe: { framework_info: { id: { value: 'fw' }, name: 'fw' }, disruption_budget: { max_machines_down: 2 } },
      },
    ]);
    expect(maint.requests[0].headers.authorization).toBeUndefined();
  });

  test('answers: no filters unless refuseSeconds is set (0 included); plan when given', async () => {
    const fw = client();
    await fw.acceptInverseOffers(['o-1', 'o-2']);
    await fw.acceptInverseOffers(['o-3'], { refuseSeconds: 3600, plan: 'MOVE' });
    await fw.declineInverseOffers(['o-4'], { refuseSeconds: 0, plan: 'WAIT' });
    await fw.declineInverseOffers(['o-5']);
    expect(sent()).toEqual([
      {
        type: 'ACCEPT_INVERSE_OFFERS',
        framework_id: { value: 'fw' },
        accept_inverse_offers: { inverse_offer_ids: [{ value: 'o-1' }, { value: 'o-2' }] },
      },
      {
        type: 'ACCEPT_INVERSE_OFFERS',
        framework_id: { value: 'fw' },
        accept_inverse_offers: { inverse_offer_ids: [{ value: 'o-3' }], filters: { refuse_seconds: 3600 }, plan: 'MOVE' },
      },
      {
        type: 'DECLINE_INVERSE_OFFERS',
        framework_id: { value: 'fw' },
        decline_inverse_offers: { inverse_offer_ids: [{ value: 'o-4' }], filters: { refuse_seconds: 0 }, plan: 'WAIT' },
      },
      {
        type: 'DECLINE_INVERSE_OFFERS',
        framework_id: { value: 'fw' },
        decline_inverse_offers: { inverse_offer_ids: [{ value: 'o-5' }] },
      },
    ]);
  });

  test('TEARDOWN', async () => {
    await client().teardown();
    expect(sent()).toEqual([{ type: 'TEARDOWN', framework_id: { value: 'fw' } }]);
  });

  test('a refusal is a SchedulerApiError with the status, the body and maint\'s error code', async () => {
    const error = await client('taken').subscribe({ name: 'x' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SchedulerApiError);
    expect(error).toMatchObject({ status: 403, error: 'FORBIDDEN' });
    expect((error as SchedulerApiError).body).toContain('another principal');
    expect((error as Error).message).toMatch(/SUBSCRIBE with 403/);
  });

  test('pull: GET the events page after a seq, nanoseconds exact', async () => {
    const page = await client('fw-1').pull(7, { limit: 50 });
    expect(maint.requests[0]).toMatchObject({
      method: 'GET',
      url: '/api/v1/scheduler/frameworks/fw-1/events?after=7&limit=50',
      headers: { accept: 'application/json' },
    });
    expect(page.last_event_id).toBe(8);
    expect(page.events[0]).toEqual({ id: 8, event: inverseOffers('offer-8') });
    const offer = page.outstanding.inverse_offers[0];
    expect(offer.unavailability.start.nanoseconds).toBe(NANOS);

    await client('fw-1').pull();
    expect(maint.requests[1].url).toBe('/api/v1/scheduler/frameworks/fw-1/events');
    await expect(client('nobody').pull()).rejects.toMatchObject({ status: 404, error: 'NOT_FOUND' });
  });

  test('placement: the machines and the runtime, exactly; the ranking as maint gives it', async () => {
    const placement = await client().placement([{ hostname: 'a', ip: '10.0.0.1' }, { hostname: 'b' }], 3600);
    expect(sent()).toEqual([{ machine_ids: [{ hostname: 'a', ip: '10.0.0.1' }, { hostname: 'b' }], runtime_seconds: 3600 }]);
    expect(placement.ranking.map((r) => [r.machine_id.hostname, r.class])).toEqual([
      ['b', 'NO_MAINTENANCE'],
      ['a', 'DOWN_DURING_TASK'],
    ]);
    expect(placement.ranking[1].unavailability?.start.nanoseconds).toBe(NANOS);
  });
});

describe('SchedulerClient: busy maint', () => {
  /** maint answering each POST from `answers` in turn (then 202), as the scheduler API does when Temporal is busy. */
  async function busyMaint(answers: { status: number; retryAfter?: string }[]) {
    const queue = [...answers];
    return serve((_req, res) => {
      const next = queue.shift();
      if (!next) return json(res, 202);
      res.writeHead(next.status, { 'content-type': 'application/json', ...(next.retryAfter === undefined ? {} : { 'retry-after': next.retryAfter }) });
      res.end(stringifyJson({ error: next.status === 503 ? 'UNAVAILABLE' : 'INVALID', message: 'Temporal is busy, try again' }));
    });
  }
  const clientOf = (server: Server, retry?: { attempts?: number; initialMs?: number; maxMs?: number }) =>
    new SchedulerClient({ maintUrl: server.url, frameworkId: 'fw', ...(retry ? { retry } : {}) });

  test('an answer refused as busy (503, 429) is sent again, the same call, until maint takes it', async () => {
    const maint = await busyMaint([{ status: 503, retryAfter: '0' }, { status: 429 }, { status: 503 }]);
    try {
      await clientOf(maint, { initialMs: 5, maxMs: 20 }).acceptInverseOffers(['o-1', 'o-2'], { plan: 'MOVE' });
      expect(maint.requests).toHaveLength(4);
      expect(new Set(maint.requests.map((r) => r.body)).size).toBe(1);
    } finally {
      await maint.close();
    }
  });

  test('Retry-After is honoured, capped at maxMs', async () => {
    const maint = await busyMaint([{ status: 503, retryAfter: '1' }]);
    try {
      const started = Date.now();
      await clientOf(maint, { initialMs: 1, maxMs: 300 }).declineInverseOffers(['o-1']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(900);
      expect(maint.requests).toHaveLength(2);
    } finally {
      await maint.close();
    }
  });

  test('busy every time: the last refusal is thrown after `attempts` calls', async () => {
    const maint = await busyMaint(Array.from({ length: 10 }, () => ({ status: 503 })));
    try {
      const error = await clientOf(maint, { attempts: 3, initialMs: 1, maxMs: 2 }).declineInverseOffers(['o-1']).catch((err: unknown) => err);
      expect(error).toMatchObject({ status: 503, error: 'UNAVAILABLE' });
      expect(maint.requests).toHaveLength(3);
    } finally {
      await maint.close();
    }
  });

  test("any other refusal is maint's last word, and subscribe and teardown are tried once", async () => {
    const maint = await busyMaint([{ status: 400 }, { status: 503 }, { status: 503 }]);
    try {
      const client = clientOf(maint, { initialMs: 1, maxMs: 2 });
      await expect(client.acceptInverseOffers(['o-1'])).rejects.toMatchObject({ status: 400 });
      await expect(client.subscribe({ name: 'x' })).rejects.toMatchObject({ status: 503 });
      await expect(client.teardown()).rejects.toMatchObject({ status: 503 });
      expect(maint.requests).toHaveLength(3);
    } finally {
      await maint.close();
    }
  });

  test('maint not reached at all: tried again, then the network error is thrown', async () => {
    const gone = await serve(() => undefined);
    await gone.close(); // nothing listens on its port any more
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const client = new SchedulerClient({ maintUrl: gone.url, frameworkId: 'fw', fetchImpl: counting, retry: { attempts: 2, initialMs: 1, maxMs: 2 } });
    await expect(client.declineInverseOffers(['o-1'])).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(calls).toBe(2);
  });
});

describe('SseParser (text/event-stream)', () => {
  test('multi-line data, comments, fields without a space or a value, and every line ending', () => {
    const parser = new SseParser();
    const text =
      ': a comment\n' +
      'id: 1\nevent: UPDATE\ndata: {"a":\ndata:1}\n\n' + // two data lines, the second without a space
      'data: x\r\ndata\r\n\r\n' + // CRLF; a field without a colon is an empty value
      'id: 2\revent: E\rdata: y\r\r'; // CR alone
    expect(parser.push(text)).toEqual([
      { type: 'UPDATE', data: '{"a":\n1}', id: '1', lastEventId: '1' },
      { type: 'message', data: 'x\n', lastEventId: '1' },
      { type: 'E', data: 'y', id: '2', lastEventId: '2' },
    ]);
  });

  test('messages split anywhere across chunks, CR LF split included; a leading BOM is dropped', () => {
    const text = '\uFEFFid: 5\r\ndata: {"type":"HEARTBEAT"}\r\n\r\nid: 6\r\ndata: second\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const messages = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(messages.map((m) => [m.id, m.data])).toEqual([
        ['5', '{"type":"HEARTBEAT"}'],
        ['6', 'second'],
      ]);
    }
  });

  test('no data, no message; an id with NUL is ignored; retry takes digits only; the last id carries on', () => {
    const parser = new SseParser('3');
    expect(parser.push('id: 4\n\nretry: 1500\nretry: soon\n\nid: a\0b\ndata: z\n\n')).toEqual([
      { type: 'message', data: 'z', lastEventId: '4' },
    ]);
    expect(parser.retryMs).toBe(1500);
    expect(parser.push('data: unfinished')).toEqual([]); // waits for its blank line
  });
});

describe('SchedulerClient.stream', () => {
  /** One SSE message; the data is pretty-printed JSON, one `data:` line per JSON line, as a server may send it. */
  const sse = (e: SchedulerEvent, id?: number) =>
    `${id === undefined ? '' : `id: ${id}\n`}event: ${e.type}\n` +
    `${String(stringify(e, undefined, 2)).split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`;
  const subscribed: SchedulerEvent = {
    type: 'SUBSCRIBED',
    subscribed: { framework_id: { value: 'fw' }, heartbeat_interval_seconds: 15 },
  };
  const streamHead = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });

  /** Reads until `count` events (then aborts) and returns them; the iteration must end by itself after the abort. */
  async function collect(client: SchedulerClient, count: number, options: StreamOptions = {}): Promise<StreamedEvent[]> {
    const controller = new AbortController();
    const seen: StreamedEvent[] = [];
    for await (const streamed of client.stream({ retryMs: 10, ...options, signal: controller.signal })) {
      seen.push(streamed);
      if (seen.length === count) controller.abort();
    }
    return seen;
  }
  const fwClient = (url: string) =>
    new SchedulerClient({ maintUrl: url, frameworkId: 'fw', credentials: { principal: 'p', secret: 's' } });

  test('events in order with their ids; a dropped connection resumes with Last-Event-ID, nothing lost or repeated', async () => {
    let connection = 0;
    const maint = await serve((_req, res) => {
      connection++;
      streamHead(res);
      if (connection === 1) {
        res.write(sse(subscribed));
        res.write(': a comment, as a proxy keep-alive\n\n');
        res.write(sse(inverseOffers('o-1'), 1));
        res.write(sse({ type: 'HEARTBEAT' }));
        res.end(sse(rescindEvent('o-1'), 2) + 'id: 3\ndata: {"type":"RESC'); // dropped mid-event: 3 is not taken
        return;
      }
      res.write(sse(subscribed));
      res.write(sse(rescindEvent('o-3'), 3)); // and stays open: the test aborts
    });
    try {
      const reconnects: unknown[] = [];
      const seen = await collect(fwClient(maint.url), 6, { after: 0, onReconnect: (err) => reconnects.push(err) });
      expect(seen).toEqual([
        { event: subscribed },
        { id: 1, event: inverseOffers('o-1') }, // nanoseconds exact through the stream
        { event: { type: 'HEARTBEAT' } },
        { id: 2, event: rescindEvent('o-1') },
        { event: subscribed },
        { id: 3, event: rescindEvent('o-3') },
      ]);
      expect(reconnects).toHaveLength(1);
      const [first, second] = maint.requests;
      expect(first.url).toBe('/api/v1/scheduler/frameworks/fw/events?after=0');
      expect(first.headers).toMatchObject({ accept: 'text/event-stream', authorization: basic('p', 's') });
      expect(first.headers['last-event-id']).toBeUndefined();
      expect(second.url).toBe('/api/v1/scheduler/frameworks/fw/events');
      expect(second.headers).toMatchObject({ 'last-event-id': '2', authorization: basic('p', 's') });
    } finally {
      await maint.close();
    }
  });

  test('a 5xx is retried with backoff; a 4xx ends the stream with a SchedulerApiError', async () => {
    let connection = 0;
    const maint = await serve((_req, res) => {
      connection++;
      if (connection === 1) return json(res, 503, { error: 'UNAVAILABLE', message: 'Temporal is restarting' });
      if (connection === 2) {
        streamHead(res);
        return void res.end(sse(rescindEvent('o-1'), 4));
      }
      json(res, 403, { error: 'FORBIDDEN', message: 'framework fw belongs to another principal' });
    });
    try {
      const reconnects: unknown[] = [];
      const seen: StreamedEvent[] = [];
      const error = await (async () => {
        for await (const streamed of fwClient(maint.url).stream({ retryMs: 10, onReconnect: (e) => reconnects.push(e) })) {
          seen.push(streamed);
        }
      })().catch((err: unknown) => err);
      expect(seen).toEqual([{ id: 4, event: rescindEvent('o-1') }]);
      expect(String(reconnects[0])).toMatch(/503/);
      expect(String(reconnects[1])).toMatch(/ended/);
      expect(error).toBeInstanceOf(SchedulerApiError);
      expect(error).toMatchObject({ status: 403, error: 'FORBIDDEN' });
      expect(maint.requests[2].headers['last-event-id']).toBe('4');
    } finally {
      await maint.close();
    }
  });

  test('a silent connection is taken for dead and replaced', async () => {
    let connection = 0;
    const maint = await serve((_req, res) => {
      connection++;
      streamHead(res);
      res.write(sse(subscribed));
      if (connection > 1) res.write(sse(rescindEvent('o-9'), 9)); // the first says nothing more
    });
    try {
      const reconnects: unknown[] = [];
      const controller = new AbortController();
      const ids: (number | undefined)[] = [];
      const options = { idleTimeoutMs: 300, retryMs: 10, signal: controller.signal, onReconnect: (e: unknown) => reconnects.push(e) };
      for await (const { id } of fwClient(maint.url).stream(options)) {
        ids.push(id);
        if (id === 9) controller.abort();
      }
      expect(ids.at(-2)).toBeUndefined(); // the second connection's SUBSCRIBED
      expect(String(reconnects[0])).toMatch(/no data for 300 ms/);
      expect(connection).toBe(reconnects.length + 1);
    } finally {
      await maint.close();
    }
  });

  test('aborting ends the iteration, while connected or while waiting to reconnect', async () => {
    const maint = await serve((req, res) => {
      if (req.url.includes('down')) return json(res, 502, {});
      streamHead(res);
      res.write(sse(subscribed));
    });
    try {
      // Connected, the stream silent after its first event.
      const connected = new AbortController();
      const seen: StreamedEvent[] = [];
      for await (const streamed of fwClient(maint.url).stream({ retryMs: 60_000, signal: connected.signal })) {
        seen.push(streamed);
        setTimeout(() => connected.abort(), 50);
      }
      expect(seen).toEqual([{ event: subscribed }]);

      // Refused with a 502, waiting a minute before trying again.
      const waiting = new AbortController();
      const started = Date.now();
      setTimeout(() => waiting.abort(), 100);
      const down = new SchedulerClient({ maintUrl: maint.url, frameworkId: 'down' });
      for await (const streamed of down.stream({ retryMs: 60_000, signal: waiting.signal })) seen.push(streamed);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(seen).toHaveLength(1);
    } finally {
      await maint.close();
    }
  });

  test('a message that is not an event ends the stream with a SchedulerEventError', async () => {
    const maint = await serve((_req, res) => {
      streamHead(res);
      res.write('id: 1\ndata: {"type":"UPDATE","update":{}}\n\n');
    });
    try {
      await expect(collect(fwClient(maint.url), 5)).rejects.toThrow(SchedulerEventError);
    } finally {
      await maint.close();
    }
  });
});

describe('verifyWebhook', () => {
  test('the signed string is "<timestamp>.<body>", HMAC-SHA256 with the secret, hex, scheme v1', () => {
    const body = stringifyJson(inverseOffers('o-1'));
    const timestamp = 1_700_000_000;
    const hex = createHmac('sha256', 'whsec').update(`${timestamp}.${body}`).digest('hex');
    const headers = { 'Maint-Timestamp': String(timestamp), 'Maint-Signature': `v1=${hex}` };
    expect(verifyWebhook('whsec', headers, body, { nowMs: timestamp * 1000 })).toEqual({ ok: true });
    expect(verifyWebhook('whsec', new Headers(headers), body, { nowMs: timestamp * 1000 + 299_000 })).toEqual({ ok: true });
    expect(verifyWebhook('whsec', headers, body, { nowMs: timestamp * 1000 + 301_000 }).ok).toBe(false);
    expect(verifyWebhook('other', headers, body, { nowMs: timestamp * 1000 }).ok).toBe(false);
    expect(verifyWebhook('whsec', headers, `${body} `, { nowMs: timestamp * 1000 }).ok).toBe(false);
  });
});

describe('webhookHandler', () => {
  const SECRET = 'whsec_test';
  let received: { event: SchedulerEvent; delivery: WebhookDelivery }[];
  let duplicates: string[];
  let refused: [number, string][];
  let fail: boolean;
  let hookUrl: string;
  let server: http.Server;

  beforeAll(async () => {
    server = http.createServer(
      webhookHandler({
        secret: SECRET,
        onEvent: async (event, delivery) => {
          if (fail) throw new Error('the framework is not ready');
          await sleep(30); // slow enough for a retry to overlap
          received.push({ event, delivery });
        },
        onDuplicate: (_event, delivery) => duplicates.push(delivery.idempotencyKey ?? ''),
        onRefused: (status, reason) => refused.push([status, reason]),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  beforeEach(() => {
    received = [];
    duplicates = [];
    refused = [];
    fail = false;
  });

  async function post(body: string, headers: Record<string, string>) {
    const response = await fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const signed = (body: string, key: string, secret = SECRET, nowMs = Date.now()) => ({
    ...signatureHeaders(secret, body, nowMs),
    'Idempotency-Key': key,
    'Maint-Event-Id': key.split('/')[1] ?? '',
  });

  test('a correctly signed delivery reaches onEvent once, exact; its repeat is acknowledged without it', async () => {
    const body = stringifyJson(inverseOffers('o-1'));
    expect(await post(body, signed(body, 'fw/1/0'))).toEqual({ status: 200, body: {} });
    expect(received).toHaveLength(1);
    expect(received[0].event).toEqual(inverseOffers('o-1'));
    expect(received[0].delivery).toEqual({ idempotencyKey: 'fw/1/0', eventId: 1, rawBody: body });

    // maint retries (its answer was lost): signed again, later, same key.
    expect(await post(body, signed(body, 'fw/1/0', SECRET, Date.now() + 1000))).toEqual({
      status: 200,
      body: { duplicate: true },
    });
    expect(received).toHaveLength(1);
    expect(duplicates).toEqual(['fw/1/0']);
  });

  test('a retry overlapping the first attempt waits for it and is not applied twice', async () => {
    const body = stringifyJson(rescindEvent('o-2'));
    const [first, second] = await Promise.all([post(body, signed(body, 'fw/2/0')), post(body, signed(body, 'fw/2/0'))]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(received).toHaveLength(1);
    expect(duplicates).toEqual(['fw/2/0']);
  });

  test('wrong secret, stale or future timestamp, tampered body, missing headers: 401, onEvent never called', async () => {
    const body = stringifyJson(rescindEvent('o-3'));
    const tampered = body.replace('o-3', 'o-4');
    const cases: Record<string, string>[] = [
      signed(body, 'fw/3/0', 'not-the-secret'),
      signed(body, 'fw/3/0', SECRET, Date.now() - 301_000),
      // Timestamps are whole seconds, rounded down: +301 s could read as 300.00x s ahead, within the tolerance a few
      // milliseconds later (a flake seen under load); +302 s is over it whatever the rounding.
      signed(body, 'fw/3/0', SECRET, Date.now() + 302_000),
      { 'Idempotency-Key': 'fw/3/0' },
      { ...signed(body, 'fw/3/0'), 'Maint-Signature': 'v1=' },
    ];
    for (const headers of cases) {
      const answer = await post(body, headers);
      expect(answer).toMatchObject({ status: 401, body: { error: 'UNAUTHENTICATED' } });
    }
    expect(await post(tampered, signed(body, 'fw/3/0'))).toMatchObject({ status: 401 });
    expect(received).toEqual([]);
    expect(refused.map(([status]) => status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(refused[1][1]).toMatch(/away from now/);
    expect(refused[5][1]).toMatch(/does not match/);
    // A refused key was not remembered: the genuine delivery still goes through.
    expect((await post(body, signed(body, 'fw/3/0'))).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  test('a signed body that is not an event: 400 naming the field', async () => {
    for (const [body, field] of [
      ['{"type":', /not JSON/],
      ['[1]', /not a scheduler event/],
      ['{"type":"INVERSE_OFFERS","inverse_offers":{"inverse_offers":[{"id":{"value":""}}]}}', /inverse_offers\.inverse_offers\.0\.id\.value/],
    ] as const) {
      const answer = await post(body, signed(body, 'fw/4/0'));
      expect(answer).toMatchObject({ status: 400, body: { error: 'INVALID' } });
      expect(answer.body.message).toMatch(field);
    }
    // A type this client does not know (a later maint) is passed on.
    const later = '{"type":"SOMETHING_NEW","something_new":{}}';
    expect((await post(later, signed(later, 'fw/5/0'))).status).toBe(200);
    expect(received.map((r) => r.event.type)).toEqual(['SOMETHING_NEW']);
  });

  test('onEvent throwing is a 500 and the key is not remembered: maint\'s retry is applied', async () => {
    const body = stringifyJson(rescindEvent('o-6'));
    fail = true;
    expect(await post(body, signed(body, 'fw/6/0'))).toMatchObject({ status: 500, body: { message: /not ready/ } });
    fail = false;
    expect(await post(body, signed(body, 'fw/6/0'))).toEqual({ status: 200, body: {} });
    expect(received).toHaveLength(1);
    expect(duplicates).toEqual([]);
  });

  test('only POST', async () => {
    const response = await fetch(hookUrl);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

function rescindEvent(id: string): SchedulerEvent {
  return { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: id } } };
}

test('webhookHandler in express: behind express.raw or express.text it verifies; behind express.json it says why it cannot', async () => {
  const secret = 'whsec_express';
  const seen: string[] = [];
  const handler = webhookHandler({ secret, onEvent: (event) => void seen.push(event.type) });
  const app = express();
  app.post('/raw', express.raw({ type: () => true }), handler);
  app.post('/text', express.text({ type: () => true }), handler);
  app.post('/json', express.json(), handler);
  app.post('/bare', handler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Bytes beyond ASCII and an int64: the signature is over the exact text.
    const body = '{"type":"RESCIND_INVERSE_OFFER","rescind_inverse_offer":{"inverse_offer_id":{"value":"é-1443830400000000001"}}}';
    const post = (path: string, key: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': key, ...signatureHeaders(secret, body) },
        body,
      });
    expect((await post('/raw', 'k-1')).status).toBe(200);
    expect((await post('/text', 'k-2')).status).toBe(200);
    expect((await post('/bare', 'k-3')).status).toBe(200);
    const parsed = await post('/json', 'k-4');
    expect(parsed.status).toBe(500);
    expect(((await parsed.json()) as { message: string }).message).toMatch(/before express\.json/);
    expect(seen).toEqual(['RESCIND_INVERSE_OFFER', 'RESCIND_INVERSE_OFFER', 'RESCIND_INVERSE_OFFER']);

    const big = 'x'.repeat(2 * 1024 * 1024);
    const tooLarge = await fetch(`${base}/bare`, { method: 'POST', headers: signatureHeaders(secret, big), body: big });
    expect(tooLarge.status).toBe(413);
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
});
