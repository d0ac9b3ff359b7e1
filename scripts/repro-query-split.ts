// Reproduces how a live TS SDK 1.24 worker records commands its own replay rejects (TMPRL1100), as in the chaos
// run's findings (test/chaos/findings/): a *legacy query* reaches a worker that does not have the workflow cached
// while the workflow has new events (here TIMER_FIRED) but no started workflow task. The worker loads the
// workflow for the query and applies those events in an activation of their own; a signal that arrives afterwards
// comes with the real workflow task as a second activation. The live commands follow [timer] then [signal]; a
// replay sees [timer + signal] in one activation, the signal first, and takes the other path.
//
//   npm run build && node dist/scripts/repro-query-split.js [variant ...]
//   REPRO_CORE_LOG=1 ...   also prints core's "Sending activation" lines (the activation grouping) of each worker
//
// Variants (default: all; about 1 minute together), each on a fresh dev server, printing the history and the replay:
//   sticky-query     worker 1 (sticky queue, schedule-to-start 8 s) SIGKILLed after the timer started; a query sent
//                    before the timer fires waits on the dead sticky queue, then goes to the normal queue, where a
//                    fresh worker 2 answers it (timer fired by then); the signal is sent when the query returns;
//                    the workflow task (on the sticky queue) times out and worker 2 completes it. Replay FAILS.
//   sticky-no-query  the same without the query: the signal arrives while the task waits on the dead sticky queue.
//                    Replay is OK (the control: a schedule-to-start timeout alone does not split activations).
//   backlog-query    the chaos run's shape, no sticky queue: worker 1 (no cache) SIGKILLed; a query is pending
//                    while filler workflows form a backlog in front of the timer's task; worker 2 (two workflow
//                    slots, the least core allows with a cache) takes the query ahead of the backlog; the signal
//                    arrives while the timer's task still waits. Replay FAILS.
//   backlog-query-no-cache  the same with worker 2 keeping no workflow cache: the state the query built is dropped,
//                    the real task replays from the start and sees timer and signal together. Replay is OK.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  bundleWorkflowCode,
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import { freePort } from '../test/support/ports';
import { fillerWorkflow, phaseQuery, querySplitWorkflow, wakeSignal } from './repro-query-split-workflow';

const TEMPORAL = path.resolve(__dirname, '..', '..', '.tools', 'py', 'bin', 'temporal');
const TASK_QUEUE = 'repro-query-split';
const TIMER_MS = 3_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

interface WorkerArgs {
  address: string;
  identity: string;
  bundlePath: string;
  stickyTimeout: string;
  maxCachedWorkflows?: number;
  workflowSlots?: number;
}

// ---------- worker child process ----------

async function runWorker(a: WorkerArgs): Promise<void> {
  const coreLog = process.env.REPRO_CORE_LOG === '1';
  Runtime.install({
    logger: new DefaultLogger(coreLog ? 'DEBUG' : 'WARN', (entry) => {
      if (entry.level !== 'DEBUG' || /Sending activation|activation completion/i.test(entry.message)) {
        const meta = entry.meta ? ` ${JSON.stringify(entry.meta)}` : '';
        console.log(`  [${a.identity}] ${entry.level} ${entry.message}${meta}`.slice(0, 600));
      }
    }),
    telemetryOptions: coreLog
      ? { logging: { filter: makeTelemetryFilterString({ core: 'DEBUG', other: 'WARN' }), forward: {} } }
      : undefined,
  });
  const connection = await NativeConnection.connect({ address: a.address });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    identity: a.identity,
    workflowBundle: { codePath: a.bundlePath },
    activities: {
      timerPath: async () => 'timer-path',
      signalPath: async () => 'signal-path',
    },
    stickyQueueScheduleToStartTimeout: a.stickyTimeout,
    ...(a.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: a.maxCachedWorkflows } : {}),
    ...(a.workflowSlots !== undefined ? { maxConcurrentWorkflowTaskExecutions: a.workflowSlots } : {}),
  });
  console.log(`  [${a.identity}] polling`);
  await worker.run();
}

