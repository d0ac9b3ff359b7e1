// Hostile input on the Mesos endpoints (and the native and scheduler ones where it applies), table by table, against
// the real processes: malformed JSON, huge bodies, deep nesting, int64 overflow, addresses that are not IPv4, unicode
// hostnames and duplicate keys. Each row is a body, the status and the exact text Mesos would answer (maint's JSON
// error on the native endpoints), and, for a refusal, the schedule and every machine's mode unchanged afterwards.
// Never a 5xx. Mesos' texts come from its parser (picojson + stout, ported in src/mesos/proto-json.ts) and its rules
// (../shared/docs/mesos-maintenance.md §3).
import { Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start({ machines: 6 });
}, 120_000);

afterAll(() => stack?.stop());

// Every test starts from the baseline: sim-03 DRAINING in a one-hour window, nothing DOWN.
beforeEach(async () => {
  const status = await stack.mesos('GET', '/master/maintenance/status');
  const down = status.json?.down_machines ?? [];
  if (down.length > 0) expect(await stack.mesos('POST', '/master/machine/up', down)).toMatchObject({ status: 200 });
  expect(await stack.mesos('POST', '/master/maintenance/schedule', BASELINE)).toMatchObject({ status: 200, text: '' });
  expect((await stack.mesos('GET', '/master/maintenance/schedule')).text).toBe(BASELINE);
});

const BASELINE_WINDOW =
  '{"machine_ids":[{"hostname":"sim-03","ip":"192.0.2.3"}],' +
  '"unavailability":{"start":{"nanoseconds":1443830400000000000},"duration":{"nanoseconds":3600000000000}}}';
const BASELINE = `{"windows":[${BASELINE_WINDOW}]}`;

const SCHEDULE_PATHS = ['/master/maintenance/schedule', '/maintenance/schedule'];
const LIST_PATHS = ['/master/machine/down', '/machine/down', '/master/machine/up', '/machine/up'];
const MESOS_PATHS = [...SCHEDULE_PATHS, ...LIST_PATHS, '/api/v1'];
const JSON_TYPE = { 'Content-Type': 'application/json' };

interface Reply {
  status: number;
  text: string;
  type: string | null;
}

/**
 * Exactly this request; the answer as text. A 5xx fails the test whatever the row expected, but 501: Mesos' answer to
 * a call it knows and does not serve.
 */
async function send(path: string, body: string | Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = JSON_TYPE): Promise<Reply> {
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, body };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const res = await fetch(`${stack.apiUrl}${path}`, init);
  const text = await res.text();
  if (res.status >= 500 && res.status !== 501) throw new Error(`POST ${path} answered ${res.status}, a server error: ${text.slice(0, 300)}`);
  return { status: res.status, text, type: res.headers.get('content-type') };
}

/** The schedule as text and every machine's mode. */
async function snapshot(): Promise<{ schedule: string; draining: unknown; down: unknown }> {
  const [s, st] = await Promise.all([stack.mesos('GET', '/master/maintenance/schedule'), stack.mesos('GET', '/master/maintenance/status')]);
  expect([s.status, st.status]).toEqual([200, 200]);
  return { schedule: s.text, draining: (st.json.draining_machines ?? []).map((m: any) => m.id), down: st.json.down_machines ?? [] };
}

/** A Mesos refusal: this status and exactly this plain text. */
function expectMesos(reply: Reply, status: number, text: string): void {
  expect({ status: reply.status, text: reply.text }).toEqual({ status, text });
  if (text !== '') expect(reply.type).toMatch(/^text\/plain\b/);
}

/** The v1 operator API's text for a body picojson refuses. */
const v1Json = (text: string) => `Failed to parse body into JSON: ${text}`;
/** The v1 operator API's text for JSON stout cannot convert into a Call. */
const v1Proto = (text: string) => `Failed to convert JSON into Call protobuf: ${text}`;
const update = (schedule: string) => `{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":${schedule}}}`;

/**
 * picojson's text when nesting passes stout's limit of 200: it fails on the 201st opening bracket or brace, and the
 * text is the rest of the line after it.
 */
function tooDeep(body: string): string {
  let openers = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '[' || body[i] === '{') openers++;
    if (openers === 201) return `syntax error at line 1 near: ${body.slice(i + 1)}`;
  }
  throw new Error('not nested past 200');
}

// ---- malformed JSON -----------------------------------------------------------------------------------------------

