// A framework outside the simulator, for integration tests: a real webhook server in the test process that checks
// every delivery's signature the way a framework must, and maint's framework client for everything else.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseJson } from '../../src/lib/json';
import { verifySignature } from '../../src/lib/signature';
import { EVENT_ID_HEADER, IDEMPOTENCY_HEADER, type SchedulerEvent } from '../../src/domain/scheduler-wire';
import { SchedulerClient } from '../../src/scheduler-client';

export interface Delivery {
  seq: number;
  idempotencyKey: string;
  event: SchedulerEvent;
  /** The signature checked out against the framework's own secret. */
  verified: boolean;
  atMs: number;
}

export interface TestFrameworkOptions {
  frameworkId: string;
  maintUrl: string;
  /** HTTP Basic credentials when maint requires them. */
  credentials?: { principal: string; secret: string };
  /** The key the webhook server checks signatures with; default: the secret given at subscription. */
  verifyWith?: string;
}

export class TestFramework {
  readonly secret = randomBytes(24).toString('hex');
  readonly deliveries: Delivery[] = [];
  readonly rejected: { reason: string; idempotencyKey?: string }[] = [];
  readonly client: SchedulerClient;
  private server?: Server;
  private port = 0;

  constructor(private readonly options: TestFrameworkOptions) {
    this.client = new SchedulerClient({
      maintUrl: options.maintUrl,
      frameworkId: options.frameworkId,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  }

  get id(): string {
    return this.options.frameworkId;
  }

  get webhookUrl(): string {
    return `http://127.0.0.1:${this.port}/events`;
  }

  /** Starts (or restarts, on the same port) the webhook server. */
  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const verdict = verifySignature(this.options.verifyWith ?? this.secret, req.headers, body);
        const idempotencyKey = header(req, IDEMPOTENCY_HEADER);
        if (!verdict.ok) {
          this.rejected.push({ reason: verdict.reason, ...(idempotencyKey ? { idempotencyKey } : {}) });
          res.writeHead(401).end(verdict.reason);
          return;
        }
        this.deliveries.push({
          seq: Number(header(req, EVENT_ID_HEADER)),
          idempotencyKey: idempotencyKey ?? '',
          event: parseJson(body) as SchedulerEvent,
          verified: true,
          atMs: Date.now(),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Takes the webhook away: connections are refused until listen() again. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async subscribe(extra: { partitionAware?: boolean; budget?: { maxTasksKilled?: number; maxMachinesDown?: number } } = {}) {
    return this.client.subscribe({
      name: this.id,
      ...(this.options.credentials ? { principal: this.options.credentials.principal } : {}),
      webhook: { url: this.webhookUrl, secret: this.secret },
      ...extra,
    });
  }

  /** Every event of a type, first delivery of each idempotency key only (a framework honours the key). */
  events<T extends SchedulerEvent['type']>(type: T): Extract<SchedulerEvent, { type: T }>[] {
    const seen = new Set<string>();
    const out: Extract<SchedulerEvent, { type: T }>[] = [];
    for (const d of this.deliveries) {
      if (seen.has(d.idempotencyKey)) continue;
      seen.add(d.idempotencyKey);
      if (d.event.type === type) out.push(d.event as Extract<SchedulerEvent, { type: T }>);
    }
    return out;
  }

  /** Inverse offers received for an agent, in order: [offer id, …]. */
  offersFor(agentId: string): string[] {
    return this.events('INVERSE_OFFERS')
      .flatMap((e) => e.inverse_offers.inverse_offers)
      .filter((o) => o.agent_id.value === agentId)
      .map((o) => o.id.value);
  }

  rescinded(): string[] {
    return this.events('RESCIND_INVERSE_OFFER').map((e) => e.rescind_inverse_offer.inverse_offer_id.value);
  }

  async stop(): Promise<void> {
    await this.close();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
