// The command line as operators type it: flags become the API's request bodies (checked against a real local HTTP
// server standing in for maint's API), usage errors stop before any request, and maint's processes still dispatch.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type Processes } from '../../src/cli/program';
import type { Io } from '../../src/cli/context';

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

let server: http.Server;
let url: string;
let requests: Recorded[];
let answer: (req: Recorded) => { status: number; body: string };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const rec = { method: req.method!, url: req.url!, authorization: req.headers.authorization, body };
      requests.push(rec);
      const { status, body: out } = answer(rec);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const WINDOW = {
  id: 'w-7',
  origin: 'native',
  state: 'ACTIVE',
  unavailability: { start: '2026-11-27T14:00:00.000Z', duration: '5m' },
  deadline: '2026-11-27T14:00:00.000Z',
  policy: { escalation: 'hard-drain', downWhenDrained: true, autoUp: true },
  createdAt: '2026-11-27T13:00:00.000Z',
  createdBy: 'ops',
  machines: [],
};

beforeEach(() => {
  requests = [];
  answer = () => ({ status: 201, body: JSON.stringify(WINDOW) });
});

function io(): Io & { out: string; err: string } {
  const o = { out: '', err: '', isTTY: false, write: (t: string) => void (o.out += t), error: (t: string) => void (o.err += t) };
  return o;
}

const started: string[] = [];
const processes = Object.fromEntries(
  (['up', 'worker', 'api', 'sim'] as const).map((name) => [name, { description: name, run: async () => void started.push(name) }]),
) as unknown as Processes;

async function maint(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out = io();
  const code = await runCli(['node', 'maint', ...args], { processes, io: out, env: { MAINT_URL: url, ...env } });
  return { code, out: out.out, err: out.err };
}

test('windows create: machines as hostnames, hostname=ip or IPs (repeatable), deadline as a duration, policy flags', async () => {
  const res = await maint([
    'windows', 'create', '--machines', 'sim-01,sim-02=192.0.2.2', '-m', '10.0.0.3', '--deadline', '1h', '--duration', '5m',
    '--escalation', 'notify', '--no-auto-up', '--max-parallel', '2', '--max-grace-period', '30s', '-o', 'json',
  ]);
  expect(res).toMatchObject({ code: 0, err: '' });
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({ method: 'POST', url: '/api/v1/windows' });
  expect(JSON.parse(requests[0].body)).toEqual({
    machines: [{ hostname: 'sim-01' }, { hostname: 'sim-02', ip: '192.0.2.2' }, { ip: '10.0.0.3' }],
    drainWithin: '1h',
    duration: '5m',
    policy: { escalation: 'notify', autoUp: false, maxParallel: 2, maxGracePeriod: '30s' },
  });
  expect(JSON.parse(res.out)).toEqual(WINDOW); // -o json after the verb: the API's window, as is
});

test('windows create: an instant as deadline is the unavailability start; no policy flag sends no policy', async () => {
  await maint(['windows', 'create', '--machines', 'sim-01', '--deadline', '2026-11-27T14:00:00Z']);
  expect(JSON.parse(requests[0].body)).toEqual({ machines: [{ hostname: 'sim-01' }], start: '2026-11-27T14:00:00Z' });
});

test('windows extend: --by, or --deadline as an instant or a duration from now', async () => {
  answer = () => ({ status: 200, body: JSON.stringify(WINDOW) });
  await maint(['windows', 'extend', 'w-7', '--by', '30m']);
  await maint(['windows', 'extend', 'w-7', '--deadline', '2026-11-28T00:00:00+01:00']);
  const before = Date.now();
  await maint(['windows', 'extend', 'w-7', '--deadline', '2h']);
  expect(requests.map((r) => [r.url, r.body])).toEqual([
    ['/api/v1/windows/w-7/extend', '{"by":"30m"}'],
    ['/api/v1/windows/w-7/extend', '{"deadline":"2026-11-28T00:00:00+01:00"}'],
    ['/api/v1/windows/w-7/extend', expect.any(String)],
  ]);
  const deadline = Date.parse(JSON.parse(requests[2].body).deadline);
  expect(deadline).toBeGreaterThanOrEqual(before + 7_200_000);
  expect(deadline).toBeLessThan(Date.now() + 7_200_000 + 1);
});

