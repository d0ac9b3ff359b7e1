// GET /openapi.json from the real API process, and real answers checked against what the document declares, as
// a fuzzer reading it would (the status is declared, the Content-Type is declared, the body matches the declared
// JSON Schema), and against the representation schemas the document is built from.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { z } from 'zod';
import { openApiDocument } from '../../src/api/openapi/document';
import {
  ErrorSchema,
  EventsPageSchema,
  FrameworkListSchema,
  MachineReportSchema,
  MesosClusterStatusSchema,
  MesosScheduleSchema,
  OperatorResponseSchema,
  PlacementSchema,
  WindowListSchema,
  WindowSchema,
} from '../../src/api/openapi/representations';
import { parseJson } from '../../src/lib/json';
import { Stack } from '../support/stack';
import { securityEnv } from '../support/security';

const SECRETS = { ops: 'ops-secret', viewer: 'viewer-secret', mover: 'mover-secret' };
// viewer may read but not change the schedule.
const ACLS = {
  permissive: true,
  update_maintenance_schedules: [{ principals: { values: ['viewer'] }, machines: { type: 'NONE' } }],
};

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ machines: 6, checkInterval: '1s', env: securityEnv(SECRETS, ACLS) });
});
afterAll(() => stack?.stop());

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: object } };
const doc = openApiDocument() as Doc;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: { schemas: doc.components.schemas } });
const compiled = new Map<object, ValidateFunction>();
function validator(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"doc#/components')));
    compiled.set(schema, v);
  }
  return v;
}

/** The documented operation a concrete path falls under ("/api/v1/windows/w-1" → "/api/v1/windows/{id}"). */
function operationFor(method: string, path: string): Operation {
  const bare = path.split('?')[0];
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (pattern.test(bare) && item[method.toLowerCase()]) return item[method.toLowerCase()];
  }
  throw new Error(`${method} ${bare} is not in the document`);
}

interface Answer {
  status: number;
  text: string;
  /** Parsed losslessly (int64 as BigInt), for the zod schemas. */
  json: unknown;
}

