// Workflows' stack traces (the stack trace query behind the Web UI's Stack Trace tab) are off in maint's worker unless
// MAINT_WORKFLOW_STACK_TRACES=on: maint's patch of the SDK (patches/, applied by npm ci's postinstall) leaves out the
// promise hook that records them, about a third of a loaded workflow thread's CPU (docs/performance.md). Real worker
// processes, as users run them: the setting reaches the SDK's workflow threads through the worker's environment.
import { Client, Connection } from '@temporalio/client';
import { WorkflowIds } from '../../src/temporal/ids';
import { Stack } from '../support/stack';

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });

/** The stack trace query's answer from a window that waits for its deadline, on a stack with `env`. */
async function windowStackTrace(env: NodeJS.ProcessEnv): Promise<string> {
  const stack = await Stack.start({ machines: 2, env });
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  try {
    const created = await stack.api('POST', '/api/v1/windows', { machines: [sim(1)], drainWithin: '1h', duration: '1m' });
    expect(created.status).toBe(201);
    const window = new Client({ connection }).workflow.getHandle(new WorkflowIds(stack.env.MAINT_INSTANCE).window(created.body.id));
    return await window.query<string>('__stack_trace').then(
      (trace) => trace,
      (err: Error) => `failed: ${err.message}`,
    );
  } finally {
    await connection.close();
    await stack.stop();
  }
}

test('the worker records no workflow stack traces by default, and the query says they are not enabled', async () => {
  expect(await windowStackTrace({})).toMatch(/^failed: .*stack traces are not enabled on this worker/);
});

test('MAINT_WORKFLOW_STACK_TRACES=on: the query shows where the window waits', async () => {
  const trace = await windowStackTrace({ MAINT_WORKFLOW_STACK_TRACES: 'on' });
  expect(trace).not.toMatch(/^failed/);
  expect(trace).toContain('windowWorkflow');
});