// [name, body, picojson's text]: the same on every Mesos endpoint, as the body is refused before its type matters.
const malformed: [string, string, string][] = [
  ['an empty body', '', 'syntax error at line 1 near: '],
  ['a body cut short', '{"windows":[', 'syntax error at line 1 near: '],
  ['a trailing comma', '{"windows":[],}', 'syntax error at line 1 near: }'],
  ['single quotes', "{'windows':[]}", "syntax error at line 1 near: 'windows':[]}"],
  ['NaN', '{"windows":NaN}', 'syntax error at line 1 near: NaN}'],
  ['a comment', '{/*c*/}', 'syntax error at line 1 near: /*c*/}'],
  ['a raw tab inside a string', '{"windows":[{"machine_ids":[{"hostname":"a\tb"}]}]}', 'syntax error at line 1 near: b"}]}]}'],
  ['an error on the third line', '{\n"windows": [\n}\n', 'syntax error at line 3 near: }'],
  ['a byte order mark', '\ufeff{}', 'syntax error at line 1 near: \ufeff{}'],
  ['an unknown escape', '{"a":"\\x"}', 'syntax error at line 1 near: "}'],
  ['a lone low surrogate escape', '{"a":"\\udc00"}', 'syntax error at line 1 near: "}'],
  ['two documents', '{} {}', 'Parsed JSON included non-whitespace trailing characters:  {}'],
  ['a number glued to the document', '{}1', 'Parsed JSON included non-whitespace trailing characters: 1'],
];

describe('malformed JSON → 400 with picojson\'s text on every Mesos endpoint, nothing changes', () => {
  test.each(malformed)('%s', async (_name, body, text) => {
    const before = await snapshot();
    for (const path of [...SCHEDULE_PATHS, ...LIST_PATHS]) expectMesos(await send(path, body), 400, text);
    expectMesos(await send('/api/v1', body), 400, v1Json(text));
    expect(await snapshot()).toEqual(before);
  });

  test('bytes that are not UTF-8 inside a string are kept as text, not a 5xx', async () => {
    const before = await snapshot();
    const body = Buffer.concat([Buffer.from('[{"hostname":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}]')]);
    expectMesos(await send('/master/machine/up', body), 400, `Machine '{"hostname":"a\ufffd\ufffdb"}' is not part of a maintenance schedule`);
    expect(await snapshot()).toEqual(before);
  });

  test('the Content-Type\'s charset is ignored (Mesos reads bytes): a latin9 label still parses as UTF-8', async () => {
    expectMesos(await send('/master/maintenance/schedule', BASELINE, { 'Content-Type': 'application/json; charset=latin9' }), 200, '');
    expect((await snapshot()).schedule).toBe(BASELINE);
  });

  test('native and scheduler endpoints: 400 JSON naming the body', async () => {
    for (const path of ['/api/v1/windows', '/api/v1/scheduler', '/api/v1/windows/w-1/extend']) {
      const reply = await send(path, '{"machines":[,]}');
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.text)).toMatchObject({ error: 'INVALID', field: 'body', message: expect.stringMatching(/^body: not valid JSON: /) });
    }
  });
});

// ---- huge bodies --------------------------------------------------------------------------------------------------

describe('bodies over the limit → a clear 413, read to the end and refused, nothing changes', () => {
  // Whitespace only: were it read, it would be valid JSON's padding, so only the limit can refuse it.
  const MESOS_LIMIT = 64 * 1024 * 1024;
  const MESOS_TEXT = 'Request body is larger than the 64 MiB maint accepts';

  test('each Mesos endpoint, with a Content-Length one byte over 64 MiB', async () => {
    const before = await snapshot();
    const body = new Uint8Array(MESOS_LIMIT + 1).fill(0x20);
    for (const path of MESOS_PATHS) expectMesos(await send(path, body, JSON_TYPE), 413, MESOS_TEXT);
    expect(await snapshot()).toEqual(before);
  });

  test('a chunked body (no Content-Length) that grows past 64 MiB', async () => {
    const before = await snapshot();
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MESOS_LIMIT) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    expectMesos(await send('/master/maintenance/schedule', stream), 413, MESOS_TEXT);
    expect(await snapshot()).toEqual(before);
  });

  test('native and scheduler endpoints: one byte over 1 MiB', async () => {
    const before = await snapshot();
    const body = new Uint8Array(1024 * 1024 + 1).fill(0x20);
    for (const path of ['/api/v1/windows', '/api/v1/scheduler', '/api/v1/scheduler/placement', '/api/v1/windows/w-1/extend']) {
      const reply = await send(path, body);
      expect({ status: reply.status, body: JSON.parse(reply.text) }).toEqual({
        status: 413,
        body: {
          error: 'PAYLOAD_TOO_LARGE',
          message: 'body: larger than the API accepts (1 MiB); send less, e.g. fewer machines per request',
          field: 'body',
        },
      });
    }
    expect(await snapshot()).toEqual(before);
  });
});

