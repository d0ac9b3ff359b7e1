// The scheduler API refusing what it must, over real HTTP (API, worker and simulated fleet as processes), with framework
// authentication on (two principals): 401 before the body, 400 naming the field, 403 for another principal's
// framework, 404 for an unknown one, 405 for a wrong method, 415 for a body that is not JSON. Nothing here is a 5xx,
// and no refused request changes anything. Last, an API process with an open stream still shuts down at once.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/temporal/binaries';
import { freePort } from '../support/ports';
import { securityEnv } from '../support/security';
import { Stack } from '../support/stack';

const SECRETS = { alice: 'alice-secret', bob: 'bob-secret' } as const;
type Who = keyof typeof SECRETS | 'nobody' | 'wrong';

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ machines: 4, env: securityEnv(SECRETS, { permissive: true }) });
});
afterAll(() => stack?.stop());

/** Every request here answers well within this; a request that hangs is a bug of its own. */
const REPLY_MS = 5_000;

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

function auth(who: Who): Record<string, string> {
  if (who === 'nobody') return {};
  const [principal, secret] = who === 'wrong' ? ['alice', 'not-her-secret'] : [who, SECRETS[who]];
  return { Authorization: `Basic ${Buffer.from(`${principal}:${secret}`).toString('base64')}` };
}

/**
 * Sends exactly this request as `who`: a string as it is, anything else as JSON. Fails on a 5xx, on an answer that
 * is neither empty nor JSON, or on no answer.
 */
