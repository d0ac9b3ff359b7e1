// maint as users run it, for integration tests: worker, API and simulated fleet as real processes (dist/src/main.js)
// on the test run's dev server, each test file with its own instance, task queue and ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/temporal/binaries';
import { freePort } from './ports';
import { parseJson, stringifyJson } from '../../src/lib/json';

const MAIN = path.join(projectRoot(), 'dist', 'src', 'main.js');

export interface StackOptions {
  machines?: number;
  checkInterval?: string;
  taskGrace?: string;
  /** More environment for every process, e.g. MAINT_CREDENTIALS. */
  env?: NodeJS.ProcessEnv;
}

export type Role = 'worker' | 'api' | 'sim';

export class Stack {
  readonly processes = new Map<Role, ChildProcess>();
  private readonly logDir: string;

  private constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly apiUrl: string,
    readonly simUrl: string,
    /** The worker's /metrics and /healthz (METRICS_PORT: each stack its own, so that files run side by side). */
    readonly workerMetricsUrl: string,
  ) {
    this.logDir = path.join(process.env.MAINT_TEST_DIR ?? path.join(projectRoot(), 'test-output'), String(env.MAINT_INSTANCE));
    mkdirSync(this.logDir, { recursive: true });
  }

  static async start(options: StackOptions = {}): Promise<Stack> {
    const [apiPort, simPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const id = randomUUID().slice(0, 8);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
      MAINT_INSTANCE: `it-${id}`,
      MAINT_TASK_QUEUE: `maint-it-${id}`,
      PORT: String(apiPort),
      SIM_PORT: String(simPort),
      SIM_MACHINES: String(options.machines ?? 20),
      SIM_TASK_GRACE: options.taskGrace ?? '1s',
      MAINT_CHECK_INTERVAL: options.checkInterval ?? '1s',
      LOG_LEVEL: 'info',
      MAINT_SECRET_KEY: randomBytes(32).toString('hex'),
      METRICS_PORT: String(metricsPort),
      ...options.env,
    };
    if (!env.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is not set: run integration tests through jest (globalSetup)');
    const stack = new Stack(env, `http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${simPort}`, `http://127.0.0.1:${env.METRICS_PORT}`);
    stack.spawn('sim');
    stack.spawn('worker');
    stack.spawn('api');
    await stack.waitHealthy();
    return stack;
  }

  spawn(role: Role): ChildProcess {
    const child = spawn(process.execPath, [MAIN, role], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(path.join(this.logDir, `${role}.log`), { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.set(role, child);
    return child;
  }

  /** Kills a process the hard way (no cleanup at all), and waits until it is gone. */
  async kill(role: Role, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.processes.get(role);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await gone;
  }

  /** Waits until the API answers /healthz with 200: Temporal reachable and a worker polling. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const [api, sim] = await Promise.all([fetch(`${this.apiUrl}/healthz`), fetch(`${this.simUrl}/healthz`)]);
        if (api.status === 200 && sim.status === 200) return;
        last = `api ${api.status} ${await api.text()}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`maint did not become healthy in ${timeoutMs} ms: ${last} (logs in ${this.logDir})`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((role) => this.kill(role, 'SIGTERM')));
  }

  async api<T = any>(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.apiUrl}${pathname}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * A request as a Mesos tool sends it: the body as given (a string is sent verbatim), the answer as text and, when
   * it is JSON, parsed losslessly (int64 nanoseconds as BigInt).
   */
  async mesos(
    method: string,
    pathname: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; json: any; headers: Headers }> {
    const res = await fetch(`${this.apiUrl}${pathname}`, {
      method,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : stringifyJson(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? parseJson(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  }

  async sim<T = any>(pathname: string): Promise<T> {
    const res = await fetch(`${this.simUrl}${pathname}`);
    return (await res.json()) as T;
  }

  /** Polls until check returns a value (not undefined), or fails with what it saw last. */
  async eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (logs in ${this.logDir})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