// ---------- orchestration ----------

interface Env {
  address: string;
  connection: Connection;
  client: Client;
  bundlePath: string;
  children: ChildProcess[];
}

function spawnWorker(env: Env, args: Omit<WorkerArgs, 'address' | 'bundlePath'>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [__filename, 'worker', JSON.stringify({ ...args, address: env.address, bundlePath: env.bundlePath })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  env.children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        log(line.trim());
        if (line.includes('polling')) resolve(child);
      }
    });
    child.on('exit', (code, signal) => reject(new Error(`${args.identity} exited (${code ?? signal}) before polling`)));
  });
}

async function killWorker(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

type Event = temporal.api.history.v1.IHistoryEvent;
const typeName = (e: Event) =>
  (temporal.api.enums.v1.EventType[e.eventType as number] ?? String(e.eventType)).replace('EVENT_TYPE_', '');

async function events(handle: WorkflowHandle): Promise<Event[]> {
  return (await handle.fetchHistory()).events ?? [];
}

async function waitForEvent(handle: WorkflowHandle, type: string): Promise<void> {
  for (;;) {
    if ((await events(handle)).some((e) => typeName(e) === type)) return;
    await pause(100);
  }
}

function describe(e: Event): string {
  const attrs = Object.entries(e).find(([k, v]) => k.endsWith('Attributes') && v) as [string, any] | undefined;
  const a = attrs?.[1] ?? {};
  const bits = [
    a.signalName,
    a.activityType?.name,
    a.taskQueue?.kind === 2 ? 'sticky queue' : a.taskQueue?.kind === 1 ? 'normal queue' : undefined,
    a.timeoutType ? temporal.api.enums.v1.TimeoutType[a.timeoutType as number] : undefined,
    a.identity,
  ].filter(Boolean);
  return `${String(e.eventId).padStart(3)} ${typeName(e)}${bits.length ? ` (${bits.join(', ')})` : ''}`;
}

async function replay(env: Env, handle: WorkflowHandle): Promise<'OK' | 'FAIL'> {
  const history = await handle.fetchHistory();
  for (const e of history.events ?? []) log(`    ${describe(e)}`);
  try {
    await Worker.runReplayHistory({ workflowBundle: { codePath: env.bundlePath } }, history, handle.workflowId);
    log('REPLAY OK');
    return 'OK';
  } catch (err) {
    const detail = /Nondeterminism error: [^"\n]*/.exec((err as Error).message)?.[0] ?? (err as Error).message;
    log(`REPLAY FAIL: ${detail}`);
    return 'FAIL';
  }
}

/** Worker 1 runs the first task (TIMER_STARTED), then dies by SIGKILL, so no worker has the workflow cached. */
async function startAndKill(env: Env, id: string, worker1: Partial<WorkerArgs>): Promise<WorkflowHandle> {
  const w1 = await spawnWorker(env, { identity: 'worker-1', stickyTimeout: '8s', ...worker1 });
  const handle = await env.client.workflow.start(querySplitWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: id,
    args: [TIMER_MS],
  });
  await waitForEvent(handle, 'TIMER_STARTED');
  await killWorker(w1, 'SIGKILL');
  log('worker-1 SIGKILLed after the timer started');
  return handle;
}

async function stickyQuery(env: Env): Promise<'OK' | 'FAIL'> {
  const handle = await startAndKill(env, 'sticky-query', {});
  const asked = Date.now();
  const answer = env.connection.withDeadline(Date.now() + 60_000, () => handle.query(phaseQuery));
  log('query sent (no workflow task pending: dispatched through matching, sticky queue first)');
  const w2 = spawnWorker(env, { identity: 'worker-2', stickyTimeout: '8s' });
  const phase = await answer;
  log(`query answered after ${((Date.now() - asked) / 1000).toFixed(1)}s: phase=${phase}`);
  await handle.signal(wakeSignal);
  log('signal sent');
  log(`result: ${await handle.result()}`);
  await killWorker(await w2, 'SIGTERM');
  return replay(env, handle);
}

async function stickyNoQuery(env: Env): Promise<'OK' | 'FAIL'> {
  const handle = await startAndKill(env, 'sticky-no-query', {});
  const w2 = spawnWorker(env, { identity: 'worker-2', stickyTimeout: '8s' });
  await waitForEvent(handle, 'TIMER_FIRED');
  await pause(1_000);
  await handle.signal(wakeSignal);
  log('signal sent (the timer fired; its task waits on the dead sticky queue)');
  log(`result: ${await handle.result()}`);
  await killWorker(await w2, 'SIGTERM');
  return replay(env, handle);
}

async function backlogQuery(env: Env, worker2Cache?: number): Promise<'OK' | 'FAIL'> {
  const id = worker2Cache === 0 ? 'backlog-query-no-cache' : 'backlog-query';
  const handle = await startAndKill(env, id, { maxCachedWorkflows: 0 });
  const asked = Date.now();
  const answer = env.connection.withDeadline(Date.now() + 120_000, () => handle.query(phaseQuery));
  log('query sent (no workflow task pending: waits in matching for a poller)');
  const fillers = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      env.client.workflow.start(fillerWorkflow, { taskQueue: TASK_QUEUE, workflowId: `filler-${i}`, args: [60_000_000] }),
    ),
  );
  log(`${fillers.length} filler workflows started: their first tasks are a backlog`);
  await waitForEvent(handle, 'TIMER_FIRED');
  log('timer fired: its workflow task is behind the backlog');
  const w2 = spawnWorker(env, {
    identity: 'worker-2',
    stickyTimeout: '8s',
    workflowSlots: 2,
    ...(worker2Cache === undefined ? {} : { maxCachedWorkflows: worker2Cache }),
  });
  w2.catch(() => undefined); // a failure to start shows as the query's timeout
  const phase = await answer;
  log(`query answered after ${((Date.now() - asked) / 1000).toFixed(1)}s: phase=${phase}`);
  await handle.signal(wakeSignal);
  log('signal sent');
  log(`result: ${await handle.result()}`);
  await Promise.all(fillers.map((f) => f.result()));
  await killWorker(await w2, 'SIGTERM');
  return replay(env, handle);
}

