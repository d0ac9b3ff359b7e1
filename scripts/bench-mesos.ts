// Benchmark: a Mesos schedule of 10,000 machines in 1,000 windows posted at once (issue 3). Prints the time to the
// 200, the time until every machine is DRAINING (its workflow running and reporting DRAINING), the time of
// GET /master/maintenance/status and GET /master/maintenance/schedule, and the worker's peak memory.
//
//   npm run bench:mesos                                  # 10,000 machines, 1,000 windows
//   BENCH_MACHINES=1000 BENCH_WINDOWS=100 npm run bench:mesos
//
// Runs its own dev server (in memory), worker and API processes (dist/src/main.js), and a simulated fleet with one
// task per machine from one framework that never subscribes (inverse offers are made and kept for pull: the
// benchmark measures maint, not simulated frameworks).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stringifyJson } from '../src/lib/json';
import { startSim } from '../src/sim/server';
import { simIp } from '../src/sim/fleet';
import { projectRoot } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../test/support/ports';

const MACHINES = Number(process.env.BENCH_MACHINES ?? 10_000);
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 1_000);
const CHECK_INTERVAL = process.env.BENCH_CHECK_INTERVAL ?? '30m';
const MAIN = path.join(projectRoot(), 'dist', 'src', 'main.js');

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'maint-bench-'));
  const [temporalPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const server = await startDevServer({ port: temporalPort, namespace: 'default', logFile: path.join(dir, 'temporal.log') });
  const width = String(MACHINES).length;
  const hostname = (i: number) => `sim-${String(i).padStart(Math.max(2, width), '0')}`;
  const sim = await startSim({
    port: 0,
    machines: MACHINES,
    frameworks: [],
    layout: () => [{ frameworkId: 'bench' }],
    maintUrl: `http://127.0.0.1:${apiPort}`,
  });
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    MAINT_INSTANCE: 'bench',
    MAINT_TASK_QUEUE: 'bench',
    PORT: String(apiPort),
    METRICS_PORT: String(metricsPort),
    SIM_URL: sim.url,
    MAINT_CHECK_INTERVAL: CHECK_INTERVAL,
    LOG_LEVEL: 'warn',
  };
  const procs: ChildProcess[] = [];
  const worker = spawnRole('worker', env, procs);
  spawnRole('api', env, procs);
  const api = `http://127.0.0.1:${apiPort}`;
  await until(async () => (await fetch(`${api}/healthz`).catch(() => undefined))?.status === 200, 60_000, 'maint healthy');
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });

  try {
    const perWindow = Math.ceil(MACHINES / WINDOWS);
    const startNs = BigInt(Date.now() + 3_600_000) * 1_000_000n;
    const windows = Array.from({ length: WINDOWS }, (_, w) => ({
      machine_ids: Array.from({ length: perWindow }, (_, j) => w * perWindow + j + 1)
        .filter((i) => i <= MACHINES)
        .map((i) => ({ hostname: hostname(i), ip: simIp(i) })),
      unavailability: { start: { nanoseconds: startNs + BigInt(w) * 60_000_000_000n }, duration: { nanoseconds: 3_600_000_000_000n } },
    }));
    const body = stringifyJson({ windows });
    console.log(`posting a schedule of ${MACHINES} machines in ${WINDOWS} windows (${(body.length / 1024).toFixed(0)} KiB)`);

    const t0 = performance.now();
    const res = await fetch(`${api}/master/maintenance/schedule`, { method: 'POST', body });
    const toOk = performance.now() - t0;
    if (res.status !== 200) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
    console.log(`time to the 200:                     ${ms(toOk)}`);

    const draining = `WorkflowType = "machineWorkflow" AND ExecutionStatus = "Running" AND MaintenanceMode = "DRAINING" AND WorkflowId STARTS_WITH "bench/machine/"`;
    let last = 0;
    await until(async () => {
      const { count } = await client.workflow.count(draining);
      if (count !== last) last = count;
      return count >= MACHINES;
    }, 3_600_000, 'every machine DRAINING', 1000);
    console.log(`time until every machine is DRAINING: ${ms(performance.now() - t0)} (visibility count of running machine workflows)`);

    for (const [name, pathname] of [
      ['GET /master/maintenance/status', '/master/maintenance/status'],
      ['GET /master/maintenance/schedule', '/master/maintenance/schedule'],
    ] as const) {
      const times: number[] = [];
      let size = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const r = await fetch(`${api}${pathname}`);
        const text = await r.text();
        if (r.status !== 200) throw new Error(`${name} answered ${r.status}: ${text.slice(0, 300)}`);
        size = text.length;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(`${name.padEnd(36)} median ${ms(times[2])}, max ${ms(times[4])} (${(size / 1024).toFixed(0)} KiB)`);
    }
    console.log(`worker peak memory (VmHWM):          ${peakRss(worker.pid!)}`);
  } finally {
    await client.connection.close();
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    await sim.close();
    await server.stop();
  }
}

function spawnRole(role: string, env: NodeJS.ProcessEnv, procs: ChildProcess[]): ChildProcess {
  const child = spawn(process.execPath, [MAIN, role], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  procs.push(child);
  return child;
}

function peakRss(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return `${(kb / 1024).toFixed(0)} MiB`;
}

function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(0)} ms`;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
