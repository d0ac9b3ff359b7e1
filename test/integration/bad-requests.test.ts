// Bad requests over real HTTP (API, worker and simulated fleet as processes): every one gets a 4xx JSON error
// {error, message, field?} that names the field, answers quickly, and changes nothing. No answer in this file is a 5xx.
import { gzipSync } from 'node:zlib';
import { machineKey } from '../../src/domain/machine';
import { Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ machines: 20, checkInterval: '1s', taskGrace: '500ms' });
});
afterAll(() => stack?.stop());

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });

// ---- one way to ask, and one way to check a refusal ------------------------------------------------------------

/** Every refusal here answers well within this; a request that hangs is a bug of its own. */
const REPLY_MS = 4_000;
/**
 * A request that changes something (creates or cancels a window) or reads a window waits for the window's workflow,
 * which a worker runs: on a loaded CI machine that took up to 10 s. Only refusals are held to REPLY_MS.
 */
const CHANGE_MS = 30_000;

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * Sends exactly this request: a string or bytes as they are, anything else as JSON; headers as given (a JSON body
 * gets `Content-Type: application/json` unless headers say otherwise). Fails on a 5xx, a non-JSON body or no answer.
 */
async function send(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' },
  withinMs = REPLY_MS,
): Promise<Reply> {
  const raw = typeof body === 'string' || body instanceof Uint8Array;
  const payload = body === undefined ? undefined : raw ? body : JSON.stringify(body);
  const signal = AbortSignal.timeout(withinMs);
  let res: Response;
  try {
    res = await fetch(`${stack.apiUrl}${path}`, { method, headers, body: payload, signal });
  } catch (err) {
    throw new Error(`${method} ${path}: no answer within ${withinMs} ms (${(err as Error).message})`);
  }
  const text = await res.text();
  const what = `${method} ${path.slice(0, 100)} answered ${res.status}`;
  if (res.status >= 500) throw new Error(`${what}, a server error: ${text.slice(0, 500)}`);
  const type = res.headers.get('content-type');
  if (text && !/^application\/json\b/.test(type ?? '')) throw new Error(`${what} with ${type}: ${text.slice(0, 200)}`);
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const CODE: Record<number, string> = {
  400: 'INVALID',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** A refusal: the status (or one of them), maint's error code for it, a message, and the field when one is named. */
function expectError(reply: Reply, status: number | number[], field?: string, message?: string): void {
  const statuses = Array.isArray(status) ? status : [status];
  const actual = statuses.includes(reply.status) ? reply.status : statuses[0];
  const body: Record<string, unknown> = {
    error: CODE[actual] ?? expect.any(String),
    message: message === undefined ? expect.any(String) : expect.stringContaining(message),
  };
  if (field !== undefined) body.field = field;
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: actual, body });
}

/** A request that is not a refusal: a change, or a read of what a change did. */
function change(method: string, path: string, body?: unknown): Promise<Reply> {
  return send(method, path, body, undefined, CHANGE_MS);
}

async function windowIds(): Promise<string[]> {
  const { status, body } = await change('GET', '/api/v1/windows');
  expect(status).toBe(200);
  return body.windows.map((w: { id: string }) => w.id).sort();
}

/** Creates a window (must succeed) and returns its id. */
async function create(body: unknown): Promise<string> {
  const reply = await change('POST', '/api/v1/windows', body);
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 201, body: { state: 'ACTIVE' } });
  return reply.body.id;
}

async function getWindow(id: string): Promise<any> {
  const reply = await change('GET', `/api/v1/windows/${id}`);
  expect(reply.status).toBe(200);
  return reply.body;
}

/** What a refused request must leave as it was. */
async function windowState(id: string) {
  const w = await getWindow(id);
  return {
    state: w.state,
    deadline: w.deadline,
    unavailability: w.unavailability,
    cancelledAt: w.cancelledAt,
    machines: w.machines.map((m: any) => ({ id: m.id, window: m.window, deadline: m.deadline })),
  };
}

async function expectFreeMachine(hostname: string): Promise<void> {
  const { status, body } = await send('GET', `/api/v1/machines/${hostname}`);
  expect(status).toBe(200);
  expect(body.mode).toBe('UP');
  expect(body.window).toBeUndefined();
  expect(body.lastWindow).toBeUndefined();
  expect(body.cluster).toMatchObject({ down: false });
}