// ---- deep nesting -------------------------------------------------------------------------------------------------

describe('deep nesting → 400 at stout\'s depth of 200, no stack overflow, nothing changes', () => {
  const arrays = (n: number, inner = '') => '['.repeat(n) + inner + ']'.repeat(n);

  test('100,000 nested arrays on every Mesos endpoint', async () => {
    const before = await snapshot();
    const list = arrays(100_000);
    const schedule = `{"windows":${list}}`;
    for (const path of SCHEDULE_PATHS) expectMesos(await send(path, schedule), 400, tooDeep(schedule));
    for (const path of LIST_PATHS) expectMesos(await send(path, list), 400, tooDeep(list));
    expectMesos(await send('/api/v1', list), 400, v1Json(tooDeep(list)));
    expect(await snapshot()).toEqual(before);
  });

  test('100,000 nested objects', async () => {
    const before = await snapshot();
    const body = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expectMesos(await send('/master/maintenance/schedule', body), 400, tooDeep(body));
    expectMesos(await send('/api/v1', body), 400, v1Json(tooDeep(body)));
    expect(await snapshot()).toEqual(before);
  });

  test('the limit itself: a schedule nested 200 deep is read (nested windows flatten), 201 deep is refused', async () => {
    // The object, 196 arrays, the window, its unavailability and start: 200.
    const deepest = `{"windows":${arrays(196, BASELINE_WINDOW)}}`;
    expectMesos(await send('/master/maintenance/schedule', deepest), 200, '');
    expect((await snapshot()).schedule).toBe(BASELINE);
    const before = await snapshot();
    const tooMuch = `{"windows":${arrays(197, BASELINE_WINDOW.replace('sim-03', 'sim-04'))}}`;
    expectMesos(await send('/master/maintenance/schedule', tooMuch), 400, tooDeep(tooMuch));
    expect(await snapshot()).toEqual(before);
  });

  test('native and scheduler endpoints: 400 JSON naming the field', async () => {
    const deep = arrays(100_000);
    const windows = await send('/api/v1/windows', `{"machines":${deep},"drainWithin":"1h"}`);
    expect(windows.status).toBe(400);
    expect(JSON.parse(windows.text)).toMatchObject({ error: 'INVALID', field: 'machines[0]' });
    const scheduler = await send('/api/v1/scheduler', `{"type":"SUBSCRIBE","subscribe":${deep}}`);
    expect(scheduler.status).toBe(400);
    expect(JSON.parse(scheduler.text)).toMatchObject({ error: 'INVALID', field: expect.stringMatching(/^subscribe/) });
  });
});

// ---- int64 --------------------------------------------------------------------------------------------------------

const windowWith = (start: string, duration?: string) =>
  `{"windows":[{"machine_ids":[{"hostname":"sim-04","ip":"192.0.2.4"}],"unavailability":{"start":{"nanoseconds":${start}}` +
  `${duration === undefined ? '' : `,"duration":{"nanoseconds":${duration}}`}}}]}`;

