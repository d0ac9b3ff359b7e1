// Replays the recorded histories (npm run record-histories) against today's workflow code: a change that would break
// a running maintenance (a non-determinism) fails here before it reaches a worker.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { activitiesRun } from '../../src/temporal/activities-run';
import { quietSinks, WORKFLOWS_PATH } from '../../src/temporal/worker';

const DIR = path.join(__dirname, 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
});

test('there is a recorded history of every workflow type and every notable path', () => {
  const types = new Set(files.map((f) => f.split('--')[0]));
  expect([...types].sort()).toEqual([
    'agentWorkflow',
    'frameworkMailboxWorkflow',
    'frameworksWorkflow',
    'machineWorkflow',
    'scheduleWorkflow',
    'windowWorkflow',
  ]);
  const paths = new Set(files.filter((f) => f.startsWith('machineWorkflow')).map((f) => f.split('--')[1]));
  for (const p of ['cooperative-drain', 'escalation', 'extension', 'cancellation', 'down-up', 'notify-then-down', 'paced', 'crash-and-resume', 'mesos-schedule', 'mesos-left-out', 'scheduler-filters', 'scheduler-budget', 'scheduler-wait', 'scheduler-late-answer']) {
    expect(paths).toContain(p);
  }
  const windowPaths = new Set(files.filter((f) => f.startsWith('windowWorkflow')).map((f) => f.split('--')[1]));
  for (const p of ['cancellation', 'extension', 'down-up', 'paced', 'cancel-before-start']) expect(windowPaths).toContain(p);
  const agentPaths = new Set(files.filter((f) => f.startsWith('agentWorkflow')).map((f) => f.split('--')[1]));
  expect([...agentPaths].sort()).toEqual(['agent-deactivate', 'agent-drain', 'agent-gone']);
});

test('a schedule history holds both ways a machine is released: its own signal, and its UP report (release-with-up)', () => {
  const signals = files
    .filter((f) => f.startsWith('scheduleWorkflow--'))
    .flatMap((f) => JSON.parse(readFileSync(path.join(DIR, f), 'utf8')).events ?? [])
    .flatMap((e: any) => {
      const a = e.workflowExecutionSignaledEventAttributes;
      const data = a?.input?.payloads?.[0]?.data;
      return data ? [{ name: a.signalName as string, body: JSON.parse(Buffer.from(data, 'base64').toString('utf8')) }] : [];
    });
  expect(signals.some((s) => s.name === 'machineReleased')).toBe(true);
  expect(signals.some((s) => s.name === 'machineModeChanged' && s.body.mode === 'UP' && s.body.released === true)).toBe(true);
});

test.each([
  ['machineWorkflow', 'reports-for-mesos'],
  ['machineWorkflow', 'scheduler-api'],
  ['machineWorkflow', 'ordered-notices'],
  ['machineWorkflow', 'decide-from-state'],
  ['machineWorkflow', 'state-in-memo'],
  ['machineWorkflow', 'quick-escalation'],
  ['machineWorkflow', 'fewer-looks'],
  ['machineWorkflow', 'quiet-start'],
  ['machineWorkflow', 'prompt-hard-drain'],
  ['machineWorkflow', 'machine-baseline-2026-11'],
  ['machineWorkflow', 'machine-baseline-2026-11-27'],
  ['machineWorkflow', 'machine-baseline-3-signals-by-activity'],
  ['machineWorkflow', 'machine-baseline-4-progress-when-changed'],
  ['machineWorkflow', 'machine-baseline-5-fewer-tasks'],
  ['machineWorkflow', 'deadline-under-load'],
  ['machineWorkflow', 'armed-kills'],
  ['machineWorkflow', 'armed-kills-first'],
  ['windowWorkflow', 'window-arms-kills'],
  ['windowWorkflow', 'window-commands-after-start'],
  ['windowWorkflow', 'state-in-memo'],
  ['frameworksWorkflow', 'state-in-memo'],
  ['frameworksWorkflow', 'scheduler-api'],
  ['agentWorkflow', 'scheduler-api'],
  ['frameworkMailboxWorkflow', 'answers-in-background'],
  ['frameworkMailboxWorkflow', 'late-answers-confirmed'],
])('%s: histories from before and after patch %s are both kept', (type, patch) => {
  const marked = files.filter((f) => f.startsWith(`${type}--`)).map((f) => patchesIn(f).includes(patch));
  expect(marked).toContain(true); // the new path replays
  expect(marked).toContain(false); // and so does the old one
});

test('machine histories hold both ways of each cluster call: an activity task each, and, from baseline 5, local looks and ups (an activity after failed attempts) and the down in the hard drain', () => {
  const machineFiles = files.filter((f) => f.startsWith('machineWorkflow--'));
  const runs = machineFiles.map((f) => ({
    baseline5: patchesIn(f).includes('machine-baseline-5-fewer-tasks'),
    calls: activitiesRun(historyFromJSON(JSON.parse(readFileSync(path.join(DIR, f), 'utf8'))).events ?? []).map((a) => `${a.type} ${a.how}`),
  }));
  for (const call of ['inspectMachine activity', 'inspectMachine local', 'bringMachineUp activity', 'bringMachineUp local', 'takeMachineDown activity']) {
    expect(runs.some((r) => r.calls.includes(call))).toBe(true);
  }
  const [before, after] = [runs.filter((r) => !r.baseline5), runs.filter((r) => r.baseline5)];
  expect(before.every((r) => !r.calls.some((c) => c.endsWith(' local')))).toBe(true);
  expect(after.length).toBeGreaterThan(0);
  expect(after.every((r) => !r.calls.includes('takeMachineDown activity'))).toBe(true); // the hard drain shut it down
  // The cluster away (cluster-away): the look's attempts in the task failed, and an activity looked instead.
  const fellBack = (calls: string[]) => calls.includes('inspectMachine local') && calls.indexOf('inspectMachine local') < calls.indexOf('inspectMachine activity');
  expect(after.some((r) => fellBack(r.calls))).toBe(true);
});

/** The patch ids a history recorded (core_patch markers; the payload is base64 JSON `{"id": …}`). */
function patchesIn(file: string): string[] {
  const history = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
  return (history.events ?? []).flatMap((e: any) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [JSON.parse(Buffer.from(data, 'base64').toString('utf8')).id as string] : [];
  });
}

test.each(files)('%s replays', async (file) => {
  const history = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
  // maint's sinks registered as a worker has them (they never run during a replay; test/unit covers that).
  await Worker.runReplayHistory({ workflowBundle: bundle, sinks: quietSinks() }, history, file);
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
