// Records the histories the replay tests guard (test/replay/histories): runs every notable path of every workflow
// type on a real dev server, through the real API, worker and simulator processes, then exports each run's history.
//
//   npm run record-histories            (starts its own dev server)
//   TEMPORAL_ADDRESS=… npm run record-histories
//
// Re-record only on purpose: the committed histories are what running maintenance looks like to the next version.
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { connectClient } from '../src/temporal/client';
import { projectRoot } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/dev-server';
import { Stack } from '../test/support/stack';
import { freePort } from '../test/support/ports';

const OUT = path.join(projectRoot(), 'test', 'replay', 'histories');
const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Scenario = { name: string; run(stack: Stack): Promise<string> };

/** An operator's down once the machine is in `phase`, then up once it is DOWN. */
async function downThenUp(stack: Stack, windowId: string, hostname: string, phase: string): Promise<string> {
  await machinePhase(stack, windowId, hostname, phase);
  await stack.api('POST', `/api/v1/windows/${windowId}/down`, {});
  await machinePhase(stack, windowId, hostname, 'down');
  await stack.api('POST', `/api/v1/windows/${windowId}/up`, {});
  return windowId;
}

async function create(stack: Stack, body: object): Promise<string> {
  const res = await stack.api('POST', '/api/v1/windows', body);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function machinePhase(stack: Stack, windowId: string, hostname: string, phase: string): Promise<void> {
  await stack.eventually(`${hostname} ${phase}`, async () => {
    const res = await stack.api('GET', `/api/v1/windows/${windowId}`);
    return res.body?.machines?.find((m: any) => m.id.hostname === hostname)?.phase === phase ? true : undefined;
  });
}

const scenarios: Scenario[] = [
  { name: 'cooperative-drain', run: (s) => create(s, { machines: [sim(1)], drainWithin: '3s', duration: '2s' }) },
  { name: 'escalation', run: (s) => create(s, { machines: [sim(6)], drainWithin: '3s', duration: '2s' }) },
  {
    name: 'extension',
    async run(s) {
      const id = await create(s, { machines: [sim(12)], drainWithin: '4s', duration: '2s' });
      await machinePhase(s, id, 'sim-12', 'draining');
      await s.api('POST', `/api/v1/windows/${id}/extend`, { by: '2s' });
      return id;
    },
  },
  {
    name: 'cancellation',
    async run(s) {
      const id = await create(s, { machines: [sim(9)], drainWithin: '1h' });
      await machinePhase(s, id, 'sim-09', 'draining');
      await s.api('POST', `/api/v1/windows/${id}/cancel`);
      return id;
    },
  },
  {
    name: 'down-up',
    run: async (s) => downThenUp(s, await create(s, { machines: [sim(10)], drainWithin: '1h' }), 'sim-10', 'draining'),
  },
  {
    name: 'notify-then-down',
    run: async (s) =>
      downThenUp(
        s,
        await create(s, { machines: [sim(8)], drainWithin: '2s', policy: { escalation: 'notify' } }),
        'sim-08',
        'awaiting-operator',
      ),
  },
  {
    name: 'paced',
    run: (s) => create(s, { machines: [sim(5), sim(7)], drainWithin: '2s', duration: '2s', policy: { maxParallel: 1 } }),
  },
  {
    name: 'crash-and-resume',
    async run(s) {
      const id = await create(s, { machines: [sim(4)], drainWithin: '4s', duration: '2s' });
      await machinePhase(s, id, 'sim-04', 'draining');
      await s.kill('worker');
      await pause(1_000);
      s.spawn('worker');
      return id;
    },
  },
];

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'maint-record-'));
  process.env.MAINT_TEST_DIR = dir;
  const server = process.env.TEMPORAL_ADDRESS
    ? undefined
    : await startDevServer({ port: await freePort(), namespace: 'default', dbFile: path.join(dir, 'temporal.db') });
  if (server) process.env.TEMPORAL_ADDRESS = server.address;
  const stack = await Stack.start({ machines: 12, checkInterval: '1s', taskGrace: '500ms' });
  try {
    const windows = new Map<string, string>();
    for (const scenario of scenarios) {
      windows.set(await scenario.run(stack), scenario.name);
      console.log(`started ${scenario.name}`);
    }
    for (const [id, name] of windows) {
      await stack.eventually(`${name} (${id}) to end`, async () => {
        const res = await stack.api('GET', `/api/v1/windows/${id}`);
        return res.body?.state === 'COMPLETED' || res.body?.state === 'CANCELLED' ? true : undefined;
      }, 120_000);
    }
    const client = await connectClient(process.env.TEMPORAL_ADDRESS!, 'default');
    mkdirSync(OUT, { recursive: true });
    for (const f of readdirSync(OUT)) if (f.endsWith('.json')) rmSync(path.join(OUT, f));
    const prefix = `${stack.env.MAINT_INSTANCE}/`;
    let count = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}"` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const windowId = /\/window\/(w-\d+)$/.exec(wf.workflowId)?.[1];
      const machineWindow = wf.searchAttributes?.MaintenanceWindow?.[0] as string | undefined;
      const scenario = windows.get(windowId ?? machineWindow ?? '') ?? 'entity';
      const subject = wf.workflowId.slice(prefix.length).replace(/[^a-z0-9.-]+/gi, '_');
      const file = `${wf.type}--${scenario}--${subject}--${wf.runId.slice(-8)}.json`;
      writeFileSync(path.join(OUT, file), historyToJSON(history));
      count++;
    }
    console.log(`recorded ${count} histories in ${path.relative(projectRoot(), OUT)}`);
    await client.connection.close();
  } finally {
    await stack.stop();
    await server?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
