// Observability with real processes: a window drained to DOWN (early, by a hard drain at the deadline, by an operator)
// with frameworks answering and one whose webhook fails, then the API's and the worker's /metrics read over HTTP as
// Prometheus reads them, the worker's /healthz, and the processes' JSON logs (windowId, machine, request ids, no secret).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/temporal/binaries';
import { SchedulerClient } from '../../src/scheduler-client';
import { Stack } from '../support/stack';

let stack: Stack;
let broken: Server;
let brokenPosts = 0;
const BROKEN_SECRET = 'broken-webhook-secret-0123456789';

beforeAll(async () => {
  // A framework's webhook that always answers 500: maint retries it and counts each failure.
  broken = createServer((req, res) => {
    brokenPosts++;
    req.resume();
    res.writeHead(500).end('down for maintenance');
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  stack = await Stack.start({ machines: 12, checkInterval: '1s', taskGrace: '500ms' });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => broken?.close(resolve));
});

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });

/** Prometheus' text format, the samples only: `name{labels} value` → value, keyed by `name{labels}` as printed. */
async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
function sum(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples) {
    const open = key.indexOf('{');
    if ((open < 0 ? key : key.slice(0, open)) !== name) continue;
    const text = open < 0 ? '' : key.slice(open);
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

function logLines(role: 'api' | 'worker'): Record<string, any>[] {
  const dir = process.env.MAINT_TEST_DIR ?? path.join(projectRoot(), 'test-output');
  const text = readFileSync(path.join(dir, String(stack.env.MAINT_INSTANCE), `${role}.log`), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

test('a drained window in the metrics of both processes, and in their logs', async () => {
  // A framework outside the simulator with a task on sim-03 and a webhook that fails.
  const brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/events`;
  const client = new SchedulerClient({ maintUrl: stack.apiUrl, frameworkId: 'broken' });
  await client.subscribe({ name: 'broken', webhook: { url: brokenUrl, secret: BROKEN_SECRET } });
  const launched = await fetch(`${stack.simUrl}/tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ frameworkId: 'broken', machine: sim(3).hostname }),
  });
  expect(launched.status).toBe(201);

  // sim-01: the mover only (drains, DOWN early); sim-03 and sim-06: the silent framework keeps tasks there (a hard
  // drain at the deadline); sim-02: an operator's down at once. Down for ten minutes: still DOWN when scraped.
  const machines = [1, 2, 3, 6].map(sim);
  const created = await fetch(`${stack.apiUrl}/api/v1/windows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'metrics-test-create' },
    body: JSON.stringify({ machines, drainWithin: '20s', duration: '10m' }),
  });
  expect(created.status).toBe(201);
  expect(created.headers.get('x-request-id')).toBe('metrics-test-create');
  const id: string = ((await created.json()) as { id: string }).id;
  expect((await stack.api('POST', `/api/v1/windows/${id}/down`, { machines: [sim(2)] })).status).toBe(200);

  // While draining: the silent framework's offers (sim-03, sim-06) and the broken one's (sim-03) are outstanding,
  // in the API's gauges read from the mailboxes; the failed webhook is counted by the worker.
  await stack.eventually('outstanding offers in the API metrics', async () => {
    const api = await scrape(stack.apiUrl);
    const silent = sum(api, 'maint_inverse_offers_outstanding', { framework: 'silent' });
    const brokenOpen = sum(api, 'maint_inverse_offers_outstanding', { framework: 'broken' });
    return silent === 2 && brokenOpen === 1 && sum(api, 'maint_machines', { mode: 'DRAINING' }) >= 2 ? api : undefined;
  }, 20_000);
  const failing = await stack.eventually('a webhook failure counted', async () => {
    const worker = await scrape(stack.workerMetricsUrl);
    return sum(worker, 'maint_webhook_failures_total', { framework: 'broken', reason: 'http-5xx' }) >= 1 ? worker : undefined;
  });
  expect(brokenPosts).toBeGreaterThanOrEqual(sum(failing, 'maint_webhook_failures_total', { framework: 'broken' }));
  expect(sum(failing, 'maint_webhook_deliveries_total', { framework: 'broken' })).toBe(0);

  const done = await stack.eventually('every machine DOWN', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${id}`);
    return body.machines.every((m: any) => m.mode === 'DOWN') ? body : undefined;
  });
  const how = (n: number) => done.machines.find((m: any) => m.id.hostname === sim(n).hostname).history.find((e: any) => e.what === 'hard drain').detail;
  expect(how(1)).toMatch(/^drained:/);
  expect(how(2)).toMatch(/^operator:/);
  expect(how(3)).toMatch(/^deadline:/);
  expect(how(6)).toMatch(/^deadline:/);

  // The API: machines per mode from Temporal's visibility (a moment behind), offers rescinded by the hard drains.
  const api = await stack.eventually('four machines DOWN in the API metrics', async () => {
    const s = await scrape(stack.apiUrl);
    return sum(s, 'maint_machines', { mode: 'DOWN' }) === 4 && sum(s, 'maint_machines', { mode: 'DRAINING' }) === 0 ? s : undefined;
  });
  expect(sum(api, 'maint_temporal_up')).toBe(1);
  expect(sum(api, 'maint_fleet_read_errors_total')).toBe(0);
  expect(sum(api, 'process_cpu_seconds_total')).toBeGreaterThan(0);

  // The worker: one drain per machine by how it went DOWN, the hard drains of sim-02, sim-03 and sim-06, and every
  // answer the machines recorded (their histories hold one entry per answer).
  const worker = await scrape(stack.workerMetricsUrl);
  expect(sum(worker, 'maint_drain_duration_seconds_count', { how: 'drained' })).toBe(1);
  expect(sum(worker, 'maint_drain_duration_seconds_count', { how: 'hard-drain' })).toBe(2);
  expect(sum(worker, 'maint_drain_duration_seconds_count', { how: 'operator' })).toBe(1);
  expect(sum(worker, 'maint_hard_drain_duration_seconds_count', { trigger: 'deadline' })).toBe(2);
  expect(sum(worker, 'maint_hard_drain_duration_seconds_count', { trigger: 'operator' })).toBe(1);
  // sim-03 and sim-06 drained from creation to the deadline (20 s) and a little more; the others in less.
  const hardDrained = sum(worker, 'maint_drain_duration_seconds_sum', { how: 'hard-drain' });
  expect(hardDrained).toBeGreaterThanOrEqual(2 * 19);
  expect(hardDrained).toBeLessThan(2 * 60);
  expect(sum(worker, 'maint_drain_duration_seconds_bucket', { how: 'hard-drain', le: '15' })).toBe(0);
  expect(sum(worker, 'maint_drain_duration_seconds_bucket', { how: 'hard-drain', le: '+Inf' })).toBe(2);

  const answers = await stack.eventually('every recorded answer counted', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${id}`);
    const recorded = new Map<string, number>();
    for (const m of body.machines) {
      for (const e of m.history) {
        const match = /^(\S+) answered (ACCEPT|DECLINE)$/.exec(e.what);
        if (match) recorded.set(`${match[1]}/${match[2].toLowerCase()}`, (recorded.get(`${match[1]}/${match[2].toLowerCase()}`) ?? 0) + 1);
      }
    }
    const s = await scrape(stack.workerMetricsUrl);
    const counted = new Map<string, number>();
    for (const key of recorded.keys()) {
      const [framework, answer] = key.split('/');
      counted.set(key, sum(s, 'maint_inverse_offer_answers_total', { framework, answer }));
    }
    const total = sum(s, 'maint_inverse_offer_answers_total');
    const same = [...recorded].every(([k, v]) => counted.get(k) === v) && total === [...recorded.values()].reduce((a, b) => a + b, 0);
    return same ? recorded : undefined;
  });
  // sim-03 and sim-06 drain until the deadline (the silent framework's tasks stay), so the mover's accepts land while
  // they drain; sim-01 may not count: the mover moves its task, then accepts 200 ms later, and a look in between finds
  // sim-01 empty and takes it down, rescinding the offer first (CI saw it). sim-02 went at once.
  expect(answers.get('mover/accept')).toBeGreaterThanOrEqual(2);
  expect(answers.get('decliner/decline')).toBeGreaterThanOrEqual(1); // sim-06

  // Sim frameworks' signed webhooks took their events.
  expect(sum(worker, 'maint_webhook_deliveries_total', { framework: 'mover' })).toBeGreaterThan(0);

  const health = await fetch(`${stack.workerMetricsUrl}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ ok: true, state: 'RUNNING' });

  // Logs: JSON lines about the window's machines carry windowId and machine; request lines carry the request id.
  const workerLogs = logLines('worker');
  const down = workerLogs.filter((l) => l.msg === 'machine DOWN' && l.windowId === id);
  expect(down.map((l) => `${l.machine.hostname} ${l.how}`).sort()).toEqual([
    'sim-01 drained',
    'sim-02 operator',
    'sim-03 hard-drain',
    'sim-06 hard-drain',
  ]);
  for (const l of down) expect(l.workflowId).toBe(`${stack.env.MAINT_INSTANCE}/machine/h=${l.machine.hostname};i=${l.machine.ip}`);
  const activities = workerLogs.filter((l) => l.msg === 'machine shut down' && l.windowId === id);
  expect(activities.map((l) => l.machine.hostname).sort()).toEqual(['sim-01', 'sim-02', 'sim-03', 'sim-06']);
  // The hard drain's activity shuts the machine down once it is empty (machine-baseline-5).
  expect(activities.every((l) => l.activityType === 'hardDrain' && typeof l.workflowId === 'string')).toBe(true);
  const webhookWarnings = workerLogs.filter((l) => l.frameworkId === 'broken' && l.reason === 'http-5xx');
  expect(webhookWarnings.length).toBeGreaterThan(0);

  const apiLogs = logLines('api');
  const create = apiLogs.find((l) => l.reqId === 'metrics-test-create');
  expect(create).toMatchObject({ method: 'POST', path: '/api/v1/windows', status: 201, windowId: id, msg: 'request' });
  expect(create!.durationMs).toBeGreaterThan(0);
  const downRequest = apiLogs.find((l) => l.path === `/api/v1/windows/${id}/down`);
  expect(downRequest).toMatchObject({ method: 'POST', status: 200, windowId: id });
  expect(downRequest!.reqId).toMatch(/^[0-9a-f-]{36}$/);

  // No secret in any line: the broken framework's webhook secret, the sim frameworks' secrets' holder, the key.
  const everything = ['api', 'worker', 'sim'].map((role) =>
    readFileSync(path.join(process.env.MAINT_TEST_DIR ?? path.join(projectRoot(), 'test-output'), String(stack.env.MAINT_INSTANCE), `${role}.log`), 'utf8'),
  );
  for (const text of everything) {
    expect(text).not.toContain(BROKEN_SECRET);
    expect(text).not.toContain(String(stack.env.MAINT_SECRET_KEY));
  }

  // No worker: the mailboxes cannot answer, so the offers gauge is left out and maint_temporal_up says 0; the
  // machine counts (visibility) still come, and /metrics still answers 200.
  await stack.kill('worker');
  const away = await stack.eventually('the API metrics without a worker', async () => {
    const s = await scrape(stack.apiUrl);
    return sum(s, 'maint_temporal_up') === 0 ? s : undefined;
  }, 60_000);
  expect(sum(away, 'maint_fleet_read_errors_total', { source: 'inverse_offers' })).toBeGreaterThanOrEqual(1);
  expect(sum(away, 'maint_fleet_read_errors_total', { source: 'machines' })).toBe(0);
  expect([...away.keys()].some((k) => k.startsWith('maint_inverse_offers_outstanding'))).toBe(false);
  expect(sum(away, 'maint_machines', { mode: 'DOWN' })).toBe(4);
});
