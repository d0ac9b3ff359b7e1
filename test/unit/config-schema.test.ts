// The configuration schema is the one documented source: every variable says what it means, README's
// Configuration table lists every variable, what production needs of each process is in the schema, and a bad
// value stops start-up naming the variable.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Env, loadConfig, missingEnv, PRODUCTION_ENV } from '../../src/config';

const names = Object.keys(Env.shape);

test('every variable has a description', () => {
  const undescribed = names.filter((name) => !Env.shape[name as keyof typeof Env.shape].description);
  expect(undescribed).toEqual([]);
});

test("every variable is in README's Configuration table", () => {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = /^## Configuration\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  const listed = new Set(rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1])));
  expect(names.filter((name) => !listed.has(name))).toEqual([]);
});

test('what production needs of each process are variables of the schema', () => {
  for (const required of Object.values(PRODUCTION_ENV)) for (const name of required) expect(names).toContain(name);
  expect(PRODUCTION_ENV.api).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'MAINT_SECRET_KEY']));
  expect(PRODUCTION_ENV.worker).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'MAINT_SECRET_KEY']));
  expect(PRODUCTION_ENV.sim).toContain('MAINT_URL');
});

test('missingEnv names what is unset or empty', () => {
  expect(missingEnv({ TEMPORAL_ADDRESS: 'temporal:7233', MAINT_SECRET_KEY: '' }, ['TEMPORAL_ADDRESS', 'MAINT_SECRET_KEY', 'SIM_URL'])).toEqual([
    'MAINT_SECRET_KEY',
    'SIM_URL',
  ]);
});

test.each([
  ['PORT', 'eighty'],
  ['MAINT_SECRET_KEY', 'short'],
  ['SIM_URL', 'not a url'],
  ['MAINT_CHECK_INTERVAL', '1.5s'],
  ['MAINT_ARM_DEADLINE_KILLS', 'yes'],
  ['MAINT_WORKFLOW_STACK_TRACES', 'true'],
  ['MAINT_WORKFLOW_TASK_SLOTS', '1'],
  ['MAINT_WORKFLOW_TASK_SLOTS', 'eight'],
  ['LOG_LEVEL', 'loud'],
])('a bad %s stops start-up naming it', (name, value) => {
  expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`bad configuration: ${name}: `));
});

test('deadline kills are armed unless turned off (MAINT_ARM_DEADLINE_KILLS=off)', () => {
  expect(loadConfig({}).armDeadlineKills).toBe(true);
  expect(loadConfig({ MAINT_ARM_DEADLINE_KILLS: 'on' }).armDeadlineKills).toBe(true);
  expect(loadConfig({ MAINT_ARM_DEADLINE_KILLS: 'off' }).armDeadlineKills).toBe(false);
});

test('workers hold 8 workflow tasks at once unless told (MAINT_WORKFLOW_TASK_SLOTS)', () => {
  expect(loadConfig({}).workflowTaskSlots).toBe(8);
  expect(loadConfig({ MAINT_WORKFLOW_TASK_SLOTS: '40' }).workflowTaskSlots).toBe(40);
});

test("workers keep workflows' stack traces only when asked (MAINT_WORKFLOW_STACK_TRACES=on)", () => {
  expect(loadConfig({}).workflowStackTraces).toBe(false);
  expect(loadConfig({ MAINT_WORKFLOW_STACK_TRACES: 'on' }).workflowStackTraces).toBe(true);
  expect(loadConfig({ MAINT_WORKFLOW_STACK_TRACES: 'off' }).workflowStackTraces).toBe(false);
});
