// /openapi.json against the app itself: every route the Express app serves is in the document and nothing else is;
// the document is well-formed OpenAPI 3.1 (every $ref resolves, every schema compiles as JSON Schema 2020-12, every
// operation answers something); the Mesos bodies it declares agree with the parser that reads them.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createApp, type AppDeps } from '../../src/api/app';
import { openApiDocument } from '../../src/api/openapi/document';
import { messageSchema } from '../../src/api/openapi/proto-schema';
import { CallDescriptor, parseMasterCall, parseSchedule, ScheduleDescriptor } from '../../src/mesos/messages';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every route of the app as "METHOD /path" (OpenAPI templating); `.all()` routes are returned as "ALL /path". */
function routesOf(stack: Layer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      const methods = Object.keys(layer.route.methods).map((m) => (m === '_all' ? 'ALL' : m.toUpperCase()));
      for (const p of paths) for (const m of methods) out.push(`${m} ${(prefix + p).replace(/:(\w+)/g, '{$1}')}`);
    } else if (layer.handle.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...routesOf(layer.handle.stack, prefix + mount));
    }
  }
  return out;
}

// The app's routes only: no handler runs in the walk, and the probe below only reaches method checks.
const unused = {} as never;
const deps: AppDeps = {
  client: unused,
  taskQueue: 'maint',
  windows: unused,
  machines: unused,
  frameworks: unused,
  maintenance: unused,
  agents: unused,
  logger: pino({ level: 'silent' }),
  security: {},
  metrics: new Registry(),
};

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Operation = {
  parameters?: { name: string; in: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security?: Record<string, string[]>[];
};
const doc = openApiDocument() as Doc;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function documented(): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k) => METHODS.includes(k))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