test.each([
  [['windows', 'create', '--machines', 'sim-01', '--deadline', '1.5h'], /--deadline: "1.5h" is neither a duration/],
  [['windows', 'create', '--machines', 'sim-01'], /required option '-d, --deadline <when>'/],
  [['windows', 'create', '--machines', 'sim-01,,sim-02', '--deadline', '1h'], /an empty machine name/],
  [['windows', 'create', '--machines', 'sim-01=', '--deadline', '1h'], /write hostname=ip/],
  [['windows', 'create', '--machines', 'a', '--deadline', '1h', '--duration', '5 minutes'], /--duration: "5 minutes" is not a duration/],
  [['windows', 'create', '--machines', 'a', '--deadline', '1h', '--escalation', 'kill'], /argument 'kill' is invalid/],
  [['windows', 'create', '--machines', 'a', '--deadline', '1h', '--max-parallel', '0'], /--max-parallel: "0" is not a whole number/],
  [['windows', 'extend', 'w-1'], /give exactly one of --by/],
  [['windows', 'extend', 'w-1', '--by', '1m', '--deadline', '1h'], /give exactly one of --by/],
  [['windows', 'show'], /missing required argument 'id'/],
  [['windows', 'list', '--bogus'], /unknown option '--bogus'/],
  [['windows', 'list', '-o', 'yaml'], /argument 'yaml' is invalid/],
  [['windows', 'list', '--url', 'not a url'], /--url: "not a url" is not a URL/],
  [['windows', 'list', '--timeout', '0s'], /--timeout/],
  [['machines', 'down'], /missing required argument 'machine'/],
  [['frobnicate'], /unknown command 'frobnicate'/],
])('usage error %j: exit 2, one line naming the problem, nothing sent', async (args, message) => {
  const res = await maint(args);
  expect(res.code).toBe(2);
  expect(res.err).toMatch(/^maint: /);
  expect(res.err).toMatch(message);
  expect(requests).toEqual([]);
});

test('a group without its verb shows the group’s help and is a usage error; --help is a success', async () => {
  const group = await maint(['windows']);
  expect(group.code).toBe(2);
  expect(group.err).toContain('Usage: maint windows');
  const help = await maint(['windows', 'create', '--help']);
  expect(help.code).toBe(0);
  expect(help.out).toContain('--max-parallel <n>');
});

test('credentials: --principal with --secret-file or MAINT_SECRET become HTTP Basic; the secret is never printed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'maint-cli-'));
  const file = path.join(dir, 'secret');
  writeFileSync(file, 's3cret-from-file\n');
  answer = () => ({ status: 401, body: JSON.stringify({ error: 'UNAUTHENTICATED', message: 'send valid HTTP Basic credentials' }) });
  const fromFile = await maint(['windows', 'list', '--principal', 'ops', '--secret-file', file]);
  const fromEnv = await maint(['windows', 'list'], { MAINT_PRINCIPAL: 'ops', MAINT_SECRET: 's3cret-from-env' });
  expect(requests.map((r) => Buffer.from(r.authorization!.replace('Basic ', ''), 'base64').toString())).toEqual([
    'ops:s3cret-from-file',
    'ops:s3cret-from-env',
  ]);
  for (const res of [fromFile, fromEnv]) {
    expect(res.code).toBe(4);
    expect(res.out + res.err).not.toContain('s3cret');
  }
  const missing = await maint(['windows', 'list', '--principal', 'ops', '--secret-file', path.join(dir, 'absent')]);
  expect(missing).toMatchObject({ code: 2, err: expect.stringContaining('--secret-file: cannot read') });
  const noSecret = await maint(['windows', 'list', '--principal', 'ops']);
  expect(noSecret).toMatchObject({ code: 2, err: expect.stringContaining('without a secret') });
  expect(requests).toHaveLength(2);
});

test('without credentials no Authorization header is sent', async () => {
  answer = () => ({ status: 200, body: '{"windows":[]}' });
  expect((await maint(['windows', 'list'])).code).toBe(0);
  expect(requests[0].authorization).toBeUndefined();
});

test("maint's processes still dispatch by name", async () => {
  started.length = 0;
  for (const name of ['up', 'worker', 'api', 'sim']) expect((await maint([name])).code).toBe(0);
  expect(started).toEqual(['up', 'worker', 'api', 'sim']);
  expect(requests).toEqual([]);
});

test('machines down: each machine is looked up, then brought down through its window, as that window names it', async () => {
  answer = (req) => {
    if (req.url === '/api/v1/machines/sim-01') {
      return { status: 200, body: JSON.stringify({ id: { hostname: 'sim-01', ip: '192.0.2.1' }, mode: 'DRAINING', window: 'w-7', maintenance: { id: { hostname: 'sim-01', ip: '192.0.2.1' } }, history: [] }) };
    }
    if (req.url === '/api/v1/machines/sim-09') return { status: 200, body: JSON.stringify({ id: { hostname: 'sim-09' }, mode: 'UP', history: [] }) };
    return { status: 200, body: JSON.stringify(WINDOW) };
  };
  const res = await maint(['machines', 'down', 'sim-01', '-o', 'json']);
  expect(res.code).toBe(0);
  expect(requests.map((r) => [r.method, r.url, r.body])).toEqual([
    ['GET', '/api/v1/machines/sim-01', ''],
    ['POST', '/api/v1/windows/w-7/down', '{"machines":[{"hostname":"sim-01","ip":"192.0.2.1"}]}'],
  ]);
  expect(JSON.parse(res.out)).toEqual({ windows: [WINDOW] });

  requests = [];
  const none = await maint(['machines', 'down', 'sim-09']);
  expect(none.code).toBe(3);
  expect(none.err).toMatch(/^maint: down sim-09: sim-09 is in no maintenance window \(it is UP\)/);
  expect(requests.map((r) => r.method)).toEqual(['GET']);
});
