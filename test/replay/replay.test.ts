// Replays the recorded histories (npm run record-histories) against today's workflow code: a change that would break
// a running maintenance (a non-determinism) fails here before it reaches a worker.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';

const DIR = path.join(__dirname, 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
});

test('there is a recorded history of every workflow type and every notable path', () => {
  const types = new Set(files.map((f) => f.split('--')[0]));
  expect([...types].sort()).toEqual(['agentWorkflow', 'frameworksWorkflow', 'machineWorkflow', 'scheduleWorkflow', 'windowWorkflow']);
  const paths = new Set(files.filter((f) => f.startsWith('machineWorkflow')).map((f) => f.split('--')[1]));
  for (const p of ['cooperative-drain', 'escalation', 'extension', 'cancellation', 'down-up', 'notify-then-down', 'paced', 'crash-and-resume', 'mesos-schedule', 'mesos-left-out']) {
    expect(paths).toContain(p);
  }
  const agentPaths = new Set(files.filter((f) => f.startsWith('agentWorkflow')).map((f) => f.split('--')[1]));
  expect([...agentPaths].sort()).toEqual(['agent-deactivate', 'agent-drain', 'agent-gone']);
});

test.each(files)('%s replays', async (file) => {
  const history = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: bundle }, history, file);
});

test('a change made without patched() fails the replay', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'fixtures', 'incompatible-workflows.ts'),
    logger: new DefaultLogger('ERROR'),
  });
  const file = files.find((f) => f.startsWith('machineWorkflow--escalation'))!;
  const history = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
  await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, file)).rejects.toBeInstanceOf(
    DeterminismViolationError,
  );
});
