// The `maint` binary as operators and scripts run it: real processes (the built dist/src/main.js against a Stack's
// API, worker and simulated fleet on the dev server), checked by stdout, stderr and exit code. Authentication is on,
// so every call also proves the CLI sends the credentials the API's MAINT_CREDENTIALS file holds.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseJson, stringifyJson } from '../../src/lib/json';
import { projectRoot } from '../../src/temporal/binaries';
import { freePort } from '../support/ports';
import { securityEnv } from '../support/security';
import { Stack } from '../support/stack';

const ROOT = projectRoot();
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
// The simulated frameworks authenticate as the principals named after them.
const SECRETS = { ops: 'ops-secret', mover: 'm', decliner: 'd', silent: 's' };

let stack: Stack;
let dir: string;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  stack = await Stack.start({ machines: 12, checkInterval: '1s', taskGrace: '500ms', env: securityEnv(SECRETS, { permissive: true }) });
  dir = mkdtempSync(path.join(tmpdir(), 'maint-cli-'));
  writeFileSync(path.join(dir, 'ops.secret'), `${SECRETS.ops}\n`);
  cliEnv = { PATH: process.env.PATH, MAINT_URL: stack.apiUrl, MAINT_PRINCIPAL: 'ops', MAINT_SECRET_FILE: path.join(dir, 'ops.secret') };
});
afterAll(() => stack?.stop());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary as a script would: no terminal, the environment given (nothing else of the test's). */
function maint(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...cliEnv, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`maint ${args.join(' ')} did not end in time; stdout: ${stdout} stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

async function json(args: string[]): Promise<any> {
  const res = await maint([...args, '-o', 'json']);
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return parseJson(res.stdout);
}

test('create, list, show, extend, cancel a window', async () => {
  // Kept DRAINING (no early down) so that the cancellation returns both machines to UP.
  const created = await json([
    'windows', 'create', '--machines', 'sim-01,sim-02=192.0.2.2', '--deadline', '1h', '--duration', '5m', '--max-parallel', '1', '--no-down-when-drained',
  ]);
  expect(created).toMatchObject({
    state: 'ACTIVE',
    createdBy: 'ops',
    policy: { maxParallel: 1, downWhenDrained: false },
    unavailability: { duration: '5m' },
  });
  expect(created.machines.map((m: any) => [m.id, m.mode])).toEqual([
    [{ hostname: 'sim-01' }, 'DRAINING'],
    [{ hostname: 'sim-02', ip: '192.0.2.2' }, 'DRAINING'],
  ]);
  const id: string = created.id;

  const list = await json(['windows', 'list']);
  expect(list.windows.map((w: any) => w.id)).toContain(id);

  const shown = await maint(['windows', 'show', id]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain(`window ${id}  ACTIVE  (native, by ops)`);
  expect(shown.stdout).toContain('progress     [....................] 0/2 machines done');
  expect(shown.stdout).toMatch(/^sim-02 \(192\.0\.2\.2\)\s+DRAINING\s+draining/m);
  expect(shown.stdout).not.toContain('\x1b['); // no colour into a pipe

  const extended = await json(['windows', 'extend', id, '--by', '10m']);
  expect(Date.parse(extended.deadline) - Date.parse(created.deadline)).toBe(600_000);

  const conflict = await maint(['windows', 'create', '--machines', 'sim-01', '--deadline', '1h']);
  expect(conflict.code).toBe(3); // 409: sim-01 is in a window already
  expect(conflict.stderr).toMatch(/^maint: create window: refused \(409\): .*sim-01/);

  const cancelled = await maint(['windows', 'cancel', id]);
  expect(cancelled.code).toBe(0);
  expect(cancelled.stdout).toContain(`cancelled window ${id}`);
  const after = await json(['windows', 'show', id]);
  expect(after.state).toBe('CANCELLED'); // the window's own state is in the answer to the cancel
  // Each machine takes the cancel in its own workflow task, a moment later under load (CI once read one DRAINING).
  await stack.eventually('both machines UP after the cancel', async () => {
    const shown = await json(['windows', 'show', id]);
    return shown.machines.every((m: any) => m.mode === 'UP') ? shown : undefined;
  });
  const again = await maint(['windows', 'cancel', id]);
  expect(again.code).toBe(3);
  expect(again.stderr).toMatch(new RegExp(`^maint: cancel window ${id}: refused \\(409\\): window ${id} is .*CANCELLED`));
});

test('machines down and up, by hostname, through the window each is in', async () => {
  const created = await json(['windows', 'create', '--machines', 'sim-03', '--deadline', '1h', '--no-auto-up']);
  const down = await json(['machines', 'down', 'sim-03']);
  expect(down.windows.map((w: any) => w.id)).toEqual([created.id]);
  await stack.eventually('sim-03 DOWN', async () => {
    const m = await json(['machines', 'show', 'sim-03']);
    return m.mode === 'DOWN' ? m : undefined;
  });
  const up = await maint(['machines', 'up', 'sim-03']);
  expect(up.code).toBe(0);
  expect(up.stdout).toContain(`up sim-03 (window ${created.id})`);
  const back = await stack.eventually('sim-03 UP', async () => {
    const m = await json(['machines', 'show', 'sim-03']);
    return m.mode === 'UP' ? m : undefined;
  });
  expect(back.lastWindow).toBe(created.id);

  const notInAny = await maint(['machines', 'up', 'sim-04']);
  expect(notInAny.code).toBe(3);
  expect(notInAny.stderr).toMatch(/^maint: up sim-04: sim-04 is in no maintenance window \(it is UP\)/);
});

test('windows show --watch follows a short window to completion: NDJSON frames to a pipe, exit 0', async () => {
  // sim-07 runs only a mover task: it moves and accepts, or is drained hard at the deadline; back UP 2s after it.
  const created = await json(['windows', 'create', '--machines', 'sim-07', '--deadline', '4s', '--duration', '2s']);
  const watched = await maint(['windows', 'show', created.id, '--watch', '--interval', '250ms', '-o', 'json'], { timeoutMs: 90_000 });
  expect(watched.code).toBe(0);
  expect(watched.stderr).toBe('');
  const frames = watched.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
  expect(frames.length).toBeGreaterThanOrEqual(2);
  expect(frames[0]).toMatchObject({ id: created.id, state: 'ACTIVE' });
  expect(frames.at(-1)).toMatchObject({ id: created.id, state: 'COMPLETED', machines: [{ mode: 'UP', phase: 'done' }] });
  // One line per change: no two frames in a row are the same state.
  for (let i = 1; i < frames.length; i++) expect(frames[i]).not.toEqual(frames[i - 1]);
  expect(frames.map((f) => f.machines[0].mode)).toContain('DOWN');

  // A finished window: one table snapshot, then exit 0.
  const table = await maint(['windows', 'show', created.id, '--watch']);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^# \d{4}-\d\d-\d\dT[\d:.]+Z\nwindow w-\d+  COMPLETED/);
  expect(table.stdout).toContain('[####################] 1/1 machines done');
});

test('usage errors exit 2 before any request; an invalid field is 3 naming it; wrong credentials 4; unknown 5; unreachable 6', async () => {
  const before = (await json(['windows', 'list'])).windows.length;

  const bad = await maint(['windows', 'create', '--machines', 'sim-09', '--deadline', 'soon']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe('maint: --deadline: "soon" is neither a duration (30m, 1h30m) nor an instant with its offset (2026-11-27T14:00:00Z)\n');
  expect((await maint(['windows', 'create', '--machnies', 'sim-09', '--deadline', '1h'])).code).toBe(2);

  const invalid = await maint(['windows', 'create', '--machines', 'sim-09,sim-10=::1', '--deadline', '1h']);
  expect(invalid.code).toBe(3);
  expect(invalid.stderr).toBe('maint: create window: refused (400): machines[1].ip: Failed to parse IPv4: ::1; check --machines\n');
  expect((await json(['windows', 'list'])).windows.length).toBe(before); // nothing was created

  const wrong = await maint(['windows', 'list'], { env: { MAINT_SECRET_FILE: '', MAINT_SECRET: 'not-the-secret' } });
  expect(wrong.code).toBe(4);
  expect(wrong.stderr).toMatch(/^maint: list windows: not authenticated \(401\): send valid HTTP Basic credentials; give --principal/);
  expect(wrong.stderr + wrong.stdout).not.toContain('not-the-secret');
  expect((await maint(['status'], { env: { MAINT_PRINCIPAL: '', MAINT_SECRET_FILE: '' } })).code).toBe(4); // none at all

  const unknown = await maint(['windows', 'show', 'w-99999']);
  expect(unknown.code).toBe(5);
  expect(unknown.stderr).toMatch(/^maint: show window w-99999: not found \(404\): .*w-99999/);
  expect((await maint(['machines', 'show', 'no-such-machine'])).code).toBe(5);

  const port = await freePort();
  const away = await maint(['windows', 'list', '--url', `http://127.0.0.1:${port}`]);
  expect(away.code).toBe(6);
  expect(away.stderr).toBe(
    `maint: list windows: cannot reach maint at http://127.0.0.1:${port}: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${port}); check --url (or MAINT_URL) and that maint's API is running\n`,
  );
});

