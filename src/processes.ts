// maint's long-running processes: `up` (everything, embedded), `worker`, `api`, `sim`. Loaded by src/main.ts only when
// one of them starts, so that the operators' CLI does not pay for loading the Temporal worker.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Config } from './config';
import { createLogger } from './logger';
import { createApp } from './api/app';
import { EventStreams } from './api/scheduler/stream';
import { connectClient } from './temporal/client';
import { startDevServer } from './temporal/dev-server';
import { createWorker } from './temporal/worker';
import { SimDriver } from './drivers/sim-driver';
import { WorkflowIds } from './temporal/ids';
import { FrameworkService, frameworkDirectory } from './service/frameworks';
import { MachineService } from './service/machines';
import { WindowService } from './service/windows';
import { MaintenanceService } from './service/maintenance';
import { AgentService } from './service/agents';
import { ScheduleEntity } from './service/schedule-entity';
import { startSim } from './sim/server';
import { loadAcls } from './auth/acls';
import { loadCredentials } from './auth/credentials';
import { newSecretKey } from './lib/sealed';
import { processRegistry, WorkerMetrics } from './observability/metrics';
import { FleetGauges, TemporalFleet } from './observability/fleet-gauges';
import { PinoTemporalLogger } from './observability/temporal-logger';
import { serveWorkerMetrics } from './observability/worker-server';

export type Command = 'up' | 'worker' | 'api' | 'sim';

/** The binary that runs each process (`maint up` starts the others through it). */
const MAIN = path.join(__dirname, 'main.js');

function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}

async function runWorker(config: Config): Promise<void> {
  const log = createLogger('worker', config.logLevel);
  // Workflow code's and activities' logs, and the SDK's own from WARN up (below that only when debugging), as pino lines.
  Runtime.install({ logger: new PinoTemporalLogger(log) });
  const registry = processRegistry();
  let worker: Worker | undefined;
  // Up before the Worker, so that a port in use stops the process at once (saying which variable to change).
  const metricsServer =
    config.metrics.port === 0
      ? undefined
      : await serveWorkerMetrics({ ...config.metrics, registry, state: () => worker?.getState() ?? 'STARTING' });
  if (metricsServer) log.info({ url: metricsServer.url }, 'worker metrics on /metrics, health on /healthz');
  const address = temporalAddress(config);
  const client = await connectClient(address, config.temporal.namespace);
  const frameworks = new FrameworkService(client, config.temporal.taskQueue, new WorkflowIds(config.instance));
  worker = await createWorker({
    connection: await NativeConnection.connect({ address }),
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: {
      driver: new SimDriver(config.driver.url),
      frameworks: frameworkDirectory(frameworks),
      // Opens the webhook secrets the mailboxes hold sealed; without it webhooks fail, saying so, and pulls still work.
      ...(config.secretKey ? { secretKey: config.secretKey } : {}),
    },
    observability: { metrics: new WorkerMetrics(registry), logger: log },
    workflowStackTraces: config.workflowStackTraces,
    workflowTaskSlots: config.workflowTaskSlots,
  });
  log.info({ address, taskQueue: config.temporal.taskQueue }, 'worker polling');
  await worker.run(); // the SDK's Runtime shuts it down gracefully on SIGINT/SIGTERM
  await metricsServer?.close();
  await client.connection.close();
}

