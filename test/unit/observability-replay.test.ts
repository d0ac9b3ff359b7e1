// A replayed history counts nothing twice: the recorded machine histories replay against today's code (with its sink
// calls) with the worker's sinks registered, and no metric moves; registered to be called during replay, the same
// sinks do count, so the recorded paths do reach them (this test could fail).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type LogEntry, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/logger';
import { WorkerMetrics } from '../../src/observability/metrics';
import { maintenanceSinks } from '../../src/observability/sinks';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';

const DIR = path.join(__dirname, '..', 'replay', 'histories');
const machineHistories = readdirSync(DIR).filter((f) => f.startsWith('machineWorkflow--') && f.endsWith('.json')).sort();
const sdkLines: LogEntry[] = [];
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN', (entry) => sdkLines.push(entry)) });
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
});

async function replayAll(callDuringReplay: boolean): Promise<string> {
  const registry = new Registry();
  const sinks = maintenanceSinks(new WorkerMetrics(registry), createLogger('worker', 'silent'));
  for (const sink of Object.values(sinks.maintenance)) sink.callDuringReplay = callDuringReplay;
  for (const file of machineHistories) {
    const history = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: bundle, sinks }, history, file);
  }
  return registry.metrics();
}

test('replaying every recorded machine history counts nothing', async () => {
  expect(machineHistories.length).toBeGreaterThan(10);
  const text = await replayAll(false);
  expect(text).not.toMatch(/^maint_inverse_offer_answers_total\{/m);
  expect(text).not.toMatch(/^maint_drain_duration_seconds_count\{/m);
  expect(text).not.toMatch(/^maint_hard_drain_duration_seconds_count\{/m);
  expect(sdkLines.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([]);
});

test('the same histories do reach the sinks: called during replay, they count answers and drains', async () => {
  const text = await replayAll(true);
  expect(text).toMatch(/^maint_inverse_offer_answers_total\{framework="[^"]+",answer="(accept|decline)",late="(true|false)"\} [1-9]/m);
  expect(text).toMatch(/^maint_drain_duration_seconds_count\{how="hard-drain"\} [1-9]/m);
  expect(text).toMatch(/^maint_drain_duration_seconds_count\{how="operator"\} [1-9]/m);
  expect(text).toMatch(/^maint_hard_drain_duration_seconds_count\{trigger="deadline"\} [1-9]/m);
});
