// The simulated cluster as its own HTTP process: SimDriver (maint's side) reads and drains the fleet through it, tests
// launch tasks and read statistics, and maint POSTs scheduler events to the simulated frameworks' webhooks. It keeps
// running whatever happens to maint, like a real cluster.
//
// Bodies are read as text and parsed with parseJson: events carry int64 nanoseconds that JSON.parse would round.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import { z } from 'zod';
import { ErrorCode, MaintError } from '../domain/errors';
import { parseJson } from '../lib/json';
import { sendJson } from '../lib/json-response';
import { Fleet, type Layout } from './fleet';
import { DEFAULT_FRAMEWORKS, SimFramework, silentLogger, type FrameworkSpec, type SimLogger } from './frameworks';

export interface SimOptions {
  /** Default 8081; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The sim's URL as maint reaches it (webhooks); default the URL it listens on. */
  publicUrl?: string;
  /** Default 20. */
  machines?: number;
  /** Default http://127.0.0.1:8080. */
  maintUrl?: string;
  /** Default: mover, decliner and silent, each with the id of its behaviour. */
  frameworks?: FrameworkSpec[];
  /** Default 1000 ms. */
  taskGracePeriodMs?: number;
  /** Default: the fleet's defaultLayout. */
  layout?: Layout;
  /** Default: silent. Pass a pino logger to see subscriptions and failed answers. */
  logger?: SimLogger;
  /** How long a framework waits before subscribing again; default 1000 ms. */
  subscribeRetryMs?: number;
  /**
   * maint's credentials (principal → secret, as loadCredentials reads MAINT_CREDENTIALS): a framework without its own
   * credentials authenticates as the principal named after it, when there is one.
   */
  credentials?: ReadonlyMap<string, string>;
}

export interface RunningSim {
  url: string;
  port: number;
  fleet: Fleet;
  close(): Promise<void>;
}

const MachineIdBody = z.object({ hostname: z.string().min(1).optional(), ip: z.string().min(1).optional() });
const KillBody = z.object({
  maxGracePeriodMs: z.number().nonnegative().optional(),
  idempotencyKey: z.string().min(1),
});
const KeyBody = z.object({ idempotencyKey: z.string().min(1) });
const UnreachableBody = z.object({ machine: z.string().min(1), forMs: z.number().int().positive() });
const LaunchBody = z.object({
  frameworkId: z.string().min(1),
  machine: z.union([z.string().min(1), MachineIdBody]),
  name: z.string().min(1).optional(),
  gracePeriodMs: z.number().nonnegative().optional(),
  volumes: z.array(z.string()).optional(),
  resources: z.array(z.object({ name: z.string().min(1), scalar: z.number() })).optional(),
});

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
};

/** The sim's HTTP API over a fleet and its frameworks. Does not listen, and does not subscribe the frameworks. */
export function createSimServer({ fleet, frameworks }: { fleet: Fleet; frameworks: SimFramework[] }): Express {
  const app = express();
  app.use(express.text({ type: () => true, limit: '1mb' }));

  app.get('/healthz', (_req, res) => sendJson(res, 200, { ok: true }));

  app.get('/machines', (_req, res) => sendJson(res, 200, fleet.machines()));
  // A cluster API failing for some machines a while (POST /faults/unreachable, by the name maint asks with): their
  // looks answer 503. Tests and recorded histories use it for the path a look takes when the cluster does not answer.
  const unreachableUntil = new Map<string, number>();
  app.post('/faults/unreachable', (req, res) => {
    const { machine, forMs } = UnreachableBody.parse(readBody(req));
    unreachableUntil.set(machine, Date.now() + forMs);
    sendJson(res, 200, {});
  });
  app.get('/machines/:machine', (req, res) => {
    if ((unreachableUntil.get(req.params.machine) ?? 0) > Date.now()) {
      throw new MaintError(ErrorCode.UNAVAILABLE, `machine ${req.params.machine} is unreachable (a simulated fault)`);
    }
    sendJson(res, 200, fleet.describe(req.params.machine));
  });
  app.post('/machines/:machine/kill', (req, res) => {
    const body = KillBody.parse(readBody(req));
    sendJson(res, 200, fleet.killTasks({ machine: req.params.machine, ...body }));
  });
  app.post('/machines/:machine/down', (req, res) => {
    fleet.downMachine(req.params.machine, KeyBody.parse(readBody(req)).idempotencyKey);
    sendJson(res, 200, {});
  });
  app.post('/machines/:machine/up', (req, res) => {
    fleet.upMachine(req.params.machine, KeyBody.parse(readBody(req)).idempotencyKey);
    sendJson(res, 200, {});
  });

  app.get('/agents', (_req, res) => sendJson(res, 200, fleet.agents()));
  app.get('/agents/:agentId', (req, res) => sendJson(res, 200, fleet.describeAgent(req.params.agentId)));
  app.post('/agents/:agentId/deactivate', (req, res) => {
    fleet.deactivateAgent(req.params.agentId, KeyBody.parse(readBody(req)).idempotencyKey);
    sendJson(res, 200, {});
  });
  app.post('/agents/:agentId/reactivate', (req, res) => {
    fleet.reactivateAgent(req.params.agentId, KeyBody.parse(readBody(req)).idempotencyKey);
    sendJson(res, 200, {});
  });
  app.post('/agents/:agentId/drain', (req, res) => {
    const body = KillBody.parse(readBody(req));
    sendJson(res, 200, fleet.drainAgent({ agentId: req.params.agentId, ...body }));
  });
  app.post('/agents/:agentId/gone', (req, res) => {
    fleet.markAgentGone(req.params.agentId, KeyBody.parse(readBody(req)).idempotencyKey);
    sendJson(res, 200, {});
  });

  app.get('/tasks', (req, res) => {
    const frameworkId = typeof req.query.frameworkId === 'string' ? req.query.frameworkId : undefined;
    sendJson(res, 200, fleet.tasks(frameworkId));
  });
  app.post('/tasks', (req, res) => sendJson(res, 201, fleet.launchTask(LaunchBody.parse(readBody(req)))));
  // The task's framework stops it (as if it finished or moved): not a kill by maint.
  app.delete('/tasks/:taskId', (req, res) => {
    const task = fleet.tasks().find((t) => t.taskId === req.params.taskId);
    if (!task) throw new MaintError(ErrorCode.NOT_FOUND, `no task ${req.params.taskId}`, 'taskId');
    fleet.frameworkKill(task.frameworkId, task.taskId);
    sendJson(res, 200, {});
  });

  app.get('/stats', (_req, res) => sendJson(res, 200, fleet.stats()));

  app.get('/frameworks', (_req, res) => sendJson(res, 200, frameworks.map((f) => f.view())));
  app.post('/frameworks/:id/webhook', (req, res) => {
    const framework = frameworks.find((f) => f.id === req.params.id);
    if (!framework) throw new MaintError(ErrorCode.NOT_FOUND, `no simulated framework ${req.params.id}`, 'id');
    // The body reaches the framework as the text received (express.text above): its signature covers those bytes.
    return framework.webhook(req, res);
  });

  app.use((req, res) => {
    sendJson(res, 404, { error: ErrorCode.NOT_FOUND, message: `no route ${req.method} ${req.path}` });
  });
  app.use(jsonErrors);
  return app;
}

