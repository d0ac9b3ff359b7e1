// The metrics a process serves: what the worker counts (and how Prometheus reads it), the sinks that feed it from
// workflow events, and the API's fleet gauges (cached, and left out rather than failing when Temporal is away).
import { Writable } from 'node:stream';
import type { WorkflowInfo } from '@temporalio/workflow';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/logger';
import { FleetGauges, type FleetSource } from '../../src/observability/fleet-gauges';
import { WorkerMetrics, processRegistry, webhookFailureOf } from '../../src/observability/metrics';
import { maintenanceSinks } from '../../src/observability/sinks';

function lines(): { stream: Writable; read: () => Record<string, any>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, read: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

const info = { workflowId: 'maint/machine/h=sim-06;i=192.0.2.6', runId: 'run-1', workflowType: 'machineWorkflow' } as WorkflowInfo;
const machine = { hostname: 'sim-06', ip: '192.0.2.6' };

describe('worker metrics', () => {
  test('render in Prometheus text format with their labels and buckets', async () => {
    const registry = new Registry();
    const metrics = new WorkerMetrics(registry);
    metrics.answered('mover', 'ACCEPT', false);
    metrics.answered('mover', 'ACCEPT', false);
    metrics.answered('decliner', 'DECLINE', true);
    metrics.down('hard-drain', 65_000, 4_000);
    metrics.down('drained', 3_000, 10);
    metrics.delivered('mover');
    metrics.failed('broken', 'http-5xx');
    const text = await registry.metrics();
    expect(text).toContain('# TYPE maint_inverse_offer_answers_total counter');
    expect(text).toContain('maint_inverse_offer_answers_total{framework="mover",answer="accept",late="false"} 2');
    expect(text).toContain('maint_inverse_offer_answers_total{framework="decliner",answer="decline",late="true"} 1');
    expect(text).toContain('# TYPE maint_drain_duration_seconds histogram');
    expect(text).toContain('maint_drain_duration_seconds_bucket{le="60",how="hard-drain"} 0');
    expect(text).toContain('maint_drain_duration_seconds_bucket{le="120",how="hard-drain"} 1');
    expect(text).toContain('maint_drain_duration_seconds_sum{how="hard-drain"} 65');
    expect(text).toContain('maint_drain_duration_seconds_count{how="drained"} 1');
    // A machine that drained by itself had no hard drain: only the deadline's is measured.
    expect(text).toContain('maint_hard_drain_duration_seconds_count{trigger="deadline"} 1');
    expect(text).toContain('maint_hard_drain_duration_seconds_sum{trigger="deadline"} 4');
    expect(text).not.toContain('maint_hard_drain_duration_seconds_count{trigger="drained"}');
    expect(text).toContain('maint_webhook_deliveries_total{framework="mover"} 1');
    expect(text).toContain('maint_webhook_failures_total{framework="broken",reason="http-5xx"} 1');
  });

  test("a process's registry has prom-client's process metrics", async () => {
    const text = await processRegistry().metrics();
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });

  test.each([
    [500, 'http-5xx'],
    [503, 'http-5xx'],
    [401, 'signature-rejected'],
    [403, 'signature-rejected'],
    [404, 'http-4xx'],
    [429, 'http-4xx'],
    [302, 'http-other'],
  ])('a webhook answering %i fails as %s', (status, reason) => {
    expect(webhookFailureOf(status)).toBe(reason);
  });
});

describe('sinks', () => {
  test('machine events become metrics and log lines with workflowId, windowId and machine', async () => {
    const registry = new Registry();
    const out = lines();
    const sinks = maintenanceSinks(new WorkerMetrics(registry), createLogger('worker', 'info', out.stream)).maintenance;
    for (const sink of Object.values(sinks)) expect(sink.callDuringReplay).toBe(false);

    const t0 = Date.UTC(2026, 10, 25, 12);
    sinks.draining.fn(info, { windowId: 'w-3', machine, deadlineMs: t0 + 60_000 });
    sinks.answered.fn(info, { windowId: 'w-3', machine, frameworkId: 'decliner', answer: 'DECLINE', late: false });
    sinks.hardDrainStarted.fn(info, { windowId: 'w-3', machine, how: 'hard-drain', tasks: 2 });
    sinks.down.fn(info, {
      windowId: 'w-3',
      machine,
      how: 'hard-drain',
      drainingSinceMs: t0,
      hardDrainStartedMs: t0 + 60_000,
      downAtMs: t0 + 62_500,
      killed: 2,
    });
    sinks.up.fn(info, { windowId: 'w-3', machine, why: 'unavailability ended' });

    const text = await registry.metrics();
    expect(text).toContain('maint_inverse_offer_answers_total{framework="decliner",answer="decline",late="false"} 1');
    expect(text).toContain('maint_drain_duration_seconds_sum{how="hard-drain"} 62.5');
    expect(text).toContain('maint_hard_drain_duration_seconds_sum{trigger="deadline"} 2.5');

    const logged = out.read();
    expect(logged.map((l) => l.msg)).toEqual([
      'machine DRAINING',
      'inverse offer answered',
      'hard drain started',
      'machine DOWN',
      'machine UP',
    ]);
    for (const l of logged) {
      expect(l).toMatchObject({ workflowId: info.workflowId, windowId: 'w-3', machine, name: 'maint-worker' });
    }
    expect(logged[3]).toMatchObject({ how: 'hard-drain', drainSeconds: 62.5, hardDrainSeconds: 2.5, killed: 2 });
  });

  test("an operator's down is a hard drain triggered by the operator", async () => {
    const registry = new Registry();
    const sinks = maintenanceSinks(new WorkerMetrics(registry), createLogger('worker', 'silent')).maintenance;
    sinks.down.fn(info, { windowId: 'w-1', machine, how: 'operator', drainingSinceMs: 0, hardDrainStartedMs: 1_000, downAtMs: 3_000, killed: 1 });
    const text = await registry.metrics();
    expect(text).toContain('maint_drain_duration_seconds_count{how="operator"} 1');
    expect(text).toContain('maint_hard_drain_duration_seconds_count{trigger="operator"} 1');
  });
});

describe('fleet gauges', () => {
  class StandIn implements FleetSource {
    reads = 0;
    fail = false;
    hang = false;
    machines = { DRAINING: 7, DOWN: 3 };
    offers = new Map([
      ['silent', 4],
      ['mover', 0],
    ]);
    async machinesByMode() {
      this.reads++;
      if (this.hang) return new Promise<never>(() => undefined);
      if (this.fail) throw new Error('14 UNAVAILABLE: connection refused');
      return this.machines;
    }
    async outstandingOffers() {
      if (this.fail) throw new Error('14 UNAVAILABLE: connection refused');
      return this.offers;
    }
  }

  function gauges(options: { cacheMs?: number; timeoutMs?: number } = {}) {
    let now = 1_000_000;
    const source = new StandIn();
    const registry = new Registry();
    new FleetGauges(source, registry, { cacheMs: 5_000, ...options, now: () => now });
    return { source, registry, advance: (ms: number) => (now += ms) };
  }

  test('machines per mode and outstanding offers per framework, Temporal up', async () => {
    const { registry } = gauges();
    const text = await registry.metrics();
    expect(text).toContain('# TYPE maint_machines gauge');
    expect(text).toContain('maint_machines{mode="DRAINING"} 7');
    expect(text).toContain('maint_machines{mode="DOWN"} 3');
    expect(text).toContain('maint_inverse_offers_outstanding{framework="silent"} 4');
    expect(text).toContain('maint_inverse_offers_outstanding{framework="mover"} 0');
    expect(text).toContain('maint_temporal_up 1');
  });

  test('scrapes within the cache period share one reading; a later one reads again', async () => {
    const { source, registry, advance } = gauges();
    await Promise.all([registry.metrics(), registry.metrics(), registry.metrics()]);
    expect(source.reads).toBe(1);
    advance(4_999);
    await registry.metrics();
    expect(source.reads).toBe(1);
    source.machines = { DRAINING: 0, DOWN: 10 };
    advance(1);
    expect(await registry.metrics()).toContain('maint_machines{mode="DOWN"} 10');
    expect(source.reads).toBe(2);
  });

  test('Temporal away: the fleet series are left out, maint_temporal_up is 0, the errors are counted; then back', async () => {
    const { source, registry, advance } = gauges();
    await registry.metrics();
    source.fail = true;
    advance(5_000);
    const text = await registry.metrics();
    expect(text).not.toMatch(/^maint_machines\{/m);
    expect(text).not.toMatch(/^maint_inverse_offers_outstanding\{/m);
    expect(text).toContain('maint_temporal_up 0');
    expect(text).toContain('maint_fleet_read_errors_total{source="machines"} 1');
    expect(text).toContain('maint_fleet_read_errors_total{source="inverse_offers"} 1');
    source.fail = false;
    advance(5_000);
    const back = await registry.metrics();
    expect(back).toContain('maint_machines{mode="DRAINING"} 7');
    expect(back).toContain('maint_temporal_up 1');
  });

  test('a reading that does not answer in time counts as failed, and the scrape still answers', async () => {
    const { source, registry } = gauges({ timeoutMs: 50 });
    source.hang = true;
    const text = await registry.metrics();
    expect(text).toContain('maint_temporal_up 0');
    expect(text).toContain('maint_fleet_read_errors_total{source="machines"} 1');
    expect(text).toContain('maint_inverse_offers_outstanding{framework="silent"} 4');
  });
});