describe('the document covers the app', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = createApp(deps);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** The app's routes with `.all()` ones resolved through their 405's Allow header (HEAD is GET's, never listed). */
  async function served(): Promise<string[]> {
    const app = createApp(deps) as unknown as { router: { stack: Layer[] } };
    const out = new Set<string>();
    for (const entry of routesOf(app.router.stack)) {
      const [method, path] = entry.split(' ');
      if (method === 'HEAD') continue;
      if (method !== 'ALL') {
        out.add(entry);
        continue;
      }
      const sample = path.replace(/\{\w+\}/g, 'x');
      const res = await fetch(base + sample, { method: 'PATCH' });
      const allow = res.headers.get('allow');
      if (res.status !== 405 || allow === null) {
        // A catch-all that is not a method check: the methods its siblings name already cover it.
        continue;
      }
      for (const m of allow.split(/,\s*/)) if (m !== 'HEAD') out.add(`${m} ${path}`);
    }
    return [...out].sort();
  }

  test('every route the app serves is documented, and every documented operation is served', async () => {
    const routes = await served();
    expect(routes.length).toBeGreaterThan(20);
    expect(documented().sort()).toEqual(routes);
  });

  test('a documented path asked with another method is a 405 naming the methods (also /healthz)', async () => {
    for (const [path, allow] of [['/healthz', 'GET'], ['/api/v1/windows', 'POST, GET'], ['/master/machine/down', 'POST']]) {
      const res = await fetch(base + path, { method: 'DELETE' });
      expect({ path, status: res.status, allow: res.headers.get('allow') }).toEqual({ path, status: 405, allow });
    }
  });

  test('GET /openapi.json serves the document, without credentials', async () => {
    const app = createApp({ ...deps, security: { credentials: new Map([['ops', 'secret']]) } as never });
    const s = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => s.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      const res = await fetch(`${url}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
      expect((await fetch(`${url}/api/v1/windows`)).status).toBe(401); // while the rest asks for credentials
      const post = await fetch(`${url}/openapi.json`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET');
    } finally {
      await new Promise((resolve) => s.close(resolve));
    }
  });
});

describe('the document is well-formed OpenAPI 3.1', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // Components as one schema resource, so "#/components/schemas/X" refs resolve as they do in the document.
  ajv.addSchema({ $id: 'doc', components: { schemas: doc.components.schemas } });
  const compile = (schema: unknown) =>
    ajv.compile({ $id: undefined, ...JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"doc#/components')) });

  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, op })),
  );

  test('version, security scheme, and a description on every response', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.basicAuth).toMatchObject({ type: 'http', scheme: 'basic' });
    for (const { op } of operations) {
      for (const response of Object.values(op.responses)) expect(response.description).toEqual(expect.any(String));
    }
  });

  test.each(operations.map((o) => [o.name, o] as const))('%s: answers, parameters, security, schemas', (_name, { path, op }) => {
    const statuses = Object.keys(op.responses);
    expect(statuses.some((s) => /^2\d\d$/.test(s))).toBe(true);
    // Every template parameter is declared as a required path parameter.
    for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
      expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
    }
    for (const requirement of op.security ?? []) {
      for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes).toHaveProperty(scheme);
    }
    // Every schema compiles (so every $ref resolves) as JSON Schema 2020-12.
    const schemas = [
      ...(op.parameters ?? []).map((p) => p.schema),
      ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
      ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
    ];
    for (const schema of schemas) expect(() => compile(schema)).not.toThrow();
  });

  test('operator endpoints declare Basic authentication and a 401; /healthz, /metrics and /openapi.json are open', () => {
    for (const { name, path, op } of operations) {
      if (path === '/healthz' || path === '/metrics' || path === '/openapi.json') {
        expect({ name, security: op.security }).toEqual({ name, security: [] });
      } else {
        expect({ name, security: op.security }).toEqual({ name, security: [{ basicAuth: [] }] });
        expect({ name, has401: '401' in op.responses }).toEqual({ name, has401: true });
      }
    }
  });

  test('native errors are the JSON error shape; Mesos errors are plain text', () => {
    const native = doc.paths['/api/v1/windows'].post.responses;
    expect(native['400'].content!['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    const mesos = doc.paths['/master/machine/down'].post.responses;
    expect(Object.keys(mesos['400'].content!)).toEqual(['text/plain']);
    expect(mesos['403'].content).toBeUndefined(); // Mesos' 403 has no body
  });

  test('a request body the document accepts is one the handler accepts (native window)', () => {
    const validate = compile(doc.paths['/api/v1/windows'].post.requestBody!.content['application/json'].schema);
    expect(validate({ machines: [{ hostname: 'a', ip: '192.0.2.1' }], drainWithin: '1h' })).toBe(true);
    expect(validate({ machines: [{ hostname: 'a' }], drainWithin: '1 hour' })).toBe(false);
    expect(validate({ machines: [{ hostname: 'a' }], drainWIthin: '1h' })).toBe(false); // strict, as the handler
  });
});

describe("Mesos bodies: the document's schema agrees with the parser (both from the same descriptors)", () => {
  const schedule = messageSchema(ScheduleDescriptor);
  const call = messageSchema(CallDescriptor);
  const ns = '1443830400000000000';

  test.each([
    ['{}'],
    [`{"windows":[{"machine_ids":[{"hostname":"a"}],"unavailability":{"start":{"nanoseconds":${ns}}}}]}`],
    [`{"windows":[{"machine_ids":[{"ip":"192.0.2.1"}],"unavailability":{"start":{"nanoseconds":"${ns}"},"duration":{"nanoseconds":1}}}]}`],
    ['{"windows":[{"machine_ids":[],"unavailability":{"start":{"nanoseconds":1}}}],"unknown":true}'],
  ])('accepted by both: %s', (body) => {
    expect(parseSchedule(body).ok).toBe(true);
    expect(schedule.safeParse(JSON.parse(body)).success).toBe(true);
  });

  test.each([
    ['{"windows":[{"machine_ids":[{"hostname":"a"}]}]}'], // unavailability is required
    ['{"windows":[{"machine_ids":[{"hostname":"a"}],"unavailability":{}}]}'], // start is required
    ['{"windows":[{"machine_ids":"a","unavailability":{"start":{"nanoseconds":1}}}]}'],
    ['{"windows":[{"machine_ids":[],"unavailability":{"start":{"nanoseconds":true}}}]}'],
  ])('refused by both: %s', (body) => {
    expect(parseSchedule(body).ok).toBe(false);
    expect(schedule.safeParse(JSON.parse(body)).success).toBe(false);
  });

  test.each([
    ['{"type":"GET_AGENTS"}', true],
    ['{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"a"},"max_grace_period":{"seconds":60}}}', true],
    ['{"type":"START_MAINTENANCE","start_maintenance":{"machines":[{"hostname":"a"}]}}', true],
    ['{"type":"DRAIN_AGENT","drain_agent":{}}', false], // agent_id is required
    ['{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"a"},"mark_gone":"yes"}}', false],
  ])('v1 call %s: accepted %s by both', (body, ok) => {
    expect(parseMasterCall(body).ok).toBe(ok);
    expect(call.safeParse(JSON.parse(body)).success).toBe(ok);
  });
});
