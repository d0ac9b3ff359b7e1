// Exit codes scripts rely on, and the one line on stderr: from the API's real answers (a local HTTP server answering
// as maint's native and Mesos endpoints do) to the code and the words.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, MaintClient, UnreachableError } from '../../src/cli/client';
import { describeFailure, RefusedError, UsageError } from '../../src/cli/errors';
import { ExitCode, exitCodeForStatus, EXIT_CODE_HELP } from '../../src/cli/exit-codes';
import { freePort } from '../support/ports';

test.each([
  [400, ExitCode.REFUSED],
  [409, ExitCode.REFUSED],
  [413, ExitCode.REFUSED],
  [415, ExitCode.REFUSED],
  [422, ExitCode.REFUSED],
  [401, ExitCode.AUTH],
  [403, ExitCode.AUTH],
  [404, ExitCode.NOT_FOUND],
  [500, ExitCode.UNAVAILABLE],
  [503, ExitCode.UNAVAILABLE],
])('HTTP %i → exit %i', (status, code) => {
  expect(exitCodeForStatus(status)).toBe(code);
});

test('the codes are distinct and every one is in the help text', () => {
  const codes = Object.values(ExitCode);
  expect(new Set(codes).size).toBe(codes.length);
  for (const code of codes) expect(EXIT_CODE_HELP).toMatch(new RegExp(`^  ${code} `, 'm'));
});

let server: http.Server;
let client: MaintClient;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [status, type, body] = ANSWERS[req.url!] ?? [500, 'text/plain', ''];
    res.writeHead(status, { 'Content-Type': type }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new MaintClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, timeoutMs: 2_000 });
});
afterAll(() => new Promise((r) => server.close(r)));

const ANSWERS: Record<string, [number, string, string]> = {
  '/native-400': [
    400,
    'application/json',
    JSON.stringify({ error: 'INVALID', message: 'machines[1].ip: Failed to parse IPv4: ::1', field: 'machines[1].ip' }),
  ],
  '/native-409': [409, 'application/json', JSON.stringify({ error: 'CONFLICT', message: 'sim-01 is already in window w-2' })],
  '/mesos-400': [400, 'text/plain', "Failed to parse IPv4: ::1"],
  '/mesos-403': [403, 'text/plain', ''],
  '/401': [401, 'application/json', JSON.stringify({ error: 'UNAUTHENTICATED', message: 'send valid HTTP Basic credentials' })],
  '/404': [404, 'application/json', JSON.stringify({ error: 'NOT_FOUND', message: 'window w-99 does not exist' })],
  '/503': [503, 'application/json', JSON.stringify({ error: 'UNAVAILABLE', message: 'Temporal cannot be reached' })],
  '/big': [200, 'application/json', '{"nanoseconds":1443830400000000001}'],
};

async function failure(path: string, flags?: Record<string, string>) {
  const err = await client.call('GET', path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return describeFailure(err, 'create window', flags);
}

test("a 400 names the API's field and the flag behind it", async () => {
  expect(await failure('/native-400', { machines: '--machines' })).toEqual({
    code: 3,
    line: 'maint: create window: refused (400): machines[1].ip: Failed to parse IPv4: ::1; check --machines',
  });
});

test("a 409 and Mesos' plain-text 400 are refusals too, in the API's words", async () => {
  expect(await failure('/native-409')).toEqual({ code: 3, line: 'maint: create window: refused (409): sim-01 is already in window w-2' });
  expect(await failure('/mesos-400')).toEqual({ code: 3, line: 'maint: create window: refused (400): Failed to parse IPv4: ::1' });
});

test('401 and 403 say what to do; a Mesos 403 without a body still says why', async () => {
  const unauth = await failure('/401');
  expect(unauth.code).toBe(4);
  expect(unauth.line).toBe(
    "maint: create window: not authenticated (401): send valid HTTP Basic credentials; give --principal and --secret-file (or MAINT_PRINCIPAL and MAINT_SECRET) as in the API's MAINT_CREDENTIALS file",
  );
  expect(await failure('/mesos-403')).toEqual({
    code: 4,
    line: "maint: create window: not allowed (403): the ACLs refuse this principal; ask for the permission in the API's MAINT_ACLS file",
  });
});

test('404 is not found, 5xx is maint failing', async () => {
  expect(await failure('/404')).toEqual({ code: 5, line: 'maint: create window: not found (404): window w-99 does not exist' });
  expect(await failure('/503')).toEqual({
    code: 6,
    line: "maint: create window: maint is failing (503): Temporal cannot be reached; try again, or see the API's log",
  });
});

test('nobody listening: unreachable, exit 6, naming the URL and what to check', async () => {
  const port = await freePort();
  const err = await new MaintClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2_000 }).call('GET', '/api/v1/windows').catch((e) => e);
  expect(err).toBeInstanceOf(UnreachableError);
  const f = describeFailure(err, 'list windows');
  expect(f.code).toBe(6);
  expect(f.line).toBe(
    `maint: list windows: cannot reach maint at http://127.0.0.1:${port}: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${port}); check --url (or MAINT_URL) and that maint's API is running`,
  );
});

test('a server that does not answer in time is unreachable too', async () => {
  const silent = http.createServer(() => {}); // never answers
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const err = await new MaintClient({ url, timeoutMs: 200 }).call('GET', '/').catch((e) => e);
    expect(describeFailure(err, 'status')).toEqual({
      code: 6,
      line: `maint: status: cannot reach maint at ${url}: no answer within 0.2s; check --url (or MAINT_URL) and that maint's API is running`,
    });
  } finally {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  }
});

test('usage errors are 2, refusals the CLI decides are 3, anything else 1', () => {
  expect(describeFailure(new UsageError('--by: "x" is not a duration'), 'extend window w-1')).toEqual({
    code: 2,
    line: 'maint: --by: "x" is not a duration',
  });
  expect(describeFailure(new RefusedError('sim-09 is in no maintenance window'), 'down sim-09').code).toBe(3);
  expect(describeFailure(new TypeError('boom'), 'status')).toEqual({ code: 1, line: 'maint: status: unexpected error: boom' });
});

test('answers are parsed without loss: int64 beyond 2^53 stays exact', async () => {
  expect(await client.call('GET', '/big')).toEqual({ nanoseconds: 1443830400000000001n });
});