async function send(who: Who, method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const json: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
  let res: Response;
  try {
    res = await fetch(`${stack.apiUrl}${pathname}`, {
      method,
      headers: { ...json, ...auth(who), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(REPLY_MS),
    });
  } catch (err) {
    throw new Error(`${method} ${pathname}: no answer within ${REPLY_MS} ms (${(err as Error).message})`);
  }
  const text = await res.text();
  const what = `${method} ${pathname} as ${who} answered ${res.status}`;
  if (res.status >= 500) throw new Error(`${what}, a server error: ${text.slice(0, 500)}`);
  const type = res.headers.get('content-type') ?? '';
  if (text && !type.startsWith('application/json')) throw new Error(`${what} with ${type}: ${text.slice(0, 200)}`);
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const CODE: Record<number, string> = {
  400: 'INVALID',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function expectError(reply: Reply, status: number, field?: string, message?: string): void {
  const body: Record<string, unknown> = {
    error: CODE[status],
    message: message === undefined ? expect.any(String) : expect.stringContaining(message),
  };
  if (field !== undefined) body.field = field;
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status, body });
}

const call = (who: Who, body: unknown) => send(who, 'POST', '/api/v1/scheduler', body);
const subscribe = (id: string, info: object = {}, extra: object = {}) => ({
  type: 'SUBSCRIBE',
  subscribe: { framework_info: { id: { value: id }, name: id, ...info }, ...extra },
});
const answer = (type: 'ACCEPT_INVERSE_OFFERS' | 'DECLINE_INVERSE_OFFERS', id: string, body: object = { inverse_offer_ids: [{ value: 'o-1' }] }) => ({
  type,
  framework_id: { value: id },
  [type === 'ACCEPT_INVERSE_OFFERS' ? 'accept_inverse_offers' : 'decline_inverse_offers']: body,
});
const teardown = (id: string) => ({ type: 'TEARDOWN', framework_id: { value: id } });
const events = (id: string, query = '') => `/api/v1/scheduler/frameworks/${id}/events${query}`;
const STREAM = { Accept: 'text/event-stream' };
const SECRET = 'a-webhook-secret-of-some-length';

/** GET /api/v1/frameworks as alice: the subscriptions by id. */
async function frameworks(): Promise<Record<string, any>> {
  const reply = await send('alice', 'GET', '/api/v1/frameworks');
  expect(reply.status).toBe(200);
  return Object.fromEntries(reply.body.frameworks.map((f: any) => [f.id, f]));
}

// Rows shorter than their callback go through rest parameters: jest takes a callback declaring more parameters than a
// row has for one that wants `done`.
describe('authentication comes first', () => {
  test.each<[string, string, unknown?, Record<string, string>?]>([
    ['POST', '/api/v1/scheduler', '{not json'],
    ['POST', '/api/v1/scheduler', subscribe('fw-anyone')],
    ['GET', events('fw-anyone')],
    ['GET', events('fw-anyone'), undefined, STREAM],
    ['POST', '/api/v1/scheduler/placement', { machine_ids: [] }],
    ['GET', '/api/v1/frameworks'],
  ])('%s %s without credentials, or with a wrong secret: 401 before the body is read', async (...[method, pathname, body, headers]) => {
    for (const who of ['nobody', 'wrong'] as const) {
      const reply = await send(who, method, pathname, body, headers);
      expectError(reply, 401);
      expect(reply.headers.get('www-authenticate')).toBe('Basic realm="maint"');
    }
  });

  test('nothing was subscribed by them', async () => {
    expect(await frameworks()).not.toHaveProperty('fw-anyone');
  });
});

describe('POST /api/v1/scheduler: malformed calls are 400s naming the field', () => {
  test.each<[string, unknown, string | undefined, string?]>([
    ['invalid JSON', '{"type":', 'body', 'not valid JSON'],
    ['a JSON array', [subscribe('fw-x')], 'body'],
    ['an empty object', {}, 'type'],
    ['an unknown call', { type: 'REVIVE', framework_id: { value: 'fw-x' } }, 'type', 'SUBSCRIBE, TEARDOWN'],
    ['SUBSCRIBE without subscribe', { type: 'SUBSCRIBE' }, 'subscribe'],
    ['SUBSCRIBE without a framework id', { type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'x' } } }, 'subscribe.framework_info.id'],
    ['SUBSCRIBE without a name', { type: 'SUBSCRIBE', subscribe: { framework_info: { id: { value: 'fw-x' } } } }, 'subscribe.framework_info.name'],
    ['SUBSCRIBE with a framework id holding a slash', subscribe('fw/x'), 'subscribe.framework_info.id.value'],
    ['SUBSCRIBE with two different framework ids', { ...subscribe('fw-x'), framework_id: { value: 'fw-y' } }, 'framework_id'],
    ['SUBSCRIBE with a webhook and no secret', subscribe('fw-x', {}, { webhook: { url: 'http://127.0.0.1:9/hook' } }), 'subscribe.webhook.secret'],
    ['SUBSCRIBE with a short webhook secret', subscribe('fw-x', {}, { webhook: { url: 'http://127.0.0.1:9/hook', secret: 'short' } }), 'subscribe.webhook.secret', '16 characters'],
    ['SUBSCRIBE with a webhook that is no URL', subscribe('fw-x', {}, { webhook: { url: 'hook', secret: SECRET } }), 'subscribe.webhook.url'],
    ['SUBSCRIBE with a budget of 0 machines', subscribe('fw-x', {}, { disruption_budget: { max_machines_down: 0 } }), 'subscribe.disruption_budget.max_machines_down'],
    ['SUBSCRIBE with an unknown budget field', subscribe('fw-x', {}, { disruption_budget: { max_down: 1 } }), 'subscribe.disruption_budget.max_down'],
    ['TEARDOWN without a framework id', { type: 'TEARDOWN' }, 'framework_id'],
    ['TEARDOWN with a framework id that is a string', { type: 'TEARDOWN', framework_id: 'fw-x' }, 'framework_id'],
    ['ACCEPT without its body', { type: 'ACCEPT_INVERSE_OFFERS', framework_id: { value: 'fw-x' } }, 'accept_inverse_offers'],
    ['ACCEPT with ids that are strings', answer('ACCEPT_INVERSE_OFFERS', 'fw-x', { inverse_offer_ids: ['o-1'] }), 'accept_inverse_offers.inverse_offer_ids[0]'],
    ['DECLINE with refuse_seconds as text', answer('DECLINE_INVERSE_OFFERS', 'fw-x', { inverse_offer_ids: [], filters: { refuse_seconds: 'soon' } }), 'decline_inverse_offers.filters.refuse_seconds'],
    ['DECLINE with an unknown plan', answer('DECLINE_INVERSE_OFFERS', 'fw-x', { inverse_offer_ids: [], plan: 'LATER' }), 'decline_inverse_offers.plan'],
  ])('%s', async (...[, body, field, message]) => {
    expectError(await call('alice', body), 400, field, message);
  });

  test('a body that is not JSON: 415', async () => {
    const reply = await send('alice', 'POST', '/api/v1/scheduler', JSON.stringify(subscribe('fw-x')), { 'Content-Type': 'text/plain' });
    expectError(reply, 415, 'body');
  });

  test('none of them subscribed fw-x', async () => {
    expect(await frameworks()).not.toHaveProperty('fw-x');
    expectError(await send('alice', 'GET', events('fw-x')), 404, 'id', 'fw-x');
  });
});