// ---- POST /api/v1/windows ----------------------------------------------------------------------------------------

const M1 = sim(1);
const good = { machines: [M1], drainWithin: '1h' };
const inAnHour = new Date(Date.now() + 3_600_000).toISOString();

type Bad = [name: string, body: unknown, status: number | number[], field: string | undefined, message?: string];

const badWindows: Bad[] = [
  ['invalid JSON', '{"machines": [', 400, 'body', 'not valid JSON'],
  ['a JSON string instead of an object', '"sim-01"', 400, 'body'],
  ['JSON null', 'null', 400, 'body'],
  ['a JSON array of windows', [good], 400, 'body'],
  ['an empty object', {}, 400, 'machines'],
  ['machines missing', { drainWithin: '1h' }, 400, 'machines'],
  ['machines empty', { ...good, machines: [] }, 400, 'machines', 'a window needs at least one machine'],
  ['machines an object, not an array', { ...good, machines: M1 }, 400, 'machines'],
  ['machines a string', { ...good, machines: 'sim-01' }, 400, 'machines'],
  ['a machine given as a string', { ...good, machines: ['sim-01'] }, 400, 'machines[0]'],
  [
    'a machine with neither hostname nor ip',
    { ...good, machines: [M1, {}] },
    400,
    'machines[1]',
    "Both 'hostname' and 'ip' for a machine are empty",
  ],
  [
    'a machine with an empty hostname and ip',
    { ...good, machines: [{ hostname: '', ip: '' }] },
    400,
    'machines[0]',
    "Both 'hostname' and 'ip' for a machine are empty",
  ],
  [
    'an IPv6 ip',
    { ...good, machines: [{ hostname: 'sim-01', ip: '::1' }] },
    400,
    'machines[0].ip',
    'Failed to parse IPv4: ::1',
  ],
  [
    'an IPv4 ip with a leading zero',
    { ...good, machines: [{ ip: '192.0.2.01' }] },
    400,
    'machines[0].ip',
    'Failed to parse IPv4: 192.0.2.01',
  ],
  ['a hostname that is a number', { ...good, machines: [{ hostname: 1 }] }, 400, 'machines[0].hostname'],
  ['an unknown field in a machine', { ...good, machines: [{ ...M1, agent: 'a1' }] }, 400, 'machines[0].agent'],
  ['a typo: drainWIthin', { machines: [M1], drainWIthin: '1h' }, 400, 'drainWIthin', 'drainWIthin'],
  ['both drainWithin and start', { ...good, start: inAnHour }, 400, 'start', 'exactly one of "drainWithin" or "start"'],
  ['neither drainWithin nor start', { machines: [M1] }, 400, 'start', 'give exactly one of "drainWithin" or "start"'],
  ['drainWithin "1.5h"', { ...good, drainWithin: '1.5h' }, 400, 'drainWithin', '"1.5h" is not a duration'],
  ['drainWithin "soon"', { ...good, drainWithin: 'soon' }, 400, 'drainWithin', '"soon" is not a duration'],
  ['drainWithin a number', { ...good, drainWithin: 3600 }, 400, 'drainWithin'],
  ['duration "1 hour"', { ...good, duration: '1 hour' }, 400, 'duration', '"1 hour" is not a duration'],
  ['start "tomorrow"', { machines: [M1], start: 'tomorrow' }, 400, 'start'],
  ['start without a UTC offset', { machines: [M1], start: '2030-01-01T00:00:00' }, 400, 'start'],
  ['start as epoch milliseconds', { machines: [M1], start: Date.now() + 3_600_000 }, 400, 'start'],
  ['an unknown escalation', { ...good, policy: { escalation: 'explode' } }, 400, 'policy.escalation'],
  ['maxParallel 0', { ...good, policy: { maxParallel: 0 } }, 400, 'policy.maxParallel'],
  ['maxParallel "2"', { ...good, policy: { maxParallel: '2' } }, 400, 'policy.maxParallel'],
  ['maxParallel 1.5', { ...good, policy: { maxParallel: 1.5 } }, 400, 'policy.maxParallel'],
  ['maxGracePeriod "1m30"', { ...good, policy: { maxGracePeriod: '1m30' } }, 400, 'policy.maxGracePeriod'],
  ['an unknown policy field', { ...good, policy: { downWhenDrianed: false } }, 400, 'policy.downWhenDrianed'],
  ['policy null', { ...good, policy: null }, 400, 'policy'],
  ['a __proto__ key', '{"machines":[{"hostname":"sim-01"}],"__proto__":{"drainWithin":"1h"}}', 400, '__proto__'],
  ['a machine twice', { ...good, machines: [M1, sim(2), M1] }, 400, 'machines[2]', 'appears more than once'],
  [
    'a machine twice, its hostname in other case (Mesos equality)',
    { ...good, machines: [{ hostname: 'sim-01' }, { hostname: 'SIM-01' }] },
    400,
    'machines[1]',
    'appears more than once',
  ],
];

