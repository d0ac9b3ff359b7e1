// Bad requests over real HTTP (API, worker and simulated fleet as processes): every one gets a 4xx JSON error
// {error, message, field?} that names the field, answers quickly, and changes nothing. No answer in this file is a 5xx.
import { gzipSync } from 'node:zlib';
import { machineKey } from '../../src/domain/machine';
import { Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  process.stderr.write('TRACE start\n');
  stack = await Stack.start({ machines: 20, checkInterval: '1s', taskGrace: '500ms' });
});
afterAll(() => stack?.stop());

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });

// ---- one way to ask, and one way to check a refusal ------------------------------------------------------------

/** Every request here answers well within this; a request that hangs is a bug of its own. */
const REPLY_MS = 4_000;

interface Reply {
  status: number;
  body: any;
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
): Promise<Reply> {
  const payload =
    body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  let res: Response;
  process.stderr.write(`TRACE ${method} ${path.slice(0, 80)}\n`);
  try {
    res = await fetch(`${stack.apiUrl}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(REPLY_MS) });
  } catch (err) {
    throw new Error(`${method} ${path}: no answer within ${REPLY_MS} ms (${(err as Error).message})`);
  }
  process.stderr.write(`TRACE got ${res.status}\n`);
  const text = await res.text();
  process.stderr.write(`TRACE text ${text.slice(0, 200)}\n`);
  if (res.status >= 500) throw new Error(`${method} ${path} answered ${res.status}, a server error: ${text.slice(0, 500)}`);
  if (text && !/^application\/json\b/.test(res.headers.get('content-type') ?? '')) {
    throw new Error(`${method} ${path} answered ${res.status} with ${res.headers.get('content-type')}: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
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
    error: CODE[actual],
    message: message === undefined ? expect.any(String) : expect.stringContaining(message),
  };
  if (field !== undefined) body.field = field;
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: actual, body });
}

async function windowIds(): Promise<string[]> {
  const { status, body } = await send('GET', '/api/v1/windows');
  expect(status).toBe(200);
  return body.windows.map((w: { id: string }) => w.id).sort();
}

/** Creates a window (must succeed) and returns its id. */
async function create(body: unknown): Promise<string> {
  const reply = await send('POST', '/api/v1/windows', body);
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 201, body: { state: 'ACTIVE' } });
  return reply.body.id;
}

