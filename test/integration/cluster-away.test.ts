// A machine's looks run in its workflow task (machine-baseline-5, local activities) for a few attempts only: with the
// cluster away, a look becomes an activity that waits for it, and the worker still stops when told. Before that bound,
// a worker told to stop while its simulated cluster was gone had not stopped five minutes later (its local activities
// kept retrying inside their workflow tasks). Real processes: the worker, the API and the simulated cluster.
import { Client, Connection } from '@temporalio/client';
import { activitiesRun } from '../../src/temporal/activities-run';
import { WorkflowIds } from '../../src/temporal/ids';
import { Stack } from '../support/stack';

let stack: Stack;
let connection: Connection;

beforeAll(async () => {
  stack = await Stack.start({ machines: 2 });
  connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
}, 120_000);
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

test('with the cluster away, a look becomes an activity, and the worker stops within seconds of SIGTERM', async () => {
  // sim-02 runs a decliner's task: it stays DRAINING for its hour, looking once a second (MAINT_CHECK_INTERVAL).
  const machine = { hostname: 'sim-02', ip: '192.0.2.2' };
  const created = await stack.api('POST', '/api/v1/windows', { machines: [machine], drainWithin: '1h' });
  expect(created.status).toBe(201);
  const handle = new Client({ connection }).workflow.getHandle(new WorkflowIds(stack.env.MAINT_INSTANCE).machine(machine));
  const looks = async () => activitiesRun((await handle.fetchHistory()).events ?? []).filter((a) => a.type === 'inspectMachine');
  await stack.eventually('a look in the workflow task', async () => ((await looks()).some((l) => l.how === 'local') ? true : undefined));

  await stack.kill('sim');
  await stack.eventually('a look handed to an activity', async () => ((await looks()).some((l) => l.how === 'activity') ? true : undefined), 60_000);

  const asked = Date.now();
  await stack.kill('worker', 'SIGTERM');
  // Its shutdown grace (5 s) and a look in progress (CLUSTER_CALL_IN_TASK's three attempts, about 11 s if each hangs),
  // with room for a slow machine.
  expect(Date.now() - asked).toBeLessThan(30_000);
}, 150_000);