/** Sends a request as `principal` and checks its answer against the document: status, Content-Type, body. */
async function call(
  principal: keyof typeof SECRETS | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const auth: Record<string, string> = principal ? { Authorization: `Basic ${Buffer.from(`${principal}:${SECRETS[principal]}`).toString('base64')}` } : {};
  const res = await fetch(stack.apiUrl + path, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const what = `${method} ${path} → ${res.status} ${text.slice(0, 300)}`;
  const declared = operationFor(method, path).responses[String(res.status)];
  if (!declared) throw new Error(`undeclared status: ${what}`);
  const type = res.headers.get('content-type')?.split(';')[0];
  if (text !== '') {
    const media = declared.content?.[type ?? ''];
    if (!media) throw new Error(`undeclared Content-Type ${type}: ${what}`);
    if (type === 'application/json') {
      const validate = validator(media.schema);
      if (!validate(JSON.parse(text))) throw new Error(`${what}\ndoes not match the document: ${ajv.errorsText(validate.errors)}`);
    }
  }
  return { status: res.status, text, json: text && type === 'application/json' ? parseJson(text) : undefined };
}

function matches(schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${JSON.stringify(result.error.issues)}`);
}

test('GET /openapi.json answers the document, without credentials', async () => {
  const res = await fetch(`${stack.apiUrl}/openapi.json`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
});

// First: a posted schedule replaces the whole schedule, and machines of native windows that went DOWN may not leave it.
test('Mesos endpoints as documented: JSON answers with int64 exact, plain-text errors', async () => {
  const ns = '1893456000000000000';
  const body = `{"windows":[{"machine_ids":[{"hostname":"sim-04","ip":"192.0.2.4"}],"unavailability":{"start":{"nanoseconds":${ns}}}}]}`;
  expect(await call('ops', 'POST', '/master/maintenance/schedule', body)).toMatchObject({ status: 200, text: '' });
  const schedule = await call('ops', 'GET', '/master/maintenance/schedule');
  matches(MesosScheduleSchema, schedule.json);
  expect(schedule.text).toContain(ns);
  matches(MesosClusterStatusSchema, (await call('ops', 'GET', '/maintenance/status')).json);
  for (const type of ['GET_MAINTENANCE_SCHEDULE', 'GET_MAINTENANCE_STATUS', 'GET_AGENTS']) {
    matches(OperatorResponseSchema, (await call('ops', 'POST', '/api/v1', { type })).json);
  }
  const bad = await call('ops', 'POST', '/master/machine/down', '[{"hostname":"sim-04"},{"hostname":"SIM-04"}]');
  expect(bad.status).toBe(400);
  expect(bad.text).toMatch(/appears more than once|duplicate/i);
  expect(await call('viewer', 'POST', '/master/maintenance/schedule', body)).toMatchObject({ status: 403, text: '' });
  expect((await call('ops', 'POST', '/api/v1', { type: 'GET_HEALTH' })).status).toBe(501);
});

test('a window created, listed, read and extended: every answer as documented', async () => {
  const created = await call('ops', 'POST', '/api/v1/windows', {
    machines: [{ hostname: 'sim-01', ip: '192.0.2.1' }],
    drainWithin: '1h',
    duration: '30m',
    policy: { maxGracePeriod: '10s' },
  });
  expect(created.status).toBe(201);
  matches(WindowSchema, created.json);
  const id = (created.json as { id: string }).id;

  matches(WindowSchema, (await call('ops', 'GET', `/api/v1/windows/${id}`)).json);
  matches(WindowListSchema, (await call('viewer', 'GET', '/api/v1/windows?limit=5')).json);
  const extended = await call('ops', 'POST', `/api/v1/windows/${id}/extend`, { by: '10m' });
  expect(extended.status).toBe(200);
  matches(WindowSchema, extended.json);
  const machine = await call('ops', 'GET', '/api/v1/machines/sim-01');
  matches(MachineReportSchema, machine.json);
  expect(machine.json).toMatchObject({ mode: 'DRAINING', window: id });
  matches(MachineReportSchema, (await call('ops', 'GET', '/api/v1/machines/192.0.2.5')).json);
});

test('errors as documented: 400 naming the field, 401, 403, 404, 409, 415', async () => {
  const invalid = await call('ops', 'POST', '/api/v1/windows', { machines: [{ ip: '::1' }], drainWithin: '1h' });
  expect(invalid.status).toBe(400);
  matches(ErrorSchema, invalid.json);
  expect(invalid.json).toMatchObject({ error: 'INVALID', field: 'machines[0].ip' });

  const anonymous = await call(undefined, 'GET', '/api/v1/windows');
  expect(anonymous.status).toBe(401);
  matches(ErrorSchema, anonymous.json);

  const refused = await call('viewer', 'POST', '/api/v1/windows', { machines: [{ hostname: 'sim-02' }], drainWithin: '1h' });
  expect(refused.status).toBe(403);

  expect((await call('ops', 'GET', '/api/v1/windows/w-999999')).status).toBe(404);
  expect((await call('ops', 'POST', '/api/v1/windows', { machines: [{ hostname: 'sim-01', ip: '192.0.2.1' }], drainWithin: '1h' })).status).toBe(409);
  expect((await call('ops', 'POST', '/api/v1/windows', 'drain sim-01', { 'Content-Type': 'text/plain' })).status).toBe(415);
  expect((await call('ops', 'GET', '/api/v1/scheduler/frameworks/nobody/events')).status).toBe(404);
});

test('frameworks, events and placement as documented', async () => {
  const frameworks = await stack.eventually('the simulated frameworks subscribed', async () => {
    const answer = await call('ops', 'GET', '/api/v1/frameworks');
    // Only mover has credentials here; the other simulated frameworks are refused (401) and keep retrying.
    return (answer.json as { frameworks: { id: string }[] }).frameworks.some((f) => f.id === 'mover') ? answer : undefined;
  });
  matches(FrameworkListSchema, frameworks.json);
  const page = await call('mover', 'GET', '/api/v1/scheduler/frameworks/mover/events?after=0&limit=50');
  expect(page.status).toBe(200);
  matches(EventsPageSchema, page.json);
  const placement = await call('mover', 'POST', '/api/v1/scheduler/placement', {
    machine_ids: [{ hostname: 'sim-01', ip: '192.0.2.1' }, { hostname: 'sim-03' }],
    runtime_seconds: 7200,
  });
  matches(PlacementSchema, placement.json);
  expect((await call('viewer', 'GET', '/api/v1/scheduler/frameworks/mover/events')).status).toBe(403);
});

test('/healthz as documented', async () => {
  expect((await call(undefined, 'GET', '/healthz')).status).toBe(200);
});