/** Requests whose headers or bytes matter: [name, body, headers, status, field, message]. */
type BadRaw = [
  name: string,
  body: string | Uint8Array | undefined,
  headers: Record<string, string>,
  status: number | number[],
  field: string | undefined,
  message?: string,
];
const JSON_TYPE = { 'Content-Type': 'application/json' };
const FORM = 'application/x-www-form-urlencoded';
const GZIP = { 'Content-Encoding': 'gzip' };
const badRawWindows: BadRaw[] = [
  ['no body and no content type', undefined, {}, 400, 'body'],
  ['a JSON window sent as text/plain', JSON.stringify(good), { 'Content-Type': 'text/plain' }, 415, 'body'],
  ['a JSON window sent as a form', JSON.stringify(good), { 'Content-Type': FORM }, 415, 'body'],
  ['an empty JSON body', '', JSON_TYPE, 400, 'machines'],
  ['an unknown charset', JSON.stringify(good), { 'Content-Type': 'application/json; charset=latin9' }, 415, 'body'],
  ['an unknown content encoding', JSON.stringify(good), { ...JSON_TYPE, 'Content-Encoding': 'x-nope' }, 415, 'body'],
  ['gzip encoding of bytes that are not gzip', JSON.stringify(good), { ...JSON_TYPE, ...GZIP }, 400, 'body'],
  [
    'a body over 1 MB',
    JSON.stringify({ ...good, machines: [{ hostname: 'x'.repeat(1_100_000) }] }),
    JSON_TYPE,
    413,
    'body',
  ],
  [
    'a gzip body that inflates to over 1 MB',
    gzipSync(JSON.stringify({ ...good, pad: ' '.repeat(2_000_000) })),
    { ...JSON_TYPE, ...GZIP },
    413,
    'body',
  ],
];

describe('POST /api/v1/windows refuses a bad window and creates nothing', () => {
  let before: string[];
  beforeAll(async () => {
    before = await windowIds();
  });

  // Rest parameters: jest takes a callback declaring more parameters than a row has for one that wants `done`.
  test.each(badWindows)('%s', async (...[, body, status, field, message]) => {
    expectError(await send('POST', '/api/v1/windows', body), status, field, message);
  });

  test.each(badRawWindows)('%s', async (...[, body, headers, status, field, message]) => {
    expectError(await send('POST', '/api/v1/windows', body, headers), status, field, message);
  });

  test('afterwards: no window exists and sim-01 is UP in none', async () => {
    expect(await windowIds()).toEqual(before);
    // The schedule numbers windows from w-1: had any request above created one, w-1 would exist.
    expectError(await send('GET', '/api/v1/windows/w-1'), 404, undefined, 'window w-1 does not exist');
    await expectFreeMachine('sim-01');
    await expectFreeMachine('sim-02');
  });
});

// ---- GET with bad parameters ---------------------------------------------------------------------------------------

