// Every setting, read from the environment in one place, with defaults for the embedded mode. A bad value stops
// start-up with a message naming the variable.
import { z } from 'zod';
import { parseSecretKey } from '../lib/sealed';
import { parseDuration } from '../domain/time';
import type { Policy } from '../domain/policy';
import { PolicySchema } from '../api/native/schemas';
import { parseJson } from '../lib/json';
import { DEFAULT_INSTANCE, INSTANCE_PATTERN } from '../temporal/ids';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 10s or 5m` });
      return ms ?? 0;
    });

/** Workflow tasks a worker holds at once unless MAINT_WORKFLOW_TASK_SLOTS says (the SDK's own default is 40). */
export const DEFAULT_WORKFLOW_TASK_SLOTS = 8;

/** Every setting: its name, type, default and meaning (`.describe`). README's Configuration table lists each. */
export const Env = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .min(1)
    .optional()
    .describe('host:port of the Temporal frontend to use; unset: `maint up` starts the dev server (and the other commands use 127.0.0.1:TEMPORAL_PORT)'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('the Temporal namespace'),
  TEMPORAL_PORT: port(7233).describe("the embedded dev server's gRPC port"),
  TEMPORAL_UI_PORT: port(8233).describe("the embedded dev server's Web UI port"),
  TEMPORAL_CLI_PATH: z.string().min(1).optional().describe('the Temporal CLI (dev server) to run; unset: .tools/py/bin/temporal, then PATH'),
  MAINT_TASK_QUEUE: z.string().min(1).default('maint').describe("the task queue of maint's workflows and activities (API and workers: the same)"),
  MAINT_INSTANCE: z
    .string()
    .regex(INSTANCE_PATTERN, 'lowercase letters, digits and dashes')
    .default(DEFAULT_INSTANCE)
    .describe('prefix of every workflow ID, so several deployments share a namespace (API and workers: the same)'),
  MAINT_DATA_DIR: z.string().min(1).default('./.data').describe("`maint up`: the dev server's SQLite file and log, and the secret key it makes"),
  PORT: port(8080).describe('the API port'),
  API_HOST: z.string().min(1).default('127.0.0.1').describe('the address the API listens on (0.0.0.0 in a container)'),
  SIM_HOST: z.string().min(1).default('127.0.0.1').describe('the address the simulator listens on'),
  SIM_PUBLIC_URL: z.url().optional().describe("the simulator as maint's workers reach it, for its frameworks' webhooks; unset: its listening address"),
  MAINT_URL: z.url().optional().describe("the API as the simulator's frameworks reach it; unset: http://127.0.0.1:$PORT"),
  SIM_PORT: port(8081).describe('the simulator port'),
  SIM_MACHINES: z.coerce.number().int().min(1).max(100_000).default(20).describe("the simulated fleet's size"),
  SIM_TASK_GRACE: duration('1s').describe("simulated tasks' kill grace period"),
  MAINT_DRIVER: z.enum(['sim']).default('sim').describe('the cluster driver: `sim` (the simulator over HTTP at SIM_URL)'),
  SIM_URL: z.url().optional().describe('the simulator as the driver reaches it (API and workers); unset: http://127.0.0.1:$SIM_PORT'),
  MAINT_CHECK_INTERVAL: duration('10s').describe('how often a draining machine is looked at (answers and commands also wake it)'),
  MAINT_ARM_DEADLINE_KILLS: z
    .enum(['on', 'off'])
    .default('on')
    .describe("`on`: machines and windows arm their deadline's kills ahead of it; `off`: each machine's own workflow task at the deadline kills (README, Kills armed ahead of the deadline)"),
  MAINT_WORKFLOW_TASK_SLOTS: z.coerce
    .number()
    .int()
    .min(2)
    .max(1_000)
    .default(DEFAULT_WORKFLOW_TASK_SLOTS)
    .describe("workflow tasks a worker holds at once; the rest wait on the server, where signals that come meanwhile join them and the deadline's kills need not wait for them (docs/performance.md)"),
  MAINT_WORKFLOW_STACK_TRACES: z
    .enum(['on', 'off'])
    .default('off')
    .describe("`on`: workers keep workflows' stack traces (the Web UI's Stack Trace tab), at about a third of their workflow thread's CPU; `off`: the tab says they are not enabled (README, Patched dependencies)"),
  MAINT_CREDENTIALS: z
    .string()
    .min(1)
    .optional()
    .describe("a file in Mesos' credentials format: operator and scheduler endpoints require HTTP Basic; unset: open"),
  MAINT_ACLS: z.string().min(1).optional().describe("a file in Mesos' ACL format for the maintenance and agent actions"),
  MAINT_MESOS_POLICY: z
    .string()
    .min(1)
    .optional()
    .transform((text, ctx): Policy | undefined => {
      if (text === undefined) return undefined;
      let value: unknown;
      try {
        value = parseJson(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON; give a policy like {"escalation":"hard-drain"}' });
        return undefined;
      }
      const policy = PolicySchema.safeParse(value);
      if (!policy.success) {
        ctx.addIssue({ code: 'custom', message: policy.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        return undefined;
      }
      const { maxGracePeriod, ...rest } = policy.data;
      return { ...rest, ...(maxGracePeriod === undefined ? {} : { maxGracePeriodMs: maxGracePeriod }) };
    })
    .describe('a native policy as JSON for windows posted the Mesos way; unset: they do nothing on their own, as in Mesos'),
  MAINT_SECRET_KEY: z
    .string()
    .min(1)
    .optional()
    .transform((text, ctx): Buffer | undefined => {
      if (text === undefined) return undefined;
      try {
        return parseSecretKey(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return undefined;
      }
    })
    .describe(
      '32 bytes (64 hex digits or base64) sealing webhook secrets; API and workers need the same; unset: frameworks cannot subscribe a webhook',
    ),
  METRICS_PORT: port(9464).describe("the worker's /metrics and /healthz port; 0: no such server"),
  METRICS_HOST: z.string().min(1).default('127.0.0.1').describe("the worker's metrics address (0.0.0.0 in a container)"),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('the log level'),
});

export type EnvName = keyof typeof Env.shape;

/**
 * What each process needs set in production (no `maint up` to fill in defaults; every process in its own container):
 * where Temporal is and which namespace, queue and instance (the API and workers must agree), where the cluster
 * driver reaches the cluster, the one key sealing webhook secrets, and where each listens and is reached.
 */
export const PRODUCTION_ENV: Readonly<Record<'api' | 'worker' | 'sim', readonly EnvName[]>> = {
  api: ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'MAINT_TASK_QUEUE', 'MAINT_INSTANCE', 'PORT', 'API_HOST', 'SIM_URL', 'MAINT_SECRET_KEY'],
  worker: ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'MAINT_TASK_QUEUE', 'MAINT_INSTANCE', 'SIM_URL', 'MAINT_SECRET_KEY'],
  sim: ['SIM_PORT', 'SIM_HOST', 'SIM_PUBLIC_URL', 'MAINT_URL'],
};

/** The variables in `names` that `env` leaves unset or empty. */
export function missingEnv(env: NodeJS.ProcessEnv, names: readonly EnvName[]): EnvName[] {
  return names.filter((name) => env[name] === undefined || env[name] === '');
}

export interface Config {
  /** Prefixes every workflow ID, so several maint deployments can share a Temporal namespace. */
  instance: string;
  temporal: {
    /** Where Temporal is; undefined in the embedded mode, where `maint up` starts a dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    port: number;
    uiPort: number;
    cliPath?: string;
  };
  dataDir: string;
  api: { host: string; port: number; url: string };
  sim: { host: string; port: number; publicUrl?: string; machines: number; url: string; taskGracePeriodMs: number };
  driver: { kind: 'sim'; url: string };
  /** Files in Mesos' credentials and ACL formats; unset: the API is open, every principal may do everything. */
  security: { credentialsFile?: string; aclsFile?: string };
  /** How often a draining machine is looked at (answers and commands also wake it). */
  checkIntervalMs: number;
  /** Machines and windows arm their deadline's kills ahead of it (MAINT_ARM_DEADLINE_KILLS, on by default). */
  armDeadlineKills: boolean;
  /** Workers keep workflows' stack traces (MAINT_WORKFLOW_STACK_TRACES, off by default). */
  workflowStackTraces: boolean;
  /** Workflow tasks a worker holds at once (MAINT_WORKFLOW_TASK_SLOTS). */
  workflowTaskSlots: number;
  /** What windows posted through the Mesos endpoints do on their own; undefined: nothing, as Mesos. */
  mesosPolicy?: Policy;
  /**
   * Seals webhook secrets before they reach Temporal (src/lib/sealed.ts); API and workers need the same key.
   * Without it frameworks cannot subscribe webhooks (they stream or pull). `maint up` makes one in the data dir.
   */
  secretKey?: Buffer;
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  /**
   * Where a worker serves /metrics and /healthz (the API serves /metrics on its own port). Port 0: no such server,
   * for a worker that is watched some other way.
   */
  metrics: { host: string; port: number };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`maint: bad configuration: ${problems}`);
  }
  const e = parsed.data;
  const simUrl = e.SIM_URL ?? `http://127.0.0.1:${e.SIM_PORT}`;
  return Object.freeze({
    instance: e.MAINT_INSTANCE,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.MAINT_TASK_QUEUE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    dataDir: e.MAINT_DATA_DIR,
    api: { host: e.API_HOST, port: e.PORT, url: e.MAINT_URL ?? `http://127.0.0.1:${e.PORT}` },
    sim: {
      host: e.SIM_HOST,
      port: e.SIM_PORT,
      publicUrl: e.SIM_PUBLIC_URL,
      machines: e.SIM_MACHINES,
      url: simUrl,
      taskGracePeriodMs: e.SIM_TASK_GRACE,
    },
    driver: { kind: e.MAINT_DRIVER, url: simUrl },
    security: { credentialsFile: e.MAINT_CREDENTIALS, aclsFile: e.MAINT_ACLS },
    checkIntervalMs: e.MAINT_CHECK_INTERVAL,
    armDeadlineKills: e.MAINT_ARM_DEADLINE_KILLS === 'on',
    workflowStackTraces: e.MAINT_WORKFLOW_STACK_TRACES === 'on',
    workflowTaskSlots: e.MAINT_WORKFLOW_TASK_SLOTS,
    mesosPolicy: e.MAINT_MESOS_POLICY,
    ...(e.MAINT_SECRET_KEY ? { secretKey: e.MAINT_SECRET_KEY } : {}),
    logLevel: e.LOG_LEVEL,
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
  });
}
