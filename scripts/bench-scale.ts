// Benchmark: one Mesos schedule of 10,000 machines in 1,000 windows posted at once (issue 6; it was bench:mesos, which
// now runs this). Prints the time to the 200, the time until every machine is DRAINING (its workflow running and
// reporting DRAINING), GET /master/maintenance/status and /schedule latencies, the worker's peak memory, and the
// largest history of any workflow (events and bytes) against Temporal's limits; PASS/MISS per target, then as its last
// line one JSON object.
//
//   npm run bench:scale                                       # 10,000 machines, 1,000 windows
//   npm run bench:scale -- --machines 1000 --windows 100      # or BENCH_MACHINES, BENCH_WINDOWS
//
// First, the reference, on a dev server of its own (fresh, in memory, stopped after): a schedule workflow that starts
// as many windows, each starting its machines as child workflows, each machine running one task and waiting; the
// least "every machine's workflow running" can cost on this engine, measured the same way (a visibility count).
//
// Then maint: its own dev server (in memory), worker and API processes (dist/src/main.js), and a simulated fleet in this
// process with one task per machine from one framework that never subscribes (inverse offers are made and kept for
// pull: the benchmark measures maint, not simulated frameworks). Machines are looked at every 30 minutes
// (BENCH_CHECK_INTERVAL) so that polling does not hide the start-up cost.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { stringifyJson } from '../src/lib/json';
import { startSim, type RunningSim } from '../src/sim/server';
import { simIp } from '../src/sim/fleet';
import { WorkflowIds } from '../src/temporal/ids';
import { freePort } from '../test/support/ports';
import { intOption, percentile, round, table, targetLine, verdict, type Target } from './bench-measure-support';
import { BenchStack, cpuSeconds, machineLoad, peakRssMb, timedGet } from './bench-stack-support';

const argv = process.argv.slice(2);
const MACHINES = intOption(argv, 'machines', process.env.BENCH_MACHINES, 10_000);
const WINDOWS = intOption(argv, 'windows', process.env.BENCH_WINDOWS, 1_000);
const CHECK_INTERVAL = process.env.BENCH_CHECK_INTERVAL ?? '30m';
const INSTANCE = 'scale';
/** Machine workflows whose history sizes are read (evenly spread): each is small and alike. */
const MACHINE_SAMPLE = 100;
/** Temporal's limits (the server's defaults): events and bytes per history, bytes per payload or query answer. */
const LIMITS = { events: 51_200, bytes: 50 * 1024 * 1024, payloadBytes: 2 * 1024 * 1024 };

const width = Math.max(2, String(MACHINES).length);
const hostname = (i: number) => `sim-${String(i).padStart(width, '0')}`;

interface HistorySize {
  workflowId: string;
  runId: string;
  events: number;
  bytes: number;
}

/** The machines (1-based indices) of each window of the posted schedule, and of the reference's. */
function windowMachines(): number[][] {
  const perWindow = Math.ceil(MACHINES / WINDOWS);
  return Array.from({ length: WINDOWS }, (_, w) =>
    Array.from({ length: perWindow }, (_, j) => w * perWindow + j + 1).filter((i) => i <= MACHINES),
  );
}

interface Reference {
  seconds: number;
  serverCpuSeconds: number;
  workerCpuSeconds: number;
}

