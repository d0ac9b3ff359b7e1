// Records the histories the replay tests guard (test/replay/histories): runs every notable path of every workflow
// type on a real dev server, through the real API, worker and simulator processes, then exports each run's history.
//
//   npm run record-histories                                   (every scenario; starts its own dev server)
//   RECORD_ONLY=mesos-schedule,agent-drain npm run record-histories   (only these, e.g. new paths)
//   TEMPORAL_ADDRESS=… npm run record-histories
//
// Histories are added, never replaced: the committed ones are what running maintenance looked like to earlier
// versions, and every later version must still replay them. Delete one only on purpose.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { DEFAULT_POLICY } from '../src/domain/policy';
import { connectClient } from '../src/temporal/client';
import { projectRoot } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/dev-server';
import { Stack } from '../test/support/stack';
import { freePort } from '../test/support/ports';
import { TestFramework } from '../test/support/framework';
import { cancelWindow } from '../workflows/messages';
import { windowWorkflow, type WindowInput } from '../workflows/window';

const OUT = path.join(projectRoot(), 'test', 'replay', 'histories');
const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Scenario = { name: string; run(stack: Stack): Promise<string> };

const outsiders: TestFramework[] = [];

let sharedClient: Promise<Client> | undefined;
/** One client for the recorder's own calls (TEMPORAL_ADDRESS is set by then); main closes it. */
const recorderClient = (): Promise<Client> => (sharedClient ??= connectClient(process.env.TEMPORAL_ADDRESS!, 'default'));