describe('int64 nanoseconds beyond their range, as Mesos takes them', () => {
  // Refused: [name, schedule, text on /master/maintenance/schedule, text on v1].
  const refused: [string, string, string, string][] = [
    ['a start of 1e400 (no double holds it)', windowWith('1e400'), 'Value out of range', v1Json('Value out of range')],
    [
      'a start of "1e400" as a string',
      windowWith('"1e400"'),
      "Failed to parse '1e400' as a JSON number for field 'nanoseconds': Value out of range",
      v1Proto("Failed to parse '1e400' as a JSON number for field 'nanoseconds': Value out of range"),
    ],
    // 2^64 is a double; static_cast<int64_t> of it is INT64_MIN on x86-64, a negative duration.
    ['a duration of 2^64', windowWith('0', '18446744073709551616'), "Unavailability 'duration' is negative", "Unavailability 'duration' is negative"],
    ['a duration of 2^63', windowWith('0', '9223372036854775808'), "Unavailability 'duration' is negative", "Unavailability 'duration' is negative"],
  ];

  test.each(refused)('%s → 400, nothing changes', async (_name, schedule, text, v1Text) => {
    const before = await snapshot();
    expectMesos(await send('/master/maintenance/schedule', schedule), 400, text);
    expectMesos(await send('/api/v1', update(schedule)), 400, v1Text);
    expect(await snapshot()).toEqual(before);
  });

  // Accepted: [name, schedule, the schedule read back]. Past int64 a number is a double, and Mesos' static_cast
  // turns every double out of range into INT64_MIN.
  const accepted: [string, string, string][] = [
    ['a start of 2^63 wraps to INT64_MIN', windowWith('9223372036854775808'), windowWith('-9223372036854775808')],
    ['a start below INT64_MIN too', windowWith('-9223372036854775809'), windowWith('-9223372036854775808')],
    ['a start of 2^63 as a string too', windowWith('"9223372036854775808"'), windowWith('-9223372036854775808')],
    [
      'INT64_MAX start and duration (their end is past int64): kept exact',
      windowWith('9223372036854775807', '9223372036854775807'),
      windowWith('9223372036854775807', '9223372036854775807'),
    ],
    ['a fraction truncates', windowWith('1.5e18'), windowWith('1500000000000000000')],
  ];

  test.each(accepted)('%s → 200, read back as Mesos stores it', async (_name, schedule, readBack) => {
    expectMesos(await send('/master/maintenance/schedule', schedule), 200, '');
    expect((await snapshot()).schedule).toBe(readBack);
    expect((await snapshot()).draining).toEqual([{ hostname: 'sim-04', ip: '192.0.2.4' }]);
    expectMesos(await send('/api/v1', update(schedule)), 200, '');
    expect((await snapshot()).schedule).toBe(readBack);
  });
});

// ---- addresses ----------------------------------------------------------------------------------------------------

describe('an ip that is not dotted-quad IPv4 → 400 "Failed to parse IPv4", on the schedule, down and up; nothing changes', () => {
  const ips = ['2001:db8::1', '::ffff:192.0.2.3', '999.1.1.1', ' 1.2.3.4', '1.2.3.4 ', '1.2.3', '1.2.3.4.5', '01.2.3.4', '0x7f.0.0.1', '१.२.३.४'];
  test.each(ips)('%j', async (ip) => {
    const before = await snapshot();
    const machine = JSON.stringify([{ hostname: 'sim-03', ip }]);
    const text = `Failed to parse IPv4: ${ip}`;
    const schedule = `{"windows":[{"machine_ids":${machine},"unavailability":{"start":{"nanoseconds":0}}}]}`;
    for (const path of SCHEDULE_PATHS) expectMesos(await send(path, schedule), 400, text);
    for (const path of LIST_PATHS) expectMesos(await send(path, machine), 400, text);
    expectMesos(await send('/api/v1', update(schedule)), 400, text);
    expectMesos(await send('/api/v1', `{"type":"START_MAINTENANCE","start_maintenance":{"machines":${machine}}}`), 400, text);
    expect(await snapshot()).toEqual(before);
  });

  test('an empty ip with a hostname is no ip at all to validation, but part of the machine\'s identity', async () => {
    // {"hostname":"sim-03","ip":""} is not sim-03 (192.0.2.3) nor {"hostname":"sim-03"}: unknown to the master.
    expectMesos(
      await send('/master/machine/down', '[{"hostname":"sim-03","ip":""}]'),
      400,
      `Machine '{"hostname":"sim-03","ip":""}' is not part of a maintenance schedule`,
    );
  });
});

// ---- unicode hostnames --------------------------------------------------------------------------------------------

describe('unicode hostnames: taken as given; only ASCII letters compare case-insensitively (stout\'s strings::lower)', () => {
  const scheduleOf = (...machines: object[]) =>
    `{"windows":[{"machine_ids":${JSON.stringify(machines)},"unavailability":{"start":{"nanoseconds":1443830400000000000}}}]}`;

  test.each<[string, object[]]>([
    ['KELVIN SIGN vs k (JavaScript\'s toLowerCase would merge them)', [{ hostname: '\u212Aube-1' }, { hostname: 'kube-1' }]],
    ['É vs é', [{ hostname: 'ÉCOLE-1' }, { hostname: 'école-1' }]],
    ['dotted capital İ vs i', [{ hostname: 'SİM-09' }, { hostname: 'sim-09' }]],
    ['an emoji and a NUL escape', [{ hostname: 'rack-\u{1F642}' }, { hostname: 'a\u0000b' }]],
  ])('%s: two machines, accepted and read back as spelled', async (_name, machines) => {
    const body = scheduleOf(...machines);
    expectMesos(await send('/master/maintenance/schedule', body), 200, '');
    const after = await snapshot();
    expect(after.schedule).toBe(body);
    expect(after.draining).toEqual(machines);
  });

  test.each<[string, string, string]>([
    ['ASCII case is one machine', '[{"hostname":"SIM-03","ip":"192.0.2.3"},{"hostname":"sim-03","ip":"192.0.2.3"}]', '{"hostname":"sim-03","ip":"192.0.2.3"}'],
    ['a \\u escape is the character it names', '[{"hostname":"\\u00e9cole"},{"hostname":"école"}]', '{"hostname":"école"}'],
  ])('%s: a duplicate → 400 naming the second spelling, nothing changes', async (_name, list, named) => {
    const before = await snapshot();
    const text = `Machine '${named}' appears more than once in the schedule`;
    expectMesos(await send('/master/machine/down', list), 400, text);
    expectMesos(await send('/master/maintenance/schedule', `{"windows":[{"machine_ids":${list},"unavailability":{"start":{"nanoseconds":0}}}]}`), 400, text);
    expect(await snapshot()).toEqual(before);
  });
});