/** The reference (see the top of this file): seconds until every reference machine's workflow runs, and CPU. */
async function reference(): Promise<Reference> {
  const queue = 'scale-reference';
  const stack = await BenchStack.start({ instance: queue, checkInterval: CHECK_INTERVAL, machines: MACHINES, sim: { url: 'http://127.0.0.1:1' }, serverOnly: true });
  try {
    stack.spawn('reference-worker', path.join(__dirname, 'bench-reference-worker.js'), [], { BENCH_REFERENCE_QUEUE: queue });
    // Warms the worker up (bundle, first poll) outside the measured time.
    await stack.client.workflow.execute('referenceWindow', { taskQueue: queue, workflowId: `${queue}/warm-up`, args: [0] });
    const cpu0 = { worker: cpuSeconds(stack.pid('reference-worker')), server: cpuSeconds(stack.server.process.pid!) };
    const t0 = performance.now();
    await stack.client.workflow.start('referenceSchedule', { taskQueue: queue, workflowId: `${queue}/schedule`, args: [windowMachines().map((m) => m.length)] });
    const running = `WorkflowType = "referenceMachine" AND ExecutionStatus = "Running"`;
    await stack.until('every reference machine running', 3_600_000, async () => (await stack.client.workflow.count(running)).count >= MACHINES, 1_000);
    const seconds = (performance.now() - t0) / 1000;
    const used = {
      seconds,
      workerCpuSeconds: cpuSeconds(stack.pid('reference-worker')) - cpu0.worker,
      serverCpuSeconds: cpuSeconds(stack.server.process.pid!) - cpu0.server,
    };
    console.log(`reference: every machine's workflow running after ${round(seconds)} s`);
    return used;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const loadBefore = machineLoad();
  console.log(`bench:scale: ${MACHINES} machines in ${WINDOWS} windows; load ${loadBefore.load1} on ${loadBefore.cores} cores`);
  const ref = await reference();
  const apiPort = await freePort();
  const sim = await startSim({
    port: 0,
    machines: MACHINES,
    frameworks: [],
    layout: () => [{ frameworkId: 'bench' }],
    maintUrl: `http://127.0.0.1:${apiPort}`,
  });
  let stack: BenchStack | undefined;
  try {
    stack = await BenchStack.start({
      instance: INSTANCE,
      checkInterval: CHECK_INTERVAL,
      machines: MACHINES,
      sim: { url: sim.url },
      apiPort,
    });
    await Promise.race([run(stack, loadBefore, ref), stack.failure]);
  } finally {
    await stack?.stop();
    await closeSim(sim);
  }
}

async function run(stack: BenchStack, loadBefore: ReturnType<typeof machineLoad>, ref: Reference): Promise<void> {
  const ids = new WorkflowIds(INSTANCE);
  const api = stack.apiUrl;
  const startNs = BigInt(Date.now() + 3_600_000) * 1_000_000n;
  const windows = windowMachines().map((machines, w) => ({
    machine_ids: machines.map((i) => ({ hostname: hostname(i), ip: simIp(i) })),
    unavailability: { start: { nanoseconds: startNs + BigInt(w) * 60_000_000_000n }, duration: { nanoseconds: 3_600_000_000_000n } },
  }));
  const body = stringifyJson({ windows });
  const workerCpu0 = cpuSeconds(stack.pid('worker'));
  const serverCpu0 = cpuSeconds(stack.server.process.pid!);

  const t0 = performance.now();
  const res = await fetch(`${api}/master/maintenance/schedule`, { method: 'POST', body });
  const toOkMs = performance.now() - t0;
  if (res.status !== 200) throw new Error(`POST /master/maintenance/schedule answered ${res.status}: ${await res.text()}`);
  console.log(`posted ${(body.length / 1024).toFixed(0)} KiB: 200 in ${round(toOkMs)} ms`);

  const draining = `WorkflowType = "machineWorkflow" AND ExecutionStatus = "Running" AND MaintenanceMode = "DRAINING" AND WorkflowId STARTS_WITH "${ids.machinePrefix}"`;
  let lastReport = 0;
  await stack.until('every machine DRAINING', 3_600_000, async () => {
    const { count } = await stack.client.workflow.count(draining);
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      console.log(`  ${round((performance.now() - t0) / 1000)} s: ${count} machine workflows DRAINING`);
    }
    return count >= MACHINES;
  }, 1_000);
  const allDrainingMs = performance.now() - t0;
  const workerCpu = cpuSeconds(stack.pid('worker')) - workerCpu0;
  const serverCpu = cpuSeconds(stack.server.process.pid!) - serverCpu0;
  console.log(`every machine DRAINING after ${round(allDrainingMs / 1000)} s`);

  const reads: Record<string, { ms: number[]; bytes: number }> = {};
  for (const pathname of ['/master/maintenance/status', '/master/maintenance/schedule']) {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const r = await timedGet(`${api}${pathname}`);
      if (r.status !== 200) throw new Error(`GET ${pathname} answered ${r.status}: ${r.text.slice(0, 300)}`);
      ms.push(r.ms);
      bytes = r.bytes;
    }
    reads[pathname] = { ms, bytes };
  }
  const status = reads['/master/maintenance/status']!;
  const schedule = reads['/master/maintenance/schedule']!;
  const workerPeakMb = peakRssMb(stack.pid('worker'));

  const largest = await largestHistories(stack.client, ids);
  const top = [largest.schedule, largest.window, largest.machine].filter((h): h is HistorySize => h !== undefined);
  const maxEvents = Math.max(...top.map((h) => h.events));
  const maxBytes = Math.max(...top.map((h) => h.bytes));
  const kib = (b: number) => `${round(b / 1024)} KiB`;

  const figures = {
    machines: MACHINES,
    windows: WINDOWS,
    scheduleBodyKiB: round(body.length / 1024),
    toOkMs: round(toOkMs),
    allDrainingSeconds: round(allDrainingMs / 1000, 2),
    machinesPerSecond: round(MACHINES / (allDrainingMs / 1000), 2),
    referenceAllRunningSeconds: round(ref.seconds, 2),
    referenceMachinesPerSecond: round(MACHINES / ref.seconds, 2),
    /** maint's machines/s until all DRAINING ÷ the reference's until all running. */
    startRatio: round(ref.seconds / (allDrainingMs / 1000), 3),
    referenceWorkerCpuSeconds: round(ref.workerCpuSeconds, 1),
    referenceServerCpuSeconds: round(ref.serverCpuSeconds, 1),
    statusFirstMs: round(status.ms[0]!),
    statusP50Ms: round(percentile(status.ms, 50)),
    statusMaxMs: round(Math.max(...status.ms)),
    statusKiB: round(status.bytes / 1024),
    scheduleP50Ms: round(percentile(schedule.ms, 50)),
    scheduleMaxMs: round(Math.max(...schedule.ms)),
    scheduleKiB: round(schedule.bytes / 1024),
    workerPeakRssMb: round(workerPeakMb, 0),
    apiPeakRssMb: round(peakRssMb(stack.pid('api')), 0),
    workerCpuSeconds: round(workerCpu, 1),
    serverCpuSeconds: round(serverCpu, 1),
    largestHistoryEvents: maxEvents,
    largestHistoryBytes: maxBytes,
    largestHistories: {
      schedule: largest.schedule,
      window: largest.window,
      machine: largest.machine,
      scheduleRuns: largest.scheduleRuns,
      windowRuns: largest.windowRuns,
      machinesSampled: largest.machinesSampled,
    },
    load: { before: loadBefore, after: machineLoad() },
  };
  const targets: Target[] = [
    { name: 'POST /master/maintenance/schedule to its 200', measured: figures.toOkMs / 1000, kind: 'max', limit: 5, unit: 's' },
    { name: 'every machine DRAINING', measured: figures.allDrainingSeconds, kind: 'max', limit: 60, unit: 's' },
    { name: 'GET /master/maintenance/status (median of 5)', measured: figures.statusP50Ms / 1000, kind: 'max', limit: 1, unit: 's' },
    { name: 'worker peak RSS', measured: figures.workerPeakRssMb, kind: 'max', limit: 2048, unit: 'MiB' },
    { name: 'largest history, events', measured: maxEvents, kind: 'max', limit: LIMITS.events / 10 },
    { name: 'largest history, bytes', measured: maxBytes, kind: 'max', limit: LIMITS.bytes / 10 },
  ];

  const describe = (h: HistorySize | undefined) => (h ? `${h.events} events, ${kib(h.bytes)} (${h.workflowId})` : 'none');
  console.log('');
  console.log(
    table(
      ['what', 'figure'],
      [
        [`POST /master/maintenance/schedule (${figures.scheduleBodyKiB} KiB) to its 200`, `${figures.toOkMs} ms`],
        ['every machine DRAINING in the schedule (GET status)', 'at the 200 (as Mesos)'],
        ["every machine's workflow running and reporting DRAINING", `${figures.allDrainingSeconds} s (${figures.machinesPerSecond} machines/s)`],
        ["reference: every machine's workflow running (its own fresh server)", `${figures.referenceAllRunningSeconds} s (${figures.referenceMachinesPerSecond} machines/s); maint ÷ reference ${figures.startRatio}`],
        [`GET /master/maintenance/status (${figures.statusKiB} KiB)`, `median ${figures.statusP50Ms} ms, max ${figures.statusMaxMs} ms, first ${figures.statusFirstMs} ms`],
        [`GET /master/maintenance/schedule (${figures.scheduleKiB} KiB)`, `median ${figures.scheduleP50Ms} ms, max ${figures.scheduleMaxMs} ms`],
        ['worker / API peak RSS (VmHWM)', `${figures.workerPeakRssMb} / ${figures.apiPeakRssMb} MiB`],
        ['worker / dev server CPU until all DRAINING', `${figures.workerCpuSeconds} / ${figures.serverCpuSeconds} s`],
        ['reference worker / dev server CPU until all running', `${figures.referenceWorkerCpuSeconds} / ${figures.referenceServerCpuSeconds} s`],
        [`largest schedule run (of ${largest.scheduleRuns})`, describe(largest.schedule)],
        [`largest window run (of ${largest.windowRuns})`, describe(largest.window)],
        [`largest machine run (of ${largest.machinesSampled} sampled)`, describe(largest.machine)],
        ['Temporal limits per history / a tenth', `${LIMITS.events} events, 50 MiB / ${LIMITS.events / 10} events, 5 MiB`],
        ['load average (1 min) before / after', `${loadBefore.load1} / ${figures.load.after.load1} (${loadBefore.cores} cores)`],
      ],
    ),
  );
  console.log('');
  const payloadShare = Math.max(status.bytes, schedule.bytes) / LIMITS.payloadBytes;
  console.log(`the Mesos views (query answers) are ${round(100 * payloadShare)} % of Temporal's 2 MiB payload limit`);
  for (const t of targets) console.log(targetLine(t));
  console.log(JSON.stringify({ ...figures, targets: Object.fromEntries(targets.map((t) => [t.name, verdict(t)])) }));
}