/** A framework outside the simulator (its own signed webhook), subscribed, with a task on each machine given. */
async function outsider(
  stack: Stack,
  frameworkId: string,
  machines: number[],
  subscription: Parameters<TestFramework['subscribe']>[0] = {},
): Promise<TestFramework> {
  const f = new TestFramework({ frameworkId, maintUrl: stack.apiUrl });
  outsiders.push(f);
  await f.listen();
  await f.subscribe(subscription);
  for (const n of machines) {
    const res = await fetch(`${stack.simUrl}/tasks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ frameworkId, machine: sim(n).hostname, volumes: [`${frameworkId}-vol-${n}`] }),
    });
    if (res.status !== 201) throw new Error(`launch on sim-${n} failed: ${res.status}`);
  }
  return f;
}

async function offerTo(stack: Stack, f: TestFramework, n: number, count: number): Promise<string> {
  const agentId = `agent-${sim(n).hostname}`;
  return stack.eventually(`offer ${count} to ${f.id}`, async () => f.offersFor(agentId)[count - 1]);
}

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

/** The window's workflow closed: a cancelled one is CANCELLED at once, and its machines' last steps come after. */
async function windowEnded(stack: Stack, windowId: string): Promise<void> {
  const client = await recorderClient();
  await stack.eventually(`${windowId} to end`, async () => {
    const desc = await client.workflow.getHandle(`${stack.env.MAINT_INSTANCE}/window/${windowId}`).describe();
    return desc.status.name === 'COMPLETED' ? true : undefined;
  }, 120_000);
}

async function mesos(stack: Stack, method: string, pathname: string, body?: unknown): Promise<void> {
  const res = await stack.mesos(method, pathname, body, { Accept: 'application/json' });
  if (res.status !== 200) throw new Error(`${method} ${pathname} failed: ${res.status} ${res.text}`);
}

/** The window a Mesos schedule POST created for a machine. */
async function mesosWindowOf(stack: Stack, hostname: string): Promise<string> {
  return stack.eventually(`the Mesos window of ${hostname}`, async () => {
    const res = await stack.api('GET', '/api/v1/windows');
    return res.body?.windows?.find((w: any) => w.origin === 'mesos' && w.machines.some((m: any) => m.id.hostname === hostname))?.id;
  });
}

const mesosWindow = (machine: object, startNs: bigint, durationNs?: bigint) => ({
  machine_ids: [machine],
  unavailability: { start: { nanoseconds: startNs }, ...(durationNs === undefined ? {} : { duration: { nanoseconds: durationNs } }) },
});

async function agentState(stack: Stack, agentId: string): Promise<any> {
  const res = await stack.mesos('POST', '/api/v1', { type: 'GET_AGENTS' }, { Accept: 'application/json' });
  return res.json?.get_agents?.agents?.find((a: any) => a.agent_info.id.value === agentId);
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
    // The cancel reaches the window in its first moments, before its machine's workflow has started.
    name: 'cancel-at-once',
    async run(s) {
      const id = await create(s, { machines: [sim(20)], drainWithin: '1h' });
      const res = await s.api('POST', `/api/v1/windows/${id}/cancel`);
      if (res.status !== 200) throw new Error(`cancel failed: ${res.status} ${JSON.stringify(res.body)}`);
      return id;
    },
  },
  {
    // A cancel in the window's first workflow task (update-with-start), before any of its machines has started: the
    // window is started as the schedule would, under an ID the schedule does not use.
    name: 'cancel-before-start',
    async run(s) {
      const id = 'w-900';
      const client = await recorderClient();
      const startMs = Date.now() + 3_600_000;
      const input: WindowInput = {
        spec: {
          id,
          machines: [sim(21)],
          unavailability: { startMs },
          deadlineMs: startMs,
          policy: { ...DEFAULT_POLICY },
          createdAtMs: Date.now(),
          createdBy: 'operator',
        },
        settings: { instance: String(s.env.MAINT_INSTANCE), checkIntervalMs: 1_000 },
      };
      await client.workflow.executeUpdateWithStart(cancelWindow, {
        startWorkflowOperation: new WithStartWorkflowOperation(windowWorkflow, {
          workflowId: `${s.env.MAINT_INSTANCE}/window/${id}`,
          taskQueue: String(s.env.MAINT_TASK_QUEUE),
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
        }),
      });
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
    // Mesos: schedule (start already passed: nothing happens by itself), schedule again (re-offer), down, up.
    name: 'mesos-schedule',
    async run(s) {
      const start = BigInt(Date.now() - 1_000) * 1_000_000n + 123n;
      await mesos(s, 'POST', '/master/maintenance/schedule', { windows: [mesosWindow(sim(11), start, 3_600_000_000_000n)] });
      const id = await mesosWindowOf(s, 'sim-11');
      await machinePhase(s, id, 'sim-11', 'draining');
      await pause(2_500);
      await mesos(s, 'POST', '/master/maintenance/schedule', { windows: [mesosWindow(sim(11), start + 1_000_000_000n)] });
      await pause(1_500);
      await mesos(s, 'POST', '/master/machine/down', [sim(11)]);
      await machinePhase(s, id, 'sim-11', 'down');
      await mesos(s, 'POST', '/master/machine/up', [sim(11)]);
      return id;
    },
  },
  {
    // Mesos: a machine left out of the next schedule goes back to UP.
    name: 'mesos-left-out',
    async run(s) {
      await mesos(s, 'POST', '/api/v1', {
        type: 'UPDATE_MAINTENANCE_SCHEDULE',
        update_maintenance_schedule: { schedule: { windows: [mesosWindow(sim(3), BigInt(Date.now() + 3_600_000) * 1_000_000n)] } },
      });
      const id = await mesosWindowOf(s, 'sim-03');
      await machinePhase(s, id, 'sim-03', 'draining');
      await mesos(s, 'POST', '/master/maintenance/schedule', {});
      return id;
    },
  },
  {
    // Mesos 1.9: drain an agent (tasks killed within max_grace_period), DRAINED, reactivate.
    name: 'agent-drain',
    async run(s) {
      await mesos(s, 'POST', '/api/v1', {
        type: 'DRAIN_AGENT',
        drain_agent: { agent_id: { value: 'agent-sim-02' }, max_grace_period: { seconds: 1 } },
      });
      await s.eventually('agent-sim-02 DRAINED', async () =>
        (await agentState(s, 'agent-sim-02'))?.drain_info?.state === 'DRAINED' ? true : undefined,
      );
      await mesos(s, 'POST', '/api/v1', { type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: 'agent-sim-02' } } });
      return 'agent-drain';
    },
  },
  {
    name: 'agent-gone',
    async run(s) {
      await mesos(s, 'POST', '/api/v1', {
        type: 'DRAIN_AGENT',
        drain_agent: { agent_id: { value: 'agent-sim-13' }, mark_gone: true },
      });
      return 'agent-gone';
    },
  },
  {
    name: 'agent-deactivate',
    async run(s) {
      await mesos(s, 'POST', '/api/v1', { type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: 'agent-sim-14' } } });
      await pause(1_000);
      await mesos(s, 'POST', '/api/v1', { type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: 'agent-sim-14' } } });
      return 'agent-deactivate';
    },
  },
  {
    // Scheduler API: answers with refuse filters (0 → a new offer at once), a hard drain with tasks left (the budgets
    // asked and granted, tasks-killed notices), UP (machine-up), then the framework unsubscribes.
    name: 'scheduler-filters',
    async run(s) {
      const f = await outsider(s, 'rec-filters', [15]);
      const id = await create(s, { machines: [sim(15)], drainWithin: '6s', duration: '2s' });
      await f.client.declineInverseOffers([await offerTo(s, f, 15, 1)], { refuseSeconds: 0 });
      await f.client.acceptInverseOffers([await offerTo(s, f, 15, 2)], { refuseSeconds: 1 });
      await offerTo(s, f, 15, 3);
      await machinePhase(s, id, 'sim-15', 'done');
      await s.eventually('MACHINE_UP to rec-filters', async () => (f.events('MACHINE_UP').length ? true : undefined));
      await f.client.teardown();
      return id;
    },
  },
  {
    // Scheduler API: a disruption budget of one machine holds the second machine until the first is UP.
    name: 'scheduler-budget',
    async run(s) {
      await outsider(s, 'rec-budget', [16, 17], { budget: { maxMachinesDown: 1 } });
      return create(s, { machines: [sim(16), sim(17)], drainWithin: '2s', duration: '2s' });
    },
  },
  {
    // Scheduler API: a partition-aware framework that waits the downtime out (plan WAIT) keeps its volumes.
    name: 'scheduler-wait',
    async run(s) {
      const f = await outsider(s, 'rec-waiter', [18], { partitionAware: true });
      const id = await create(s, { machines: [sim(18)], drainWithin: '3s', duration: '2s' });
      await f.client.declineInverseOffers([await offerTo(s, f, 18, 1)], { plan: 'WAIT', refuseSeconds: 3_600 });
      return id;
    },
  },
  {
    // Scheduler API: answers to an offer the hard drain rescinded: one while the machine is DOWN (its workflow records
    // it as late), one after its window completed (moot: the mailbox waits for the forward and reports it ignored).
    name: 'scheduler-late-answer',
    async run(s) {
      const f = await outsider(s, 'rec-late', [19]);
      const id = await create(s, { machines: [sim(19)], drainWithin: '2s', duration: '8s' });
      const offer = await offerTo(s, f, 19, 1);
      await s.eventually('the offer rescinded', async () => (f.rescinded().includes(offer) ? true : undefined));
      await f.client.acceptInverseOffers([offer]);
      await windowEnded(s, id);
      await f.client.declineInverseOffers([offer]);
      await f.client.teardown();
      return id;
    },
  },
  {
    // The cluster does not answer a machine's looks for a while: the look in the workflow task fails its attempts
    // and is made again as an activity that waits for the cluster (machine-baseline-5's fallback).
    name: 'cluster-away',
    async run(s) {
      const id = await create(s, { machines: [sim(22)], drainWithin: '8s', duration: '2s' });
      await machinePhase(s, id, 'sim-22', 'draining');
      const res = await fetch(`${s.simUrl}/faults/unreachable`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ machine: 'sim-22', forMs: 5_000 }),
      });
      if (res.status !== 200) throw new Error(`fault on sim-22 failed: ${res.status}`);
      return id;
    },
  },
  {
    // Its frameworks end its tasks after its last look, just before the deadline: the kills it armed find it empty
    // there, and it goes down drained, with no hard drain (armed-kills-first). A look of its own in between (one a
    // second) finds it empty first: then it goes down drained before the deadline.
    name: 'armed-kills-first',
    async run(s) {
      const id = await create(s, { machines: [sim(24)], drainWithin: '6s', duration: '2s' });
      const deadline = Date.parse((await s.api('GET', `/api/v1/windows/${id}`)).body.deadline);
      await pause(Math.max(deadline - 100 - Date.now(), 0));
      const tasks: { taskId: string; hostname: string }[] = await s.sim('/tasks');
      for (const t of tasks.filter((t) => t.hostname === 'sim-24')) await fetch(`${s.simUrl}/tasks/${t.taskId}`, { method: 'DELETE' });
      return id;
    },
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
  const stack = await Stack.start({ machines: 24, checkInterval: '1s', taskGrace: '500ms' });
  const only = process.env.RECORD_ONLY?.split(',').map((n) => n.trim());
  const client = await recorderClient();
  try {
    const windows = new Map<string, string>();
    for (const scenario of scenarios.filter((sc) => !only || only.includes(sc.name))) {
      windows.set(await scenario.run(stack), scenario.name);
      console.log(`started ${scenario.name}`);
    }
    for (const [id, name] of windows) {
      if (name.startsWith('agent-')) {
        await stack.eventually(`${name} to end`, async () => {
          const agentId = { 'agent-drain': 'agent-sim-02', 'agent-gone': 'agent-sim-13', 'agent-deactivate': 'agent-sim-14' }[name]!;
          const desc = await client.workflow.getHandle(`${stack.env.MAINT_INSTANCE}/agent/${agentId}`).describe();
          return desc.status.name === 'COMPLETED' ? true : undefined;
        }, 120_000);
        continue;
      }
      await windowEnded(stack, id);
    }
    mkdirSync(OUT, { recursive: true });
    const prefix = `${stack.env.MAINT_INSTANCE}/`;
    let count = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}"` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const windowId = /\/window\/(w-\d+)$/.exec(wf.workflowId)?.[1];
      const machineWindow = wf.searchAttributes?.MaintenanceWindow?.[0] as string | undefined;
      const agentScenario = { 'agent-sim-02': 'agent-drain', 'agent-sim-13': 'agent-gone', 'agent-sim-14': 'agent-deactivate' }[
        /\/agent\/(.+)$/.exec(wf.workflowId)?.[1] ?? ''
      ];
      const scenario = agentScenario ?? windows.get(windowId ?? machineWindow ?? '') ?? 'entity';
      if (only && !only.includes(scenario) && scenario !== 'entity') continue;
      const subject = wf.workflowId.slice(prefix.length).replace(/[^a-z0-9.-]+/gi, '_');
      const file = `${wf.type}--${scenario}--${subject}--${wf.runId.slice(-8)}.json`;
      writeFileSync(path.join(OUT, file), historyToJSON(history));
      count++;
    }
    console.log(`recorded ${count} histories in ${path.relative(projectRoot(), OUT)}`);
  } finally {
    await Promise.all(outsiders.map((f) => f.stop()));
    await client.connection.close();
    await stack.stop();
    await server?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
