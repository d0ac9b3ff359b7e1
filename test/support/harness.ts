// A maint stack for workflow tests: the real workflows and activities on the time-skipping server, the real services,
// an in-process fleet, and frameworks that subscribe with a signed webhook and answer inside the webhook call (so an
// answer is in before time skips on). Every delivery's signature is checked as a framework must check it; a bad one
// fails the test.
import { randomBytes, randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Plan } from '../../src/domain/framework';
import { EVENT_ID_HEADER, IDEMPOTENCY_HEADER, type SchedulerEvent } from '../../src/domain/scheduler-wire';
import type { MachineId } from '../../src/domain/machine';
import { DEFAULT_POLICY, type Policy } from '../../src/domain/policy';
import type { Answer, WindowView } from '../../src/domain/window';
import type { windowWorkflow } from '../../workflows/window';
import type { frameworkMailboxWorkflow } from '../../workflows/framework-mailbox';
import { configureMailbox, type Subscribe } from '../../workflows/messages';
import { parseJson } from '../../src/lib/json';
import { seal } from '../../src/lib/sealed';
import { verifySignature } from '../../src/lib/signature';
import { FrameworkService, frameworkDirectory } from '../../src/service/frameworks';
import { WindowService } from '../../src/service/windows';
import { MaintenanceService } from '../../src/service/maintenance';
import { ScheduleEntity } from '../../src/service/schedule-entity';
import { Fleet, type FleetOptions } from '../../src/sim/fleet';
import { createWorker } from '../../src/temporal/worker';
import { WorkflowIds } from '../../src/temporal/ids';
import { eventually } from './eventually';
import { FleetDriver } from './fleet-driver';

/** mover moves its tasks away, then accepts; decliner declines; silent never answers; waiter declines with plan WAIT. */
export type Behaviour = 'mover' | 'decliner' | 'silent' | 'waiter';

/** An event a framework's webhook took (answered 2xx), once per Idempotency-Key. */
export interface Received {
  frameworkId: string;
  event: SchedulerEvent;
  idempotencyKey: string | null;
  /** Maint-Event-Id: the mailbox seq of the event. */
  seq: number;
  atMs: number;
}

/** One POST to a framework's webhook, whatever it was answered. */
export interface Post {
  frameworkId: string;
  event: SchedulerEvent;
  idempotencyKey: string;
  seq: number;
  /** Server (skipped) time of the POST. */
  atMs: number;
  status: number;
}

export interface HarnessOptions {
  fleet?: FleetOptions;
  frameworks?: Record<string, Behaviour>;
  /** More of a framework's subscription (principal, partitionAware, budget), by framework. */
  subscriptions?: Record<string, Partial<Subscribe>>;
  /**
   * The refuse filter each framework answers with, by framework. Default: mover 0 (it holds nothing there once it
   * moved); decliner and waiter 365 days, Mesos' longest (asked again only about a new unavailability).
   */
  refuseMs?: Record<string, number>;
  checkIntervalMs?: number;
  machineMaxHistoryEvents?: number;
  scheduleMaxHistoryEvents?: number;
  /** What Mesos-posted windows do on their own (MAINT_MESOS_POLICY); Mesos' nothing when absent. */
  mesosPolicy?: Policy;
  /** Start the worker without MAINT_SECRET_KEY (webhooks cannot be signed). */
  workerWithoutSecretKey?: boolean;
}

const HOUR = 3_600_000;
/** Mesos caps refuse_seconds at 365 days. */
export const LONGEST_REFUSE_MS = 365 * 24 * HOUR;