describe('bad path and query parameters', () => {
  test.each<[string, string, string | undefined]>([
    ['a malformed window id', '/api/v1/windows/abc', 'id'],
    ['a machine name over 255 characters', `/api/v1/machines/${'x'.repeat(300)}`, 'machine'],
    ['limit 0', '/api/v1/windows?limit=0', 'limit'],
    ['limit "many"', '/api/v1/windows?limit=many', 'limit'],
    ['limit over 1000', '/api/v1/windows?limit=1001', 'limit'],
    // Express decodes path parameters before any handler sees them, so these cannot easily name the parameter.
    ['a window id that is not valid percent-encoding', '/api/v1/windows/%E0%A4%A', undefined],
    ['a window action on an id that is not valid percent-encoding', '/api/v1/windows/%zz/cancel', undefined],
    ['a machine that is not valid percent-encoding', '/api/v1/machines/%zz', undefined],
  ])('%s: 400', async (_name, path, field) => {
    expectError(await send(path.endsWith('/cancel') ? 'POST' : 'GET', path), 400, field);
  });

  test('an unknown machine: 404 naming it', async () => {
    expectError(await send('GET', '/api/v1/machines/nosuchhost'), 404, 'machine', 'nosuchhost');
    expectError(await send('GET', '/api/v1/machines/192.0.2.250'), 404, 'machine', '192.0.2.250');
  });

  test.each<[string, string]>([
    ['GET', '/api/v2/windows'],
    ['GET', '/nope'],
    ['POST', '/api/v1/windows/w-1/reboot'],
    ['GET', '/api/v1/machines'],
  ])('an unknown route, %s %s: 404 JSON', async (method, path) => {
    expectError(await send(method, path), 404, undefined, `no route for ${method}`);
  });

  // A known path asked with another method: 405, with the methods it takes in Allow.
  test.each<[string, string, string]>([
    ['DELETE', '/api/v1/windows/w-1', 'GET'],
    ['PUT', '/api/v1/windows', 'POST, GET'],
    ['PATCH', '/api/v1/windows/w-1', 'GET'],
    ['GET', '/api/v1/windows/w-1/cancel', 'POST'],
    ['GET', '/api/v1/scheduler', 'POST'],
    ['POST', '/api/v1/machines/sim-01', 'GET'],
  ])('a wrong method, %s %s: 405 JSON allowing %s', async (method, path, allow) => {
    const reply = await send(method, path);
    expectError(reply, 405);
    expect(reply.headers.get('allow')).toBe(allow);
  });
});

// ---- conflicts ---------------------------------------------------------------------------------------------------

describe('a machine already in a window', () => {
  let first: string;

  test('another window naming it: 409 naming the machine and the window, and nothing reserved', async () => {
    first = await create({ machines: [sim(1)], drainWithin: '1h' });
    expect(first).toBe('w-1'); // nothing before it took a window number
    const before = await windowState(first);

    const clash = await send('POST', '/api/v1/windows', { machines: [sim(2), sim(1)], drainWithin: '1h' });
    expectError(clash, 409, 'machines[1]', `already in window ${first}`);
    expect(clash.body.message).toContain('sim-01');

    // The same machine by Mesos equality: hostnames compare lowercased.
    const shouting = await send('POST', '/api/v1/windows', {
      machines: [sim(2), { hostname: 'SIM-01', ip: '192.0.2.1' }],
      drainWithin: '2h',
    });
    expectError(shouting, 409, 'machines[1]', `already in window ${first}`);

    // All or nothing: sim-02 went into no window, and no window number was used.
    await expectFreeMachine('sim-02');
    expectError(await send('GET', '/api/v1/windows/w-2'), 404);
    expect((await windowState(first)).deadline).toBe(before.deadline);
  });

  test('once its only machine is DOWN, the window refuses extend and down with 409', async () => {
    // sim-01 runs only the cooperative mover: it empties and goes DOWN long before its deadline.
    await stack.eventually(
      'sim-01 DOWN',
      async () => ((await getWindow(first)).machines[0].mode === 'DOWN' ? true : undefined),
      20_000,
    );
    const before = await windowState(first);
    expectError(await send('POST', `/api/v1/windows/${first}/extend`, { by: '1h' }), 409, undefined, 'no machine');
    const down = await send('POST', `/api/v1/windows/${first}/down`, { machines: [sim(1)] });
    expectError(down, 409, 'machines[0]', 'DOWN');
    expectError(await send('POST', `/api/v1/windows/${first}/down`), 409, undefined, 'nothing to bring down');
    expect(await windowState(first)).toEqual(before);
  });
});

// ---- window actions ------------------------------------------------------------------------------------------------

