// The benchmarks' stack: their own dev server and maint's processes (dist/src/main.js) as real processes on free ports,
// /proc readings of those processes, and a clean stop. Shared by bench-fleet and bench-scale.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { projectRoot } from '../src/temporal/binaries';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { freePort } from '../test/support/ports';
import { cpuTicksFromStat, statusFieldMb } from './bench-measure-support';

const MAIN = path.join(projectRoot(), 'dist', 'src', 'main.js');
/** Clock ticks per second of /proc/<pid>/stat: USER_HZ, 100 on every Linux the SDK's binaries run on. */
const TICKS_PER_SECOND = 100;

export type Role = 'worker' | 'api' | 'sim';

export interface BenchStackOptions {
  instance: string;
  checkInterval: string;
  machines: number;
  /** Start the simulator as a process (with its default frameworks), or use one given by URL. */
  sim: { process: true } | { url: string };
  /** The API's port, when the simulator must know it before the stack starts; default a free one. */
  apiPort?: number;
  env?: NodeJS.ProcessEnv;
  /** Start only the dev server (a reference's own worker is spawned by the benchmark), none of maint's processes. */
  serverOnly?: boolean;
}

export class BenchStack {
  readonly processes = new Map<Role | string, ChildProcess>();
  private stopping = false;
  /** True once stop() began: errors of calls still pending to the stack are then expected. */
  get isStopping(): boolean {
    return this.stopping;
  }
  private died: (err: Error) => void = () => {};
  /** Rejects when a process of the stack exits before stop(): race the benchmark against it, or it waits forever. */
  readonly failure = new Promise<never>((_, reject) => {
    this.died = reject;
  });

  private constructor(
    readonly dir: string,
    readonly server: DevServer,
    readonly client: Client,
    readonly env: NodeJS.ProcessEnv,
    readonly apiUrl: string,
    readonly simUrl: string,
  ) {}

  /**
   * The dev server in memory (no --db-filename: SQLite in memory), so that the disk of a shared machine does not
   * enter the figures, then the simulator (if asked), worker and API, and waits until the API is healthy.
   */
  static async start(o: BenchStackOptions): Promise<BenchStack> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `maint-bench-${o.instance}-`));
    const server = await startDevServer({
      port: await freePort(),
      namespace: 'default',
      logFile: path.join(dir, 'temporal.log'),
      metricsPort: await freePort(), // the server's own counts of persistence operations and tasks (bench:fleet)
    });
    const [apiPort, simPort, metricsPort] = [o.apiPort ?? (await freePort()), await freePort(), await freePort()];
    const simUrl = 'url' in o.sim ? o.sim.url : `http://127.0.0.1:${simPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      MAINT_INSTANCE: o.instance,
      MAINT_TASK_QUEUE: o.instance,
      PORT: String(apiPort),
      MAINT_URL: `http://127.0.0.1:${apiPort}`,
      SIM_PORT: String(simPort),
      SIM_URL: simUrl,
      SIM_MACHINES: String(o.machines),
      MAINT_CHECK_INTERVAL: o.checkInterval,
      MAINT_SECRET_KEY: randomBytes(32).toString('hex'),
      // Each worker on a host needs its own metrics port (the default 9464 may be another run's).
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      ...o.env,
    };
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    const stack = new BenchStack(dir, server, client, env, `http://127.0.0.1:${apiPort}`, simUrl);
    stack.failure.catch(() => undefined); // observed by whoever races it; no unhandled rejection otherwise
    // Ctrl-C or a timeout's SIGTERM: stop what was started (the dev server and maint's processes) before leaving.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.error(`${signal}: stopping the benchmark's processes`);
        void stack.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      });
    }
    if (o.serverOnly) return stack;
    try {
      if ('process' in o.sim) stack.spawn('sim');
      stack.spawn('worker');
      stack.spawn('api');
      await stack.until('maint healthy', 90_000, async () => {
        const [api, sim] = await Promise.all([
          fetch(`${stack.apiUrl}/healthz`).catch(() => undefined),
          fetch(`${simUrl}/healthz`).catch(() => undefined),
        ]);
        return api?.status === 200 && sim?.status === 200;
      });
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  /** A process running dist/<script> (or main.js with a role), with the stack's environment; its output to a log. */
  spawn(role: Role | string, script = MAIN, args: string[] = [role], env: NodeJS.ProcessEnv = {}): ChildProcess {
    // BENCH_CPU_PROFILE=<dir>: each process writes V8 CPU profiles into <dir>/<role> when it stops (open them in Chrome
    // DevTools), one per thread: the worker's workflow code runs in the SDK's workflow thread (a name for the file
    // would have every thread write the same one).
    const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROFILE, role)}`] : [];
    const child = spawn(process.execPath, [...profile, script, ...args], { env: { ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(path.join(this.dir, `${role}.log`), { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.set(role, child);
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.died(new Error(`the ${role} process exited (${signal ?? code}) during the benchmark; its log: ${path.join(this.dir, `${role}.log`)}`));
    });
    return child;
  }

  pid(role: Role | string): number {
    const pid = this.processes.get(role)?.pid;
    if (pid === undefined) throw new Error(`no ${role} process`);
    return pid;
  }

  /** Stops every process (SIGTERM, then SIGKILL after 15 s), closes the client and stops the dev server. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.processes.values()].map((child) => terminate(child)));
    await this.client.connection.close().catch(() => undefined);
    await this.server.stop();
  }

  async until(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 250): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await Promise.race([check(), this.failure]))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (logs in ${this.dir})`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  return cpuTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) / TICKS_PER_SECOND;
}

/** Peak resident memory (VmHWM) of a process so far, in MiB. */
export function peakRssMb(pid: number): number {
  return statusFieldMb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM') ?? Number.NaN;
}

/** What else the machine was doing: load averages and cores, for the record. */
export function machineLoad(): { load1: number; load5: number; cores: number; memGb: number } {
  const [load1, load5] = os.loadavg();
  return { load1: Math.round(load1! * 100) / 100, load5: Math.round(load5! * 100) / 100, cores: os.cpus().length, memGb: Math.round(os.totalmem() / 2 ** 30) };
}

/** A timed GET; the time includes reading the whole body. */
export async function timedGet(url: string): Promise<{ ms: number; status: number; bytes: number; text: string }> {
  const t = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  return { ms: performance.now() - t, status: res.status, bytes: Buffer.byteLength(text), text };
}