/** Machine n of the simulated fleet: every machine hosts mover; even ones decliner; every third one silent. */
export function simMachine(n: number): MachineId {
  return { hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` };
}

export interface OpenOptions {
  /** How far from now the unavailability starts (and the deadline is); default an hour. */
  inMs?: number;
  durationMs?: number;
  policy?: Partial<Policy>;
}

export class Harness {
  readonly fleet: Fleet;
  readonly taskQueue = `maint-test-${randomUUID()}`;
  /** MAINT_SECRET_KEY of this stack: the service seals webhook secrets with it, the worker opens them. */
  readonly secretKey = randomBytes(32);
  readonly windows: WindowService;
  readonly frameworks: FrameworkService;
  /** Events taken by the webhooks, in arrival order, each Idempotency-Key once. */
  readonly received: Received[] = [];
  /** Every POST, also those answered with an error or a duplicate. */
  readonly posts: Post[] = [];
  /** Deliveries whose Idempotency-Key had been taken already (at-least-once: acknowledged, not acted on). */
  readonly duplicates: Post[] = [];
  /** Deliveries whose signature did not verify: `run` fails when any is left. */
  readonly signatureFailures: string[] = [];
  /** Each framework's webhook secret, as the framework knows it (what deliveries are verified with). */
  readonly secrets = new Map<string, string>();
  /** What a framework's webhook answers a POST; 200 unless a test says otherwise. */
  respond: (post: Omit<Post, 'status'>) => number = () => 200;
  readonly ids = new WorkflowIds();
  readonly schedule: ScheduleEntity;
  readonly maintenance: MaintenanceService;
  private readonly behaviours: Record<string, Behaviour>;
  private readonly taken = new Set<string>();
  /** Webhook calls not yet answered: an answer inside one needs a workflow task, so the worker must outlive them. */
  private webhooksInFlight = 0;
  /** The test is done: webhooks answer 503 at once, so no delivery waits on a worker that is stopping. */
  private stopping = false;

  constructor(
    readonly env: TestWorkflowEnvironment,
    private readonly bundle: WorkflowBundleWithSourceMap,
    private readonly options: HarnessOptions = {},
  ) {
    this.fleet = new Fleet({ taskGracePeriodMs: 0, ...options.fleet });
    this.behaviours = options.frameworks ?? { mover: 'mover', decliner: 'decliner', silent: 'silent' };
    this.frameworks = new FrameworkService(env.client, this.taskQueue, this.ids, this.secretKey);
    this.schedule = new ScheduleEntity(
      env.client,
      this.taskQueue,
      {
        instance: this.ids.instance,
        checkIntervalMs: options.checkIntervalMs ?? 60_000,
        machineMaxHistoryEvents: options.machineMaxHistoryEvents,
        // An armed kill sleeps in real time, which this server does not skip: these tests take the machine's own path.
        armDeadlineKills: false,
        ...(options.mesosPolicy ? { mesosPolicy: options.mesosPolicy } : {}),
      },
      options.scheduleMaxHistoryEvents,
    );
    this.windows = new WindowService(this.schedule);
    this.maintenance = new MaintenanceService(this.schedule, new FleetDriver(this.fleet));
  }

  async worker(): Promise<Worker> {
    return createWorker({
      connection: this.env.nativeConnection,
      namespace: 'default',
      taskQueue: this.taskQueue,
      activities: {
        driver: new FleetDriver(this.fleet),
        frameworks: frameworkDirectory(this.frameworks, 0),
        drainPollMs: 10,
        fetch: async (url, init) => {
          if (this.stopping) return new Response('the test is over', { status: 503 });
          this.webhooksInFlight++;
          try {
            return await this.webhook(String(url), init);
          } finally {
            this.webhooksInFlight--;
          }
        },
        ...(this.options.workerWithoutSecretKey ? {} : { secretKey: this.secretKey }),
      },
      options: { workflowBundle: this.bundle },
    });
  }

  /**
   * Runs fn with a worker polling, after subscribing every framework with a signed webhook. Use one environment per
   * test: the entity workflows have fixed IDs, and the test server can leave time skipping locked across runs of them.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await this.worker();
    const result = await worker.runUntil(async () => {
      for (const id of Object.keys(this.behaviours)) await this.subscribe(id, this.options.subscriptions?.[id]);
      try {
        return await fn();
      } finally {
        // A delivery still answering (e.g. a decliner's answer to a machine the test no longer waits for) would never
        // end once the worker stopped polling: its answer is an update its mailbox's next workflow task takes. Later
        // deliveries (a retry) are turned away. Also when the test failed, so that it fails rather than hangs.
        this.stopping = true;
        await eventually(() => this.webhooksInFlight === 0, 'webhook calls in flight to end before the worker stops');
      }
    });
    if (this.signatureFailures.length) {
      throw new Error(`webhook deliveries with a bad signature:\n${this.signatureFailures.join('\n')}`);
    }
    return result;
  }

  webhookUrl(frameworkId: string): string {
    return `http://frameworks.test/${encodeURIComponent(frameworkId)}`;
  }

  /** Subscribes a framework through the service, as the API does, with a webhook and a fresh secret. */
  subscribe(frameworkId: string, more: Partial<Subscribe> = {}, principal?: string) {
    return this.frameworks.subscribe(
      {
        frameworkId,
        name: frameworkId,
        webhookUrl: this.webhookUrl(frameworkId),
        webhookSecret: this.newSecret(frameworkId),
        ...more,
      },
      principal,
    );
  }

  /**
   * Starts (or reconfigures) a framework's mailbox directly, without the registry: for tests of the mailbox alone
   * that need its input (a low maxHistoryEvents).
   */
  async configureMailbox(
    frameworkId: string,
    options: { principal?: string; webhook?: boolean; partitionAware?: boolean; maxHistoryEvents?: number } = {},
  ) {
    const webhook = options.webhook ?? true;
    const subscription = {
      frameworkId,
      name: frameworkId,
      ...(options.principal === undefined ? {} : { principal: options.principal }),
      ...(webhook ? { webhookUrl: this.webhookUrl(frameworkId) } : {}),
      ...(options.partitionAware === undefined ? {} : { partitionAware: options.partitionAware }),
      subscribedAtMs: await this.env.currentTimeMs(),
    };
    return this.env.client.workflow.executeUpdateWithStart(configureMailbox, {
      args: [{ subscription, ...(webhook ? { sealedSecret: seal(this.secretKey, this.newSecret(frameworkId)) } : {}) }],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof frameworkMailboxWorkflow>('frameworkMailboxWorkflow', {
        workflowId: this.ids.framework(frameworkId),
        taskQueue: this.taskQueue,
        args: [{ instance: this.ids.instance, frameworkId, maxHistoryEvents: options.maxHistoryEvents }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  }

  /** Creates a window through the service, as the API does, and returns its spec. */
  async open(machines: MachineId[], opts: OpenOptions = {}): Promise<WindowView> {
    const startMs = (await this.env.currentTimeMs()) + (opts.inMs ?? HOUR);
    const detail = await this.windows.create(
      {
        machines,
        unavailability: opts.durationMs === undefined ? { startMs } : { startMs, durationMs: opts.durationMs },
        deadlineMs: startMs,
        policy: { ...DEFAULT_POLICY, ...opts.policy },
      },
      'operator',
    );
    return detail.window;
  }

  /** Waits for the window's workflow to end (time skips meanwhile) and returns its final view. */
  windowResult(windowId: string): Promise<WindowView> {
    return this.env.client.workflow.getHandle<typeof windowWorkflow>(this.ids.window(windowId)).result();
  }

  eventsOf(frameworkId: string, type?: SchedulerEvent['type']): Received[] {
    return this.received.filter((r) => r.frameworkId === frameworkId && (!type || r.event.type === type));
  }

  /** Answers a framework's inverse offers by hand (e.g. a late answer); no refuse filter unless given. */
  answer(
    frameworkId: string,
    answer: Answer,
    offerIds: string[],
    options: { refuseMs?: number; plan?: Plan; principal?: string } = {},
  ): Promise<{ recorded: string[]; ignored: string[] }> {
    return this.frameworks.answer(frameworkId, {
      answer,
      offerIds,
      refuseMs: options.refuseMs ?? 0,
      ...(options.plan ? { plan: options.plan } : {}),
      ...(options.principal ? { principal: options.principal } : {}),
    });
  }

  private newSecret(frameworkId: string): string {
    const secret = randomBytes(24).toString('hex');
    this.secrets.set(frameworkId, secret);
    return secret;
  }

  /** A framework's webhook endpoint, as a framework must write it: verify, dedupe, act, acknowledge. */
  private async webhook(url: string, init?: RequestInit): Promise<Response> {
    const frameworkId = decodeURIComponent(url.split('/').pop()!);
    const body = String(init?.body);
    const headers = new Headers(init?.headers);
    const secret = this.secrets.get(frameworkId);
    const verdict = secret ? verifySignature(secret, headers, body) : { ok: false as const, reason: 'no secret' };
    if (!verdict.ok) {
      this.signatureFailures.push(`${frameworkId}: ${verdict.reason}`);
      return new Response(verdict.reason, { status: 401 });
    }
    const post = {
      frameworkId,
      event: parseJson(body) as SchedulerEvent,
      idempotencyKey: headers.get(IDEMPOTENCY_HEADER) ?? '',
      seq: Number(headers.get(EVENT_ID_HEADER)),
      atMs: await this.env.currentTimeMs(),
    };
    const status = this.respond(post);
    this.posts.push({ ...post, status });
    if (status < 200 || status >= 300) return new Response(`answered ${status} by the test`, { status });
    if (this.taken.has(post.idempotencyKey)) {
      this.duplicates.push({ ...post, status });
      return new Response('', { status });
    }
    this.taken.add(post.idempotencyKey);
    const { event, idempotencyKey, seq, atMs } = post;
    this.received.push({ frameworkId, event, idempotencyKey, seq, atMs });
    if (event.type === 'INVERSE_OFFERS') await this.react(frameworkId, event);
    return new Response('', { status });
  }

  private async react(frameworkId: string, event: Extract<SchedulerEvent, { type: 'INVERSE_OFFERS' }>): Promise<void> {
    const ids = event.inverse_offers.inverse_offers.map((o) => o.id.value);
    const refuseMs = (fallback: number) => ({ refuseMs: this.options.refuseMs?.[frameworkId] ?? fallback });
    switch (this.behaviours[frameworkId]) {
      case 'mover':
        for (const offer of event.inverse_offers.inverse_offers) {
          const machine = this.fleet.machineOfAgent(offer.agent_id.value);
          for (const task of machine?.tasks ?? []) {
            if (task.frameworkId === frameworkId) this.fleet.frameworkKill(frameworkId, task.taskId);
          }
        }
        await this.answer(frameworkId, 'ACCEPT', ids, { ...refuseMs(0), plan: 'MOVE' });
        return;
      case 'decliner':
        await this.answer(frameworkId, 'DECLINE', ids, refuseMs(LONGEST_REFUSE_MS));
        return;
      case 'waiter':
        await this.answer(frameworkId, 'DECLINE', ids, { ...refuseMs(LONGEST_REFUSE_MS), plan: 'WAIT' });
        return;
      default:
        return;
    }
  }
}