async function runApi(config: Config): Promise<void> {
  const log = createLogger('api', config.logLevel);
  const client = await connectClient(temporalAddress(config), config.temporal.namespace);
  const { taskQueue } = config.temporal;
  const ids = new WorkflowIds(config.instance);
  const driver = new SimDriver(config.driver.url);
  const schedule = new ScheduleEntity(client, taskQueue, {
    instance: config.instance,
    checkIntervalMs: config.checkIntervalMs,
    // Workflows arm unless told not to (the histories recorded with arming replay so); MAINT_ARM_DEADLINE_KILLS=off tells them.
    ...(config.armDeadlineKills ? {} : { armDeadlineKills: false }),
    ...(config.mesosPolicy ? { mesosPolicy: config.mesosPolicy } : {}),
  });
  const windows = new WindowService(schedule);
  const security = {
    credentials: config.security.credentialsFile ? loadCredentials(config.security.credentialsFile) : undefined,
    acls: config.security.aclsFile ? loadAcls(config.security.aclsFile) : undefined,
  };
  const streams = new EventStreams();
  const metrics = processRegistry();
  new FleetGauges(new TemporalFleet(client, ids), metrics, { logger: log });
  const app = createApp({
    security,
    client,
    taskQueue,
    windows,
    machines: new MachineService(driver, windows),
    maintenance: new MaintenanceService(schedule, driver),
    agents: new AgentService(schedule, driver),
    frameworks: new FrameworkService(client, taskQueue, ids, config.secretKey),
    logger: log,
    streams,
    metrics,
  });
  if (security.credentials) {
    log.info({ principals: security.credentials.size, acls: security.acls ? 'on' : 'off' }, 'operator authentication on');
  } else {
    log.warn('authentication is off: every caller may use the operator API (set MAINT_CREDENTIALS to require it)');
  }
  const server = app.listen(config.api.port, config.api.host, () => log.info({ url: config.api.url }, 'API listening'));
  if (!config.secretKey) log.warn('MAINT_SECRET_KEY is unset: frameworks cannot subscribe webhooks (they stream or pull)');
  await stopOn(['SIGINT', 'SIGTERM'], async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    streams.closeAll(); // event streams never end by themselves; their readers reconnect elsewhere
    await closed;
    await client.connection.close();
  });
}

async function runSim(config: Config): Promise<void> {
  const log = createLogger('sim', config.logLevel);
  const sim = await startSim({
    port: config.sim.port,
    host: config.sim.host,
    ...(config.sim.publicUrl ? { publicUrl: config.sim.publicUrl } : {}),
    machines: config.sim.machines,
    taskGracePeriodMs: config.sim.taskGracePeriodMs,
    maintUrl: config.api.url,
    // With authentication on, each simulated framework authenticates as the principal named after it, if any.
    ...(config.security.credentialsFile ? { credentials: loadCredentials(config.security.credentialsFile) } : {}),
    logger: log,
  });
  log.info({ url: sim.url, machines: config.sim.machines }, 'simulated fleet listening');
  await stopOn(['SIGINT', 'SIGTERM'], () => sim.close());
}

/** Everything on one machine: the dev server (unless TEMPORAL_ADDRESS is set), then worker, fleet and API. */
async function runUp(config: Config): Promise<void> {
  const log = createLogger('up', config.logLevel);
  const server = config.temporal.address
    ? undefined
    : await startDevServer({
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        cliPath: config.temporal.cliPath,
        logFile: path.join(config.dataDir, 'temporal.log'),
      });
  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(config), MAINT_SECRET_KEY: secretKeyIn(config) };
  const children: ChildProcess[] = (['worker', 'sim', 'api'] as const).map((cmd) =>
    spawn(process.execPath, [MAIN, cmd], { env, stdio: 'inherit' }),
  );
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all(children.map((c) => terminate(c)));
    await server?.stop();
  };
  for (const child of children) {
    child.once('exit', (code, signal) => {
      if (!stopping) {
        log.error({ pid: child.pid, code, signal }, 'a maint process died; stopping everything');
        void stop().then(() => process.exit(1));
      }
    });
  }
  console.log(
    [
      '',
      'maint is up:',
      `  API        ${config.api.url}   (health: ${config.api.url}/healthz)`,
      `  Temporal   ${temporalAddress(config)}${server?.uiUrl ? `   Web UI: ${server.uiUrl}` : ''}`,
      `  simulator  ${config.sim.url}   (${config.sim.machines} machines)`,
      `  metrics    ${config.api.url}/metrics${config.metrics.port === 0 ? '' : `, worker http://${config.metrics.host}:${config.metrics.port}/metrics`}`,
      `  data       ${path.resolve(config.dataDir)}`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  await stopOn(['SIGINT', 'SIGTERM'], stop);
}

/** MAINT_SECRET_KEY as given, else the data dir's own key (made once), so webhooks work in the embedded mode. */
function secretKeyIn(config: Config): string {
  if (process.env.MAINT_SECRET_KEY) return process.env.MAINT_SECRET_KEY;
  const file = path.join(config.dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, newSecretKey(), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function stopOn(signals: NodeJS.Signals[], stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const handler = () => {
      signals.forEach((s) => process.off(s, handler));
      void stop().then(resolve);
    };
    signals.forEach((s) => process.on(s, handler));
  });
}

export const COMMANDS: Record<Command, (config: Config) => Promise<void>> = {
  up: runUp,
  worker: runWorker,
  api: runApi,
  sim: runSim,
};