async function getWindow(id: string): Promise<any> {
  const reply = await send('GET', `/api/v1/windows/${id}`);
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
  ['an IPv6 ip', { ...good, machines: [{ hostname: 'sim-01', ip: '::1' }] }, 400, 'machines[0].ip', 'Failed to parse IPv4: ::1'],
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
  ['both drainWithin and start', { ...good, start: inAnHour }, 400, 'start', 'give exactly one of "drainWithin" or "start"'],
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
  ['a __proto__ key', '{"machines":[{"hostname":"sim-01"}],"__proto__":{"drainWithin":"1h"}}', 400, undefined],
  ['a machine twice', { ...good, machines: [M1, sim(2), M1] }, 400, 'machines', 'appears more than once'],
  [
    'a machine twice, its hostname in other case (Mesos equality)',
    { ...good, machines: [{ hostname: 'sim-01' }, { hostname: 'SIM-01' }] },
    400,
    'machines',
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
const badRawWindows: BadRaw[] = [
  ['no body and no content type', undefined, {}, 400, 'body'],
  // 415 would say it better; 400 naming the body is acceptable.
  ['a JSON window sent as text/plain', JSON.stringify(good), { 'Content-Type': 'text/plain' }, [400, 415], undefined],
  ['a JSON window sent as a form', JSON.stringify(good), { 'Content-Type': 'application/x-www-form-urlencoded' }, [400, 415], undefined],
  ['an empty JSON body', '', JSON_TYPE, 400, 'machines'],
  ['an unknown charset', JSON.stringify(good), { 'Content-Type': 'application/json; charset=latin9' }, 415, undefined],
  ['an unknown content encoding', JSON.stringify(good), { ...JSON_TYPE, 'Content-Encoding': 'x-nope' }, 415, undefined],
  ['gzip encoding of bytes that are not gzip', JSON.stringify(good), { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, 400, 'body'],
  [
    'a body over 1 MB',
    JSON.stringify({ ...good, machines: [{ hostname: 'x'.repeat(1_100_000) }] }),
    JSON_TYPE,
    413,
    undefined,
  ],
  [
    'a gzip body that inflates to over 1 MB',
    gzipSync(JSON.stringify({ ...good, pad: ' '.repeat(2_000_000) })),
    { ...JSON_TYPE, 'Content-Encoding': 'gzip' },
    413,
    undefined,
  ],
];

describe('POST /api/v1/windows refuses a bad window and creates nothing', () => {
  let before: string[];
  beforeAll(async () => {
    before = await windowIds();
  });

  test.each(badWindows)('%s', async (_name, body, status, field, message) => {
    expectError(await send('POST', '/api/v1/windows', body), status, field, message);
  });

  test.each(badRawWindows)('%s', async (_name, body, headers, status, field, message) => {
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
  test.each<[string, string, string]>([
    ['a malformed window id', '/api/v1/windows/abc', 'id'],
    ['a window id that is not valid percent-encoding', '/api/v1/windows/%E0%A4%A', 'id'],
    ['a machine that is not valid percent-encoding', '/api/v1/machines/%zz', 'machine'],
    ['a machine name over 255 characters', `/api/v1/machines/${'x'.repeat(300)}`, 'machine'],
    ['limit 0', '/api/v1/windows?limit=0', 'limit'],
    ['limit "many"', '/api/v1/windows?limit=many', 'limit'],
    ['limit over 1000', '/api/v1/windows?limit=1001', 'limit'],
  ])('%s: 400 naming the parameter', async (_name, path, field) => {
    expectError(await send('GET', path), 400, field);
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

  // Express routes by method too, so a known path with the wrong method is a 404 today; 405 with Allow would be better.
  test.each<[string, string]>([
    ['DELETE', '/api/v1/windows/w-1'],
    ['PUT', '/api/v1/windows'],
    ['PATCH', '/api/v1/windows/w-1'],
    ['GET', '/api/v1/windows/w-1/cancel'],
    ['GET', '/api/v1/scheduler'],
  ])('a wrong method, %s %s: 404 or 405 JSON', async (method, path) => {
    expectError(await send(method, path), [405, 404]);
  });
});

// ---- conflicts ---------------------------------------------------------------------------------------------------

describe('a machine already in a window', () => {
  let first: string;

  test('another window naming it is refused with 409 naming the machine and the window, and reserves nothing', async () => {
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
    expectError(await send('POST', `/api/v1/windows/${first}/down`, { machines: [sim(1)] }), 409, 'machines[0]', 'DOWN');
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

  test.each(ACTIONS)('%s on an unknown window w-999%s: 404', async (method, suffix, body) => {
    expectError(await send(method, `/api/v1/windows/w-999${suffix}`, body), 404, undefined, 'window w-999 does not exist');
  });

  test.each(ACTIONS)('%s on a malformed window id abc%s: 400 naming the id', async (method, suffix, body) => {
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

    const refusals: [what: string, suffix: string, body: unknown, status: number, field?: string, message?: string][] = [
      ['extend {}', '/extend', {}, 400, 'by', 'give exactly one of "by" or "deadline"'],
      ['extend with no body', '/extend', undefined, 400, 'body'],
      ['extend with invalid JSON', '/extend', '{"by":', 400, 'body', 'not valid JSON'],
      ['extend by 0s', '/extend', { by: '0s' }, 400, 'by', 'must be longer than 0s'],
      ['extend by -1h', '/extend', { by: '-1h' }, 400, 'by'],
      ['extend by "soon"', '/extend', { by: 'soon' }, 400, 'by', 'not a duration'],
      ['extend by and to a deadline', '/extend', { by: '1h', deadline: later }, 400, 'by', 'exactly one of "by" or "deadline"'],
      ['extend to an earlier deadline', '/extend', { deadline: earlier }, 400, 'deadline', 'later than the current one'],
      ['extend to the same deadline', '/extend', { deadline: initial.deadline }, 400, 'deadline', 'later than the current one'],
      ['extend to "tomorrow"', '/extend', { deadline: 'tomorrow' }, 400, 'deadline'],
      ['extend with an unknown field', '/extend', { by: '1h', force: true }, 400, 'force'],
      ['up with nothing DOWN', '/up', undefined, 409, undefined, 'nothing to bring up'],
      ['up of a DRAINING machine', '/up', { machines: [sim(6)] }, 409, 'machines[0]', 'DRAINING'],
      ['down of a machine not in the window', '/down', { machines: [sim(7)] }, 400, 'machines[0]', `is not in window ${id}`],
      ['down of one in and one not in the window', '/down', { machines: [sim(6), sim(7)] }, 400, 'machines[1]', 'not in window'],
      ['down of an empty list', '/down', { machines: [] }, 400, 'machines'],
      ['down of a machine with no name', '/down', { machines: [{}] }, 400, 'machines[0]', "Both 'hostname' and 'ip'"],
      ['down of an IPv6 machine', '/down', { machines: [{ ip: '::1' }] }, 400, 'machines[0].ip', 'Failed to parse IPv4: ::1'],
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
    const cancelled = await send('POST', `/api/v1/windows/${id}/cancel`);
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
  const subscribe = (url: string) => ({
    type: 'SUBSCRIBE',
    subscribe: { framework_info: { id: { value: 'fw-test' }, name: 'test' }, webhook: { url } },
  });

  test.each<[string, unknown, string]>([
    ['invalid JSON', '{"type":', 'body'],
    ['no type', {}, 'type'],
    ['an unknown call type', { type: 'TEARDOWN', framework_id: { value: 'mover' } }, 'type'],
    ['a call type in lower case', { ...accept('mover', ['x']), type: 'accept_inverse_offers' }, 'type'],
    ['ACCEPT_INVERSE_OFFERS without framework_id', { ...accept('mover', ['x']), framework_id: undefined }, 'framework_id'],
    ['ACCEPT_INVERSE_OFFERS with an empty framework id', accept('', ['x']), 'framework_id.value'],
    ['ACCEPT_INVERSE_OFFERS without accept_inverse_offers', { type: 'ACCEPT_INVERSE_OFFERS', framework_id: { value: 'mover' } }, 'accept_inverse_offers'],
    [
      'DECLINE_INVERSE_OFFERS with ids not a list',
      { type: 'DECLINE_INVERSE_OFFERS', framework_id: { value: 'mover' }, decline_inverse_offers: { inverse_offer_ids: 'x' } },
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
      '',
      `${instance}/machine/${machineKey(sim(19))}/no-such-offer`, // a machine in no window: no workflow
      `other-instance/machine/${machineKey(sim(3))}/x`,
      `${offer.offerId}-stale`, // the right machine, an offer it never made
    ].filter((x) => x !== '');
    for (const call of [
      accept('silent', unknown),
      { type: 'DECLINE_INVERSE_OFFERS', framework_id: { value: 'silent' }, decline_inverse_offers: { inverse_offer_ids: unknown.map((value) => ({ value })) } },
      accept('decliner', [offer.offerId]), // another framework's offer
      accept('ghost', [offer.offerId]), // a framework that never subscribed
      accept('silent', []),
    ]) {
      const reply = await send('POST', '/api/v1/scheduler', call);
      expect({ call, status: reply.status, body: reply.body }).toEqual({ call, status: 202, body: undefined });
    }

    // Signals reach the machine in order: once the real answer shows, every one above has been taken in.
    const real = await send('POST', '/api/v1/scheduler', {
      type: 'DECLINE_INVERSE_OFFERS',
      framework_id: { value: 'silent' },
      decline_inverse_offers: { inverse_offer_ids: [{ value: offer.offerId }] },
    });
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
// Last in the file: when these are not refused up front they break workflows (a window, a machine, or the schedule
// itself), and a broken schedule refuses every later window.

describe('values the workflows cannot hold are refused up front', () => {
  test('a hostname too long for a workflow id: 400 naming it, and no window is created', async () => {
    const before = await windowIds();
    const long = await send('POST', '/api/v1/windows', { machines: [{ hostname: 'h'.repeat(1_100) }], drainWithin: '1h' });
    expectError(long, 400, 'machines[0].hostname');
    expect(await windowIds()).toEqual(before);
  });

  test('a duration past the last date JavaScript holds: 400 naming it', async () => {
    // 100000000d from now is after +275760-09-13, the largest Date: toISOString throws in the machine workflow.
    const reply = await send('POST', '/api/v1/windows', { machines: [sim(12)], drainWithin: '1h', duration: '100000000d' });
    expectError(reply, 400, 'duration');
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