/** Starts the sim: listens, then subscribes every simulated framework to maint in the background. */
export async function startSim(options: SimOptions = {}): Promise<RunningSim> {
  const logger = options.logger ?? silentLogger;
  const specs = options.frameworks ?? DEFAULT_FRAMEWORKS;
  const duplicateId = specs.find((spec, i) => specs.findIndex((other) => other.id === spec.id) !== i)?.id;
  if (duplicateId !== undefined) throw new Error(`two simulated frameworks are named ${duplicateId}`);

  const { machines, taskGracePeriodMs, layout } = options;
  const fleet = new Fleet({ machines, taskGracePeriodMs, layout });
  const maintUrl = options.maintUrl ?? 'http://127.0.0.1:8080';
  const frameworks = specs.map((spec) => {
    const secret = spec.credentials ? undefined : options.credentials?.get(spec.id);
    const withCredentials = secret === undefined ? spec : { ...spec, credentials: { principal: spec.id, secret } };
    return new SimFramework(withCredentials, { fleet, maintUrl, logger });
  });
  const server = http.createServer(createSimServer({ fleet, frameworks }));

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8081, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');
  for (const framework of frameworks) {
    const webhookUrl = `${publicUrl}/frameworks/${encodeURIComponent(framework.id)}/webhook`;
    framework.subscribe(webhookUrl, options.subscribeRetryMs ?? 1000);
  }
  logger.info({ url, publicUrl, maintUrl, machines: fleet.stats().machines }, 'simulated cluster listening');

  return {
    url,
    port,
    fleet,
    close: async () => {
      for (const framework of frameworks) framework.stop();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // keep-alive connections would hold close() open
      });
    },
  };
}

/** A JSON body; an empty one reads as {} so that body-less POSTs fail validation with a clear message. */
function readBody(req: Request): unknown {
  const text = typeof req.body === 'string' ? req.body : '';
  return text.trim() === '' ? {} : parseJson(text);
}


const jsonErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const { status, error, message } = toHttpError(err);
  sendJson(res, status, { error, message });
};

function toHttpError(err: unknown): { status: number; error: string; message: string } {
  if (err instanceof MaintError) return { status: HTTP_STATUS[err.code], error: err.code, message: err.message };
  if (err instanceof z.ZodError) return { status: 400, error: ErrorCode.INVALID, message: z.prettifyError(err) };
  if (err instanceof SyntaxError) {
    return { status: 400, error: ErrorCode.INVALID, message: `body is not JSON: ${err.message}` };
  }
  // body-parser's own refusals (too large, bad charset) carry their 4xx status.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, error: ErrorCode.INVALID, message: String((err as Error).message) };
  }
  return { status: 500, error: 'INTERNAL', message: String(err) };
}

/** How a client reaches a listening host: a wildcard address is reached on loopback, IPv6 goes in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