test('schedule apply then get: the Mesos schedule round-trips with int64 nanoseconds exact; status shows it', async () => {
  // Not a whole millisecond, and beyond 2^53: any rounding would show.
  const start = BigInt(Date.now() + 3_600_000) * 1_000_000n + 123_457n;
  const posted = {
    windows: [
      {
        machine_ids: [{ hostname: 'sim-05', ip: '192.0.2.5' }, { hostname: 'sim-06', ip: '192.0.2.6' }],
        unavailability: { start: { nanoseconds: start }, duration: { nanoseconds: 3_600_000_000_123 } },
      },
    ],
  };
  const file = path.join(dir, 'schedule.json');
  writeFileSync(file, stringifyJson(posted));
  const applied = await maint(['schedule', 'apply', file]);
  expect(applied).toMatchObject({ stderr: '', code: 0, stdout: 'applied the schedule: 1 windows, 2 machines (it replaces the whole schedule)\n' });

  expect(await json(['schedule', 'get'])).toEqual(posted);
  const out = path.join(dir, 'got.json');
  expect((await maint(['schedule', 'get', '--file', out])).code).toBe(0);
  expect(parseJson(readFileSync(out, 'utf8'))).toEqual(posted);
  expect(readFileSync(out, 'utf8')).toContain(`"nanoseconds": ${start}`);

  // Posted back unchanged, the schedule is the same.
  expect((await maint(['schedule', 'apply', '-'], { input: readFileSync(out, 'utf8') })).code).toBe(0);
  expect(await json(['schedule', 'get'])).toEqual(posted);

  const status = await json(['status']);
  expect(status.mesos.draining_machines.map((m: any) => m.id)).toEqual(posted.windows[0].machine_ids);
  expect(status.machines).toEqual([
    expect.objectContaining({ id: { hostname: 'sim-05', ip: '192.0.2.5' }, mode: 'DRAINING', window: expect.stringMatching(/^w-/) }),
    expect.objectContaining({ id: { hostname: 'sim-06', ip: '192.0.2.6' }, mode: 'DRAINING' }),
  ]);
  const table = await maint(['status']);
  expect(table.stdout).toMatch(/^sim-05 \(192\.0\.2\.5\)\s+DRAINING\s+draining\s+w-\d+/m);

  const refused = await maint(['schedule', 'apply', '-'], { input: '{"windows":[{"machine_ids":[{"hostname":"x"}]}]}' });
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/^maint: apply schedule -: refused \(400\): /);

  // An empty schedule ends it: nothing is in maintenance, and status --watch ends at once.
  expect((await maint(['schedule', 'apply', '-'], { input: '{}' })).code).toBe(0);
  const idle = await stack.eventually('no machine in maintenance', async () => {
    const s = await json(['status']);
    return s.machines.length === 0 ? s : undefined;
  });
  expect(idle.mesos).toEqual({});
  const watched = await maint(['status', '--watch', '-o', 'json']);
  expect(watched.code).toBe(0);
  expect(JSON.parse(watched.stdout)).toEqual({ machines: [], mesos: {} });
});

test("the package binary: package.json's bin is the built main.js, a node script, and its help lists every verb", async () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ maint: 'dist/src/main.js' });
  const bin = path.join(ROOT, pkg.bin.maint);
  expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  const help = await maint(['--help']);
  expect(help.code).toBe(0);
  for (const verb of [
    'maint windows create',
    'list',
    'show <id>',
    'extend <id>',
    'cancel <id>',
    'maint machines down <machine...>',
    'up <machine...>',
    'show <machine>',
    'maint schedule get',
    'apply <file|->',
    'maint status',
    'maint up | worker | api | sim',
  ]) {
    expect(help.stdout).toContain(verb);
  }
  for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '5 ', '6 ', '130 ']) expect(help.stdout).toMatch(new RegExp(`^  ${code}`, 'm'));
});
