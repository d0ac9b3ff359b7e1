// Operator authentication and ACLs over HTTP: Mesos' credentials and ACL files, two principals.
import path from 'node:path';
import { securityEnv } from '../support/security';
import { Stack } from '../support/stack';

let stack: Stack;
const SECRETS = { ops: 'ops-secret', viewer: 'viewer-secret' };

beforeAll(async () => {
  const env = securityEnv(
    SECRETS,
    {
      permissive: false,
      get_maintenance_schedules: [{ principals: { type: 'ANY' }, machines: { type: 'ANY' } }],
      get_maintenance_statuses: [{ principals: { values: ['ops'] }, machines: { type: 'ANY' } }],
      update_maintenance_schedules: [{ principals: { values: ['ops'] }, machines: { type: 'ANY' } }],
      start_maintenances: [{ principals: { values: ['ops'] }, machines: { type: 'ANY' } }],
      stop_maintenances: [{ principals: { values: ['ops'] }, machines: { type: 'ANY' } }],
    },
  );
  stack = await Stack.start({
    env,
  });
});
afterAll(() => stack?.stop());

async function call(method: string, pathname: string, who?: keyof typeof SECRETS | 'wrong', body?: unknown) {
  const headers: Record<string, string> = {};
  if (who) {
    const secret = who === 'wrong' ? 'nope' : SECRETS[who];
    headers.Authorization = `Basic ${Buffer.from(`${who === 'wrong' ? 'ops' : who}:${secret}`).toString('base64')}`;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${stack.apiUrl}${pathname}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const window = { machines: [{ hostname: 'sim-02', ip: '192.0.2.2' }], drainWithin: '1h' };

test('without credentials, or with a wrong secret: 401 before the body is even read', async () => {
  for (const who of [undefined, 'wrong'] as const) {
    const res = await call('POST', '/api/v1/windows', who, '{not json');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="maint"');
    expect(res.body.error).toBe('UNAUTHENTICATED');
  }
  expect((await call('GET', '/api/v1/windows')).status).toBe(401);
  expect((await call('GET', '/healthz')).status).toBe(200); // health stays open for probes
});

test('a principal the ACLs refuse gets 403 after validation, and nothing changes', async () => {
  const invalid = await call('POST', '/api/v1/windows', 'viewer', { machines: [] });
  expect(invalid.status).toBe(400); // validation first, as Mesos
  const refused = await call('POST', '/api/v1/windows', 'viewer', window);
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({ error: 'FORBIDDEN', message: 'principal viewer may not update maintenance schedules' });
  const list = await call('GET', '/api/v1/windows', 'viewer');
  expect(list.status).toBe(200);
  expect(list.body.windows).toEqual([]);
});

test('the allowed principal creates and steers; the record says who; GETs are filtered per principal', async () => {
  const created = await call('POST', '/api/v1/windows', 'ops', window);
  expect(created.status).toBe(201);
  expect(created.body.createdBy).toBe('ops');
  const id = created.body.id;

  const seen = await call('GET', `/api/v1/windows/${id}`, 'viewer');
  expect(seen.status).toBe(200); // get_maintenance_schedules: ANY
  const machine = await call('GET', '/api/v1/machines/sim-02', 'viewer');
  expect(machine.status).toBe(404); // get_maintenance_statuses: ops only, so hidden, not refused
  expect((await call('GET', '/api/v1/machines/sim-02', 'ops')).body.window).toBe(id);

  expect((await call('POST', `/api/v1/windows/${id}/down`, 'viewer', {})).status).toBe(403);
  expect((await call('POST', `/api/v1/windows/${id}/extend`, 'viewer', { by: '10m' })).status).toBe(403);
  expect((await call('POST', `/api/v1/windows/${id}/cancel`, 'viewer')).status).toBe(403);
  const after = await call('GET', `/api/v1/windows/${id}`, 'ops');
  expect(after.body).toMatchObject({ state: 'ACTIVE', deadline: created.body.deadline });

  expect((await call('POST', `/api/v1/windows/${id}/cancel`, 'ops')).status).toBe(200);
});

test('secrets never reach the logs', async () => {
  const { readFileSync } = await import('node:fs');
  const logs = ['api', 'worker', 'sim'].map((role) =>
    readFileSync(path.join(process.env.MAINT_TEST_DIR!, String(stack.env.MAINT_INSTANCE), `${role}.log`), 'utf8'),
  );
  for (const log of logs) for (const secret of Object.values(SECRETS)) expect(log).not.toContain(secret);
  expect(logs[0]).toContain('operator authentication on');
});