describe('window actions', () => {
  const ACTIONS: [method: string, suffix: string, body?: unknown][] = [
    ['GET', ''],
    ['POST', '/extend', { by: '1h' }],
    ['POST', '/cancel'],
    ['POST', '/down'],
    ['POST', '/up'],
  ];

  test.each(ACTIONS)('%s on an unknown window w-999%s: 404', async (...[method, suffix, body]) => {
    const reply = await send(method, `/api/v1/windows/w-999${suffix}`, body);
    expectError(reply, 404, undefined, 'window w-999 does not exist');
  });

  test.each(ACTIONS)('%s on a malformed window id abc%s: 400 naming the id', async (...[method, suffix, body]) => {
    expectError(await send(method, `/api/v1/windows/abc${suffix}`, body), 400, 'id', 'a window id looks like w-12');
  });

  let id: string;
  let initial: Awaited<ReturnType<typeof windowState>>;

  test('a DRAINING window refuses bad extensions, up, and down of machines it lacks, and stays as it was', async () => {
    // sim-06 runs the mover, the decliner and the silent framework: it stays DRAINING until its deadline (1h).
    id = await create({ machines: [sim(6)], drainWithin: '1h' });
    initial = await windowState(id);
    const earlier = new Date(Date.parse(initial.deadline) - 60_000).toISOString();
    const later = new Date(Date.parse(initial.deadline) + 60_000).toISOString();

    type Refusal = [what: string, suffix: string, body: unknown, status: number, field?: string, message?: string];
    const refusals: Refusal[] = [
      ['extend {}', '/extend', {}, 400, 'by', 'give exactly one of "by" or "deadline"'],
      ['extend with no body', '/extend', undefined, 400, 'body'],
      ['extend with invalid JSON', '/extend', '{"by":', 400, 'body', 'not valid JSON'],
      ['extend by 0s', '/extend', { by: '0s' }, 400, 'by', 'must be longer than 0s'],
      ['extend by -1h', '/extend', { by: '-1h' }, 400, 'by'],
      ['extend by "soon"', '/extend', { by: 'soon' }, 400, 'by', 'not a duration'],
      ['extend by and to a deadline', '/extend', { by: '1h', deadline: later }, 400, 'by', 'exactly one of'],
      ['extend to an earlier deadline', '/extend', { deadline: earlier }, 400, 'deadline', 'later than the current'],
      ['extend to the same deadline', '/extend', { deadline: initial.deadline }, 400, 'deadline', 'later than the'],
      ['extend to "tomorrow"', '/extend', { deadline: 'tomorrow' }, 400, 'deadline'],
      ['extend with an unknown field', '/extend', { by: '1h', force: true }, 400, 'force'],
      ['up with nothing DOWN', '/up', undefined, 409, undefined, 'nothing to bring up'],
      ['up of a DRAINING machine', '/up', { machines: [sim(6)] }, 409, 'machines[0]', 'DRAINING'],
      ['down of a machine not in the window', '/down', { machines: [sim(7)] }, 400, 'machines[0]', `window ${id}`],
      ['down of one in, one not in the window', '/down', { machines: [sim(6), sim(7)] }, 400, 'machines[1]', 'not in'],
      ['down of an empty list', '/down', { machines: [] }, 400, 'machines'],
      ['down of a machine with no name', '/down', { machines: [{}] }, 400, 'machines[0]', "Both 'hostname' and 'ip'"],
      ['down of an IPv6 machine', '/down', { machines: [{ ip: '::1' }] }, 400, 'machines[0].ip', 'parse IPv4: ::1'],
      ['down with a typo', '/down', { machine: [sim(6)] }, 400, 'machine'],
      ['down with invalid JSON', '/down', '{"machines": [', 400, 'body'],
    ];
    for (const [what, suffix, body, status, field, message] of refusals) {
      const reply = await send('POST', `/api/v1/windows/${id}${suffix}`, body);
      try {
        expectError(reply, status, field, message);
        expect(await windowState(id)).toEqual(initial);
      } catch (err) {
        throw new Error(`${what}: ${(err as Error).message}`);
      }
    }
    const w = await getWindow(id);
    expect(w.machines.map((m: any) => m.mode)).toEqual(['DRAINING']);
  });

  test('a cancelled window refuses cancel, down, up and extend with 409 and stays cancelled', async () => {
    const cancelled = await change('POST', `/api/v1/windows/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('CANCELLED');
    const after = await windowState(id);
    expect(after.deadline).toBe(initial.deadline);

    const refusals: [string, unknown][] = [
      ['/cancel', undefined],
      ['/down', undefined],
      ['/down', { machines: [sim(6)] }],
      ['/up', { machines: [sim(6)] }],
      ['/extend', { by: '1h' }],
    ];
    for (const [suffix, body] of refusals) {
      const reply = await send('POST', `/api/v1/windows/${id}${suffix}`, body);
      try {
        expectError(reply, 409);
        const now = await windowState(id);
        expect({ state: now.state, deadline: now.deadline, cancelledAt: now.cancelledAt }).toEqual({
          state: 'CANCELLED',
          deadline: after.deadline,
          cancelledAt: after.cancelledAt,
        });
      } catch (err) {
        throw new Error(`${suffix} ${JSON.stringify(body)} after cancel: ${(err as Error).message}`);
      }
    }
    expectError(await send('POST', `/api/v1/windows/${id}/cancel`), 409, undefined, 'CANCELLED');
  });
});

// ---- POST /api/v1/scheduler ----------------------------------------------------------------------------------------

describe('POST /api/v1/scheduler', () => {
  const accept = (frameworkId: string, offerIds: string[]) => ({
    type: 'ACCEPT_INVERSE_OFFERS',
    framework_id: { value: frameworkId },
    accept_inverse_offers: { inverse_offer_ids: offerIds.map((value) => ({ value })) },
  });
  const ACCEPT_IDS = 'accept_inverse_offers.inverse_offer_ids';
  const decline = (frameworkId: string, offerIds: string[]) => ({
    type: 'DECLINE_INVERSE_OFFERS',
    framework_id: { value: frameworkId },
    decline_inverse_offers: { inverse_offer_ids: offerIds.map((value) => ({ value })) },
  });
  const subscribe = (url: string) => ({
    type: 'SUBSCRIBE',
    subscribe: { framework_info: { id: { value: 'fw-test' }, name: 'test' }, webhook: { url } },
  });

  test.each<[string, unknown, string]>([
    ['invalid JSON', '{"type":', 'body'],
    ['no type', {}, 'type'],
    ['a call type maint does not take', { type: 'REVIVE', framework_id: { value: 'mover' } }, 'type'],
    ['a call type in lower case', { ...accept('mover', ['x']), type: 'accept_inverse_offers' }, 'type'],
    ['ACCEPT_INVERSE_OFFERS without framework_id', { ...accept('mo', ['x']), framework_id: undefined }, 'framework_id'],
    ['ACCEPT_INVERSE_OFFERS with an empty framework id', accept('', ['x']), 'framework_id.value'],
    ['ACCEPT_INVERSE_OFFERS with an empty offer id', accept('mover', ['']), `${ACCEPT_IDS}[0].value`],
    [
      'ACCEPT_INVERSE_OFFERS without accept_inverse_offers',
      { ...accept('mover', ['x']), accept_inverse_offers: undefined },
      'accept_inverse_offers',
    ],
    [
      'DECLINE_INVERSE_OFFERS with ids not a list',
      { ...decline('mover', []), decline_inverse_offers: { inverse_offer_ids: 'x' } },
      'decline_inverse_offers.inverse_offer_ids',
    ],
    ['SUBSCRIBE with an ftp webhook', subscribe('ftp://example.com/events'), 'subscribe.webhook.url'],
    ['SUBSCRIBE with a file webhook', subscribe('file:///etc/passwd'), 'subscribe.webhook.url'],
    ['SUBSCRIBE with a webhook that is not a URL', subscribe('not a url'), 'subscribe.webhook.url'],
    [
      'SUBSCRIBE without a framework id',
      { type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'test' } } },
      'subscribe.framework_info.id',
    ],
    [
      'SUBSCRIBE with an empty name',
      { type: 'SUBSCRIBE', subscribe: { framework_info: { id: { value: 'fw-test' }, name: '' } } },
      'subscribe.framework_info.name',
    ],
  ])('%s: 400 naming the field', async (_name, body, field) => {
    expectError(await send('POST', '/api/v1/scheduler', body), 400, field);
  });

  test('answers with unknown, stale or foreign inverse offer ids: 202 and nothing happens (as Mesos)', async () => {
    // sim-03 runs the mover and the silent framework: silent's inverse offer stays outstanding.
    const id = await create({ machines: [sim(3)], drainWithin: '1h' });
    const offer = await stack.eventually(
      "silent's inverse offer for sim-03",
      async () => (await getWindow(id)).machines[0].outstandingOffers.find((o: any) => o.frameworkId === 'silent'),
      20_000,
    );
    const instance = stack.env.MAINT_INSTANCE!;
    const unknown = [
      'nonsense',
      `${instance}/machine/${machineKey(sim(19))}/no-such-offer`, // a machine in no window: no workflow
      `other-instance/machine/${machineKey(sim(3))}/x`,
      `${offer.offerId}-stale`, // the right machine, an offer it never made
    ];
    for (const call of [
      accept('silent', unknown),
      decline('silent', unknown),
      accept('decliner', [offer.offerId]), // another framework's offer
      accept('silent', []),
    ]) {
      const reply = await send('POST', '/api/v1/scheduler', call);
      expect({ call, status: reply.status, body: reply.body }).toEqual({ call, status: 202, body: undefined });
    }
    // A framework that never subscribed has no inverse offers to answer: 404 naming it, and nothing happens.
    const ghost = await send('POST', '/api/v1/scheduler', accept('ghost', [offer.offerId]));
    expect(ghost.status).toBe(404);

    // Signals reach the machine in order: once the real answer shows, every one above has been taken in.
    const real = await change('POST', '/api/v1/scheduler', decline('silent', [offer.offerId]));
    expect(real.status).toBe(202);
    const machine = await stack.eventually(
      "silent's real answer on sim-03",
      async () => {
        const m = (await getWindow(id)).machines[0];
        return m.answers.some((a: any) => a.frameworkId === 'silent') ? m : undefined;
      },
      20_000,
    );
    expect(machine.answers.filter((a: any) => a.frameworkId !== 'mover')).toEqual([
      expect.objectContaining({ frameworkId: 'silent', answer: 'DECLINE', offerId: offer.offerId, late: false }),
    ]);
    expect(machine.mode).toBe('DRAINING');
  });
});

// ---- values too large for the workflows ----------------------------------------------------------------------------
// Last in the file: when these are not refused up front they break workflows (a window's or a machine's workflow task
// fails for good, and every request that queries it hangs or fails), so nothing after them should depend on them.

describe('values the workflows cannot hold are refused up front', () => {
  // Machine workflow ids embed the percent-encoded hostname, and Temporal takes ids of at most 1000 bytes: 1100
  // letters, or 100 emoji (200 UTF-16 units, under any 253-character limit, but 1200 bytes once encoded).
  test.each<[string, string]>([
    ['1100 letters', 'h'.repeat(1_100)],
    ['100 emoji', '\u{1F642}'.repeat(100)],
  ])('a hostname too long for a workflow id (%s): 400 naming it, or a window that works', async (_name, hostname) => {
    // (No before/after listing here: today a window broken this way also stalls GET /api/v1/windows.)
    const reply = await change('POST', '/api/v1/windows', { machines: [{ hostname }], drainWithin: '1h' });
    if (reply.status === 201) {
      const w = await getWindow(reply.body.id);
      expect(w.machines).toEqual([expect.objectContaining({ id: { hostname }, mode: 'DRAINING' })]);
      return;
    }
    expectError(reply, 400, 'machines[0].hostname');
  });

  test('a duration past the last date JavaScript holds: 400 naming it', async () => {
    // 100000000d from now is after +275760-09-13, the largest Date: toISOString throws in the machine workflow.
    const body = { machines: [sim(12)], drainWithin: '1h', duration: '100000000d' };
    expectError(await send('POST', '/api/v1/windows', body), 400, 'duration');
  });

  test('an extension past the last date: 400 naming it, and the window stays as it was', async () => {
    // sim-14 runs the mover and the decliner: it stays DRAINING.
    const id = await create({ machines: [sim(14)], drainWithin: '1h' });
    const before = await windowState(id);
    expectError(await send('POST', `/api/v1/windows/${id}/extend`, { by: '100000000d' }), 400, 'by');
    expect(await windowState(id)).toEqual(before);
  });

  test('a drainWithin past the last date: 400 naming it, and windows can still be created', async () => {
    const reply = await send('POST', '/api/v1/windows', { machines: [sim(16)], drainWithin: '100000000d' });
    expectError(reply, 400, 'drainWithin');
    await create({ machines: [sim(17)], drainWithin: '1h' });
  });
});