/**
 * The largest history of each kind: every run of the schedule (continue-as-new makes several), every window run, and
 * an even sample of machines (they are alike: one window, one look, the same offers). Sizes as the server counts them.
 */
async function largestHistories(client: Client, ids: WorkflowIds) {
  const largestOf = async (query: string, limit = Infinity) => {
    let largest: HistorySize | undefined;
    let runs = 0;
    for await (const wf of client.workflow.list({ query })) {
      if (runs >= limit) break;
      runs++;
      const d = await client.workflow.getHandle(wf.workflowId, wf.runId).describe();
      const size = { workflowId: wf.workflowId, runId: wf.runId, events: d.historyLength, bytes: d.historySize ?? 0 };
      if (!largest || size.bytes > largest.bytes || (size.bytes === largest.bytes && size.events > largest.events)) largest = size;
    }
    return { largest, runs };
  };
  const schedule = await largestOf(`WorkflowId = "${ids.schedule}"`);
  const windows = await largestOf(`WorkflowType = "windowWorkflow" AND WorkflowId STARTS_WITH "${ids.window('')}"`);
  // Machines are listed newest first; the sample is the first ones listed, which started last (behind every window).
  const machines = await largestOf(`WorkflowType = "machineWorkflow" AND WorkflowId STARTS_WITH "${ids.machinePrefix}"`, MACHINE_SAMPLE);
  return {
    schedule: schedule.largest,
    scheduleRuns: schedule.runs,
    window: windows.largest,
    windowRuns: windows.runs,
    machine: machines.largest,
    machinesSampled: Math.min(machines.runs, MACHINE_SAMPLE),
  };
}

async function closeSim(sim: RunningSim): Promise<void> {
  await sim.close().catch(() => undefined);
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
