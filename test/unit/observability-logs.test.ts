// Logs: secrets redacted at any depth the code logs them, API request lines with their request id (honoured or made,
// and returned), the Temporal SDK's lines through pino, activities' child loggers, the worker's health and metrics server.
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { Registry } from 'prom-client';
import { createLogger, REDACTED } from '../../src/logger';
import { requestLog, subjectOf } from '../../src/observability/request-log';
import { PinoTemporalLogger } from '../../src/observability/temporal-logger';
import { serveWorkerMetrics } from '../../src/observability/worker-server';
import { WorkerMetrics } from '../../src/observability/metrics';
import { activityLogger, windowOf } from '../../activities/logging';
import { loadConfig } from '../../src/config';

function capture(level = 'trace') {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('test', level, stream);
  return {
    logger,
    text: () => chunks.join(''),
    read: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>),
  };
}

describe('redaction', () => {
  const SECRET = 'webhook-secret-do-not-log-0123';
  const KEY = 'a1'.repeat(32);

  test('webhook secrets, credentials and MAINT_SECRET_KEY never reach a line, at any depth code logs them', () => {
    const { logger, text, read } = capture();
    logger.info({ secret: SECRET }, 'top');
    logger.info({ subscription: { webhookSecret: SECRET, sealedSecret: SECRET } }, 'one deep');
    logger.info({ body: { subscribe: { webhook: { url: 'http://x', secret: SECRET } } } }, 'three deep');
    logger.info({ req: { headers: { authorization: `Basic ${Buffer.from(`ops:${SECRET}`).toString('base64')}` } } }, 'headers');
    logger.info({ config: { secretKey: Buffer.from(KEY, 'hex') }, env: { MAINT_SECRET_KEY: KEY } }, 'key');
    logger.info({ credentials: { principal: 'ops', password: SECRET } }, 'password');
    const all = text();
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(Buffer.from(`ops:${SECRET}`).toString('base64'));
    const lines = read();
    expect(lines[0].secret).toBe(REDACTED);
    expect(lines[1].subscription).toEqual({ webhookSecret: REDACTED, sealedSecret: REDACTED });
    expect(lines[2].body.subscribe.webhook).toEqual({ url: 'http://x', secret: REDACTED });
    expect(lines[3].req.headers.authorization).toBe(REDACTED);
    expect(lines[4]).toMatchObject({ config: { secretKey: REDACTED }, env: { MAINT_SECRET_KEY: REDACTED } });
    expect(lines[5].credentials).toEqual({ principal: 'ops', password: REDACTED });
  });

  test('what is not a secret stays', () => {
    const { logger, read } = capture();
    logger.info({ windowId: 'w-1', machine: { hostname: 'sim-01', ip: '192.0.2.1' }, frameworkId: 'mover' }, 'plain');
    expect(read()[0]).toMatchObject({ windowId: 'w-1', machine: { hostname: 'sim-01', ip: '192.0.2.1' }, frameworkId: 'mover' });
  });
});

