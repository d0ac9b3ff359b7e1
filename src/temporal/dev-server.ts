// Starts the Temporal dev server (`temporal server start-dev`) for the embedded mode and for the test suite: a SQLite
// file, the Web UI, maint's search attributes registered. One launcher for both, so tests run what users run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from './search-attributes';
import { temporalCliPath } from './binaries';
import { devServerDynamicConfigArgs } from './server-settings';

export interface DevServerOptions {
  port: number;
  /** The Web UI's port; undefined runs headless. */
  uiPort?: number;
  namespace: string;
  /** SQLite file; undefined keeps state in memory only. */
  dbFile?: string;
  cliPath?: string;
  /** Where the server's own log goes; it is noisy, so by default it is dropped. */
  logFile?: string;
  /** The port of the server's own Prometheus metrics (persistence and task counts, read by bench:fleet); random if unset. */
  metricsPort?: number;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** Where the server's own metrics are, when their port was given. */
  metricsUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const SEARCH_ATTRIBUTE_TYPES: Record<string, string> = {
  KEYWORD: 'Keyword',
  DATETIME: 'Datetime',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  KEYWORD_LIST: 'KeywordList',
};

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--namespace', o.namespace];
  args.push('--log-level', 'warn');
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.metricsPort !== undefined) args.push('--metrics-port', String(o.metricsPort));
  if (o.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort), '--ui-disable-news-fetch');
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    args.push('--search-attribute', `${key.name}=${SEARCH_ATTRIBUTE_TYPES[key.type]}`);
  }
  args.push(...devServerDynamicConfigArgs());
  return args;
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  if (o.dbFile) mkdirSync(path.dirname(path.resolve(o.dbFile)), { recursive: true });
  const cli = o.cliPath ?? temporalCliPath();
  const child = spawn(cli, devServerArgs(o), { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  if (o.logFile) {
    const log = createWriteStream(o.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${o.port}`;
  const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
  for (;;) {
    const early = await Promise.race([exited, delay(250).then(() => 'running' as const)]);
    if (early !== 'running') {
      throw new Error(`temporal dev server exited with ${early} before it was ready:\n${output}`);
    }
    // With the Web UI, ready means the UI answers too: the URL printed (or given to a test) works when it is shown.
    if ((await isServing(address, o.namespace)) && (o.uiPort === undefined || (await uiAnswers(o.uiPort)))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server not ready on ${address} after ${o.startTimeoutMs ?? 60_000} ms:\n${output}`);
    }
  }
  return {
    address,
    uiUrl: o.uiPort === undefined ? undefined : `http://127.0.0.1:${o.uiPort}`,
    metricsUrl: o.metricsPort === undefined ? undefined : `http://127.0.0.1:${o.metricsPort}/metrics`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), delay(10_000).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** True once the server answers and the namespace exists. */
export async function isServing(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function uiAnswers(uiPort: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${uiPort}/`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