// ---- duplicate keys -----------------------------------------------------------------------------------------------

describe('duplicate keys: the last one wins (stout reads objects into a std::map), as Mesos', () => {
  test('a schedule whose second "windows" is the baseline: 200 and the schedule unchanged', async () => {
    const sim4 = BASELINE_WINDOW.replace('sim-03', 'sim-04').replace('192.0.2.3', '192.0.2.4');
    expectMesos(await send('/master/maintenance/schedule', `{"windows":[${sim4}],"windows":[${BASELINE_WINDOW}]}`), 200, '');
    expect(await snapshot()).toEqual({ schedule: BASELINE, draining: [{ hostname: 'sim-03', ip: '192.0.2.3' }], down: [] });
  });

  test('a machine named twice in one object is the last name: unknown, 400, nothing changes', async () => {
    const before = await snapshot();
    expectMesos(
      await send('/master/machine/down', '[{"hostname":"sim-03","ip":"192.0.2.3","hostname":"nowhere-9"}]'),
      400,
      `Machine '{"hostname":"nowhere-9","ip":"192.0.2.3"}' is not part of a maintenance schedule`,
    );
    expect(await snapshot()).toEqual(before);
  });

  test('v1: the last "type" is the call', async () => {
    const read = await send('/api/v1', '{"type":"GET_HEALTH","type":"GET_MAINTENANCE_SCHEDULE"}');
    expect(read.status).toBe(200);
    expect(read.text).toBe(`{"type":"GET_MAINTENANCE_SCHEDULE","get_maintenance_schedule":{"schedule":${BASELINE}}}`);
    expectMesos(await send('/api/v1', '{"type":"GET_MAINTENANCE_SCHEDULE","type":"GET_HEALTH"}'), 501, 'maint does not implement GET_HEALTH');
  });

  test('native: the last value is validated (JSON.parse keeps the last one too)', async () => {
    const reply = await send('/api/v1/windows', '{"machines":[{"hostname":"sim-05"}],"drainWithin":"1h","drainWithin":"soon"}');
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ error: 'INVALID', field: 'drainWithin' });
  });
});

// ---- agents -------------------------------------------------------------------------------------------------------

describe('agent calls naming no agent', () => {
  // Found by the fuzzer: an empty agent id reached the cluster driver, which refused it, and the operator got a 503.
  test.each(['DRAIN_AGENT', 'DEACTIVATE_AGENT'])('%s with an empty agent id → 400 "Unknown agent"', async (type) => {
    const before = await snapshot();
    expectMesos(await send('/api/v1', `{"type":"${type}","${type.toLowerCase()}":{"agent_id":{"value":""}}}`), 400, 'Unknown agent');
    expect(await snapshot()).toEqual(before);
  });
});

// Last: it leaves sim-03 DOWN.
describe('unicode hostnames on machine/down', () => {
  test('machine/down of SİM-03 is not sim-03: "not part of a maintenance schedule"; of SIM-03 it is, and it goes DOWN', async () => {
    const before = await snapshot();
    expectMesos(
      await send('/master/machine/down', '[{"hostname":"SİM-03","ip":"192.0.2.3"}]'),
      400,
      `Machine '{"hostname":"SİM-03","ip":"192.0.2.3"}' is not part of a maintenance schedule`,
    );
    expect(await snapshot()).toEqual(before);
    expectMesos(await send('/master/machine/down', '[{"hostname":"SIM-03","ip":"192.0.2.3"}]'), 200, '');
    expect((await snapshot()).down).toEqual([{ hostname: 'sim-03', ip: '192.0.2.3' }]);
  });
});