describe('request log', () => {
  async function serve(principal?: string) {
    const { logger, read, text } = capture();
    const app = express();
    app.use(requestLog({ logger, principal: () => principal }));
    app.post('/api/v1/windows', (_req, res) => {
      res.status(201).location('/api/v1/windows/w-7').json({ id: 'w-7' });
    });
    app.get('/api/v1/windows/:id', (_req, res) => {
      res.json({});
    });
    app.get('/api/v1/machines/:m', (_req, res) => {
      res.status(404).json({});
    });
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/boom', () => {
      throw new Error('boom');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, read, text, close: () => new Promise((r) => server.close(r)) };
  }

  test("a caller's X-Request-Id is kept and returned; the line has method, path, status, duration, principal, window", async () => {
    const s = await serve('ops');
    const res = await fetch(`${s.url}/api/v1/windows/w-3?x=1`, {
      headers: { 'X-Request-Id': 'req-42', Authorization: 'Basic b3BzOnMzY3JldA==' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    await s.close();
    const [line] = s.read().filter((l) => l.msg === 'request');
    expect(line).toMatchObject({ reqId: 'req-42', method: 'GET', path: '/api/v1/windows/w-3', status: 200, principal: 'ops', windowId: 'w-3' });
    expect(line.durationMs).toBeGreaterThan(0);
    expect(s.text()).not.toContain('b3BzOnMzY3JldA==');
    expect(s.text()).not.toContain('authorization');
  });

  test('without one, or with one that is not plain, an id is made', async () => {
    const s = await serve();
    const made = await fetch(`${s.url}/api/v1/windows/w-3`);
    const replaced = await fetch(`${s.url}/api/v1/windows/w-3`, { headers: { 'X-Request-Id': 'a b"c' } });
    const tooLong = await fetch(`${s.url}/api/v1/windows/w-3`, { headers: { 'X-Request-Id': 'x'.repeat(129) } });
    await s.close();
    for (const res of [made, replaced, tooLong]) expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ids = s.read().map((l) => l.reqId);
    expect(ids).toEqual([made, replaced, tooLong].map((r) => r.headers.get('x-request-id')));
    expect(s.read()[0]).not.toHaveProperty('principal');
  });

  test('a created window is named from its Location; a machine by hostname or IP; probes only at debug', async () => {
    const s = await serve();
    await fetch(`${s.url}/api/v1/windows`, { method: 'POST' });
    await fetch(`${s.url}/api/v1/machines/sim-05`);
    await fetch(`${s.url}/api/v1/machines/192.0.2.5`);
    await fetch(`${s.url}/healthz`);
    await fetch(`${s.url}/boom`);
    await s.close();
    const lines = s.read();
    expect(lines[0]).toMatchObject({ method: 'POST', path: '/api/v1/windows', status: 201, windowId: 'w-7', level: 30 });
    expect(lines[1]).toMatchObject({ status: 404, machine: { hostname: 'sim-05' } });
    expect(lines[2]).toMatchObject({ machine: { ip: '192.0.2.5' } });
    expect(lines[3]).toMatchObject({ path: '/healthz', level: 20 });
    expect(lines[4]).toMatchObject({ path: '/boom', status: 500, level: 40 });
  });

  test('subjects', () => {
    expect(subjectOf('/api/v1/windows/w-1/extend')).toEqual({ windowId: 'w-1' });
    expect(subjectOf('/api/v1/windows', '/api/v1/windows/w-2')).toEqual({ windowId: 'w-2' });
    expect(subjectOf('/api/v1/scheduler/frameworks/mover/events')).toEqual({ frameworkId: 'mover' });
    expect(subjectOf('/master/maintenance/status')).toEqual({});
  });
});

describe("the Temporal SDK's logs", () => {
  test("workflow and activity lines at their level, with the SDK's metadata; the SDK's own below WARN at debug", () => {
    const { logger, read } = capture('info');
    const temporal = new PinoTemporalLogger(logger);
    temporal.info('window could not be started', { sdkComponent: 'workflow', workflowId: 'maint/schedule', workflowType: 'scheduleWorkflow', window: 'w-1' });
    temporal.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    temporal.warn('Activity failed', { sdkComponent: 'worker', activityType: 'deliverWebhook', error: new Error('answered 500') });
    temporal.log('ERROR', 'core trouble', { sdkComponent: 'core' });
    const lines = read();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'window could not be started'],
      [40, 'Activity failed'],
      [50, 'core trouble'],
    ]);
    expect(lines[0]).toMatchObject({ workflowId: 'maint/schedule', workflowType: 'scheduleWorkflow', sdkComponent: 'workflow' });
    expect(lines[1].err).toMatchObject({ message: 'answered 500', type: 'Error' });
  });
});

describe('activity loggers', () => {
  test("name the window from a machine's idempotency key, and the machine", () => {
    const { logger, read } = capture();
    activityLogger(logger, { machine: { hostname: 'sim-07', ip: '192.0.2.7' }, idempotencyKey: 'w-3/h=sim-07;i=192.0.2.7/hard-drain' }).info('x');
    expect(read()[0]).toMatchObject({ windowId: 'w-3', machine: { hostname: 'sim-07', ip: '192.0.2.7' } });
    expect(windowOf('w-12/i=10.0.0.1/up')).toBe('w-12');
    expect(windowOf('agent-1/drain')).toBeUndefined();
    expect(windowOf(undefined)).toBeUndefined();
  });
});

describe("the worker's health and metrics server", () => {
  test('healthz follows the Worker state; metrics are the registry; other paths and methods refused', async () => {
    let state = 'INITIALIZED';
    const registry = new Registry();
    new WorkerMetrics(registry).failed('broken', 'network');
    const server = await serveWorkerMetrics({ host: '127.0.0.1', port: 0, registry, state: () => state });
    try {
      const starting = await fetch(`${server.url}/healthz`);
      expect(starting.status).toBe(503);
      expect(await starting.json()).toMatchObject({ ok: false, state: 'INITIALIZED' });
      state = 'RUNNING';
      const running = await fetch(`${server.url}/healthz`);
      expect(running.status).toBe(200);
      expect(await running.json()).toEqual({ ok: true, state: 'RUNNING' });
      state = 'STOPPING';
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503);

      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toBe(registry.contentType);
      expect(await metrics.text()).toContain('maint_webhook_failures_total{framework="broken",reason="network"} 1');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  test('a port in use stops it with a message naming the variables', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(serveWorkerMetrics({ host: '127.0.0.1', port, registry: new Registry(), state: () => 'RUNNING' })).rejects.toThrow(
        /127\.0\.0\.1:\d+ is in use .*set METRICS_PORT to a free port, or 0 to serve no metrics/,
      );
    } finally {
      taken.close();
    }
  });
});

describe('configuration', () => {
  test('METRICS_PORT and METRICS_HOST: defaults, 0 (no server), bad values named', () => {
    expect(loadConfig({}).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ METRICS_PORT: '0', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 0 });
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT/);
  });
});