describe('frameworks belong to the principal that subscribed them', () => {
  beforeAll(async () => {
    const reply = await call('alice', subscribe('fw-alice', {}, { webhook: { url: 'http://127.0.0.1:9/hook?token=t0ken', secret: SECRET } }));
    expect(reply).toMatchObject({
      status: 200,
      body: { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw-alice' }, heartbeat_interval_seconds: 15 } },
    });
  });

  test('the operator view shows the owner, and neither the secret nor the webhook token', async () => {
    const fw = (await frameworks())['fw-alice'];
    expect(fw).toMatchObject({ id: 'fw-alice', principal: 'alice', delivery: 'webhook', webhookUrl: 'http://127.0.0.1:9/hook?***' });
    const text = JSON.stringify(await send('bob', 'GET', '/api/v1/frameworks'));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('t0ken');
  });

  test('SUBSCRIBE naming another principal than the authenticated one: 403 naming framework_info.principal', async () => {
    const reply = await call('bob', subscribe('fw-bob', { principal: 'alice' }));
    expectError(reply, 403, 'subscribe.framework_info.principal', 'bob');
    expect(await frameworks()).not.toHaveProperty('fw-bob');
  });

  test("another principal's SUBSCRIBE of the same framework id: 403 naming the framework, and it stays alice's", async () => {
    const reply = await call('bob', subscribe('fw-alice', {}, { webhook: { url: 'http://127.0.0.1:9/bob', secret: SECRET } }));
    expectError(reply, 403, 'subscribe.framework_info.id', 'framework fw-alice');
    const fw = (await frameworks())['fw-alice'];
    expect(fw).toMatchObject({ principal: 'alice', webhookUrl: 'http://127.0.0.1:9/hook?***' });
  });

  test.each<[string, () => Promise<Reply>, string]>([
    ['ACCEPT_INVERSE_OFFERS', () => call('bob', answer('ACCEPT_INVERSE_OFFERS', 'fw-alice')), 'framework_id'],
    ['DECLINE_INVERSE_OFFERS', () => call('bob', answer('DECLINE_INVERSE_OFFERS', 'fw-alice')), 'framework_id'],
    ['a pull of its events', () => send('bob', 'GET', events('fw-alice')), 'id'],
    ['a stream of its events', () => send('bob', 'GET', events('fw-alice'), undefined, STREAM), 'id'],
    ['TEARDOWN', () => call('bob', teardown('fw-alice')), 'framework_id'],
  ])("another principal's %s: 403 naming the framework", async (_name, ask, field) => {
    expectError(await ask(), 403, field, 'framework fw-alice');
  });

  test('after all that, fw-alice is subscribed as before, and alice reads and answers it', async () => {
    const page = await send('alice', 'GET', events('fw-alice'));
    expect(page).toMatchObject({ status: 200, body: { framework_id: { value: 'fw-alice' }, events: expect.any(Array) } });
    expect(typeof page.body.last_event_id).toBe('number');
    expect(page.body.outstanding).toEqual({ inverse_offers: [] });
    // An id that is no open offer of hers is ignored, as Mesos does.
    expect((await call('alice', answer('DECLINE_INVERSE_OFFERS', 'fw-alice'))).status).toBe(202);
    expect((await frameworks())['fw-alice']).toMatchObject({ principal: 'alice' });
  });

  test('alice may tear it down; then it is unknown (404) to everyone', async () => {
    expect((await call('alice', teardown('fw-alice'))).status).toBe(202);
    expect(await frameworks()).not.toHaveProperty('fw-alice');
    expectError(await send('alice', 'GET', events('fw-alice')), 404, 'id', 'fw-alice');
    // The mailbox ends right after it closes; until it has, an answer finds nothing open (202, ignored).
    const late = await stack.eventually('answers to fw-alice refused', async () => {
      const reply = await call('alice', answer('ACCEPT_INVERSE_OFFERS', 'fw-alice'));
      return reply.status === 202 ? undefined : reply;
    }, 10_000);
    expectError(late, 404, 'framework_id', 'fw-alice');
  });
});

describe('unknown frameworks and bad event reads', () => {
  test.each<[string, () => Promise<Reply>, string]>([
    ['a pull of its events', () => send('alice', 'GET', events('fw-nobody')), 'id'],
    ['a stream of its events', () => send('alice', 'GET', events('fw-nobody'), undefined, STREAM), 'id'],
    ['an answer', () => call('alice', answer('ACCEPT_INVERSE_OFFERS', 'fw-nobody')), 'framework_id'],
    ['TEARDOWN', () => call('alice', teardown('fw-nobody')), 'framework_id'],
  ])('an unknown framework, %s: 404 naming it', async (_name, ask, field) => {
    expectError(await ask(), 404, field, 'framework fw-nobody is not subscribed');
  });

  test.each<[string, string, Record<string, string>, string]>([
    ['after not a number', events('fw-nobody', '?after=soon'), {}, 'after'],
    ['after negative', events('fw-nobody', '?after=-1'), {}, 'after'],
    ['after twice', events('fw-nobody', '?after=1&after=2'), {}, 'after'],
    ['limit 0', events('fw-nobody', '?limit=0'), {}, 'limit'],
    ['Last-Event-ID not a number', events('fw-nobody'), { ...STREAM, 'Last-Event-ID': 'x1' }, 'Last-Event-ID'],
    ['a framework id with a space', `/api/v1/scheduler/frameworks/a%20b/events`, {}, 'id'],
  ])('%s: 400 naming it', async (_name, pathname, headers, field) => {
    expectError(await send('alice', 'GET', pathname, undefined, headers), 400, field);
  });
});

describe('placement', () => {
  test.each<[string, unknown, string]>([
    ['no body', undefined, 'body'],
    ['no candidates', { machine_ids: [], runtime_seconds: 60 }, 'machine_ids'],
    ['a candidate without a name', { machine_ids: [{}], runtime_seconds: 60 }, 'machine_ids[0]'],
    ['a candidate with a bad ip', { machine_ids: [{ ip: '192.0.2.300' }], runtime_seconds: 60 }, 'machine_ids[0].ip'],
    ['a negative runtime', { machine_ids: [{ hostname: 'sim-01' }], runtime_seconds: -5 }, 'runtime_seconds'],
    ['a runtime in words', { machine_ids: [{ hostname: 'sim-01' }], runtime_seconds: '1h' }, 'runtime_seconds'],
  ])('%s: 400 naming the field', async (_name, body, field) => {
    expectError(await send('alice', 'POST', '/api/v1/scheduler/placement', body), 400, field);
  });

  test('good candidates are ranked (nothing in maintenance here)', async () => {
    const reply = await send('bob', 'POST', '/api/v1/scheduler/placement', {
      machine_ids: [{ hostname: 'sim-02' }, { hostname: 'sim-01', ip: '192.0.2.1' }],
      runtime_seconds: 600,
    });
    expect(reply.status).toBe(200);
    expect(reply.body.ranking).toEqual([
      { machine_id: { hostname: 'sim-02' }, rank: 1, class: 'NO_MAINTENANCE', reason: 'no maintenance scheduled' },
      { machine_id: { hostname: 'sim-01', ip: '192.0.2.1' }, rank: 2, class: 'NO_MAINTENANCE', reason: 'no maintenance scheduled' },
    ]);
  });
});

test.each<[string, string, string]>([
  ['GET', '/api/v1/scheduler', 'POST'],
  ['PUT', '/api/v1/scheduler', 'POST'],
  ['POST', events('fw-x'), 'GET'],
  ['DELETE', events('fw-x'), 'GET'],
  ['GET', '/api/v1/scheduler/placement', 'POST'],
  ['POST', '/api/v1/frameworks', 'GET'],
])('a wrong method, %s %s: 405 allowing %s', async (method, pathname, allow) => {
  const reply = await send('alice', method, pathname);
  expectError(reply, 405);
  expect(reply.headers.get('allow')).toBe(allow);
});

describe('the stream', () => {
  test('answers text/event-stream, unbuffered, starting with SUBSCRIBED', async () => {
    expect((await call('alice', subscribe('fw-streams'))).status).toBe(200);
    const abort = new AbortController();
    const res = await fetch(`${stack.apiUrl}${events('fw-streams')}`, { headers: { ...STREAM, ...auth('alice') }, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text.split('\n\n')[0]).toBe(
      'event: SUBSCRIBED\ndata: {"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"fw-streams"},"heartbeat_interval_seconds":15}}',
    );
    // TEARDOWN ends the stream: the body ends by itself.
    expect((await call('alice', teardown('fw-streams'))).status).toBe(202);
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    await expect(Promise.race([ended, new Promise((r) => setTimeout(() => r(false), REPLY_MS))])).resolves.toBe(true);
    abort.abort();
  });
});

describe('a second API process, without MAINT_SECRET_KEY', () => {
  let api: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'src', 'main.js'), 'api'], {
      env: { ...stack.env, PORT: String(port), MAINT_SECRET_KEY: undefined },
      stdio: 'ignore',
    });
    await stack.eventually('the keyless API healthy', async () => {
      const res = await fetch(`${url}/healthz`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    }, 30_000);
  });
  afterAll(() => stop(api));

  test('refuses a webhook, saying MAINT_SECRET_KEY is unset and the framework can stream or pull; takes a pull subscriber', async () => {
    const ask = (body: unknown) =>
      fetch(`${url}/api/v1/scheduler`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...auth('alice') },
        body: JSON.stringify(body),
      });
    const refused = await ask(subscribe('fw-keyless', {}, { webhook: { url: 'http://127.0.0.1:9/hook', secret: SECRET } }));
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as any;
    expect(body).toMatchObject({ error: 'INVALID', field: 'subscribe.webhook' });
    expect(body.message).toMatch(/MAINT_SECRET_KEY is unset.*stream or pull/);
    expect(await frameworks()).not.toHaveProperty('fw-keyless');

    expect((await ask(subscribe('fw-keyless'))).status).toBe(200);
    expect((await frameworks())['fw-keyless']).toMatchObject({ delivery: 'pull or stream' });
  });

  test('a stream open on it does not hold its shutdown: SIGTERM ends the stream and the process at once', async () => {
    const res = await fetch(`${url}${events('fw-keyless')}`, { headers: { ...STREAM, ...auth('alice') } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('event: SUBSCRIBED');
    const startedMs = Date.now();
    await stop(api);
    for (;;) if ((await reader.read()).done) break;
    expect(Date.now() - startedMs).toBeLessThan(2_000);
  });
});

/** SIGTERM, and wait for the process to be gone (at once when it is already). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}