const VARIANTS: Record<string, (env: Env) => Promise<'OK' | 'FAIL'>> = {
  'sticky-query': stickyQuery,
  'sticky-no-query': stickyNoQuery,
  'backlog-query': (env) => backlogQuery(env),
  'backlog-query-no-cache': (env) => backlogQuery(env, 0),
};

async function withDevServer<T>(dir: string, fn: (address: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const server = spawn(
    TEMPORAL,
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error',
      '--db-filename', path.join(dir, `temporal-${port}.db`)],
    { stdio: 'ignore' },
  );
  const address = `127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        const c = await Connection.connect({ address, connectTimeout: 1_000 });
        await c.workflowService.getSystemInfo({});
        await c.close();
        break;
      } catch (err) {
        if (i > 100) throw err;
        await pause(200);
      }
    }
    return await fn(address);
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
}

async function orchestrate(names: string[]): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = mkdtempSync(path.join(tmpdir(), 'repro-query-split-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./repro-query-split-workflow'),
    logger: new DefaultLogger('ERROR'),
  });
  writeFileSync(bundlePath, code);
  const results: string[] = [];
  try {
    for (const name of names) {
      const variant = VARIANTS[name];
      if (!variant) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
      log(`===== ${name}`);
      const result = await withDevServer(dir, async (address) => {
        const connection = await Connection.connect({ address });
        const env: Env = { address, connection, client: new Client({ connection }), bundlePath, children: [] };
        try {
          return await variant(env);
        } finally {
          for (const child of env.children) await killWorker(child, 'SIGKILL');
          await connection.close();
        }
      });
      results.push(`${name}: replay ${result}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const r of results) log(r);
}

if (process.argv[2] === 'worker') {
  runWorker(JSON.parse(process.argv[3]) as WorkerArgs).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  const names = process.argv.slice(2);
  orchestrate(names.length ? names : Object.keys(VARIANTS)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
