// A maint stack for workflow tests: the real workflows and activities on the time-skipping server, the real services,
// an in-process fleet, and frameworks that answer inside the webhook call (so an answer is in before time skips on).
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { SchedulerEvent } from '../../src/domain/scheduler-wire';
import type { MachineId } from '../../src/domain/machine';
import { DEFAULT_POLICY, type Policy } from '../../src/domain/policy';
import type { WindowView } from '../../src/domain/window';
import type { windowWorkflow } from '../../workflows/window';
import { parseJson } from '../../src/lib/json';
import { FrameworkService, frameworkDirectory } from '../../src/service/frameworks';
import { WindowService } from '../../src/service/windows';
import { MaintenanceService } from '../../src/service/maintenance';
import { ScheduleEntity } from '../../src/service/schedule-entity';
import { Fleet, type FleetOptions } from '../../src/sim/fleet';
import { createWorker } from '../../src/temporal/worker';
import { WorkflowIds } from '../../src/temporal/ids';
import { FleetDriver } from './fleet-driver';

export type Behaviour = 'mover' | 'decliner' | 'silent';

export interface Received {
  frameworkId: string;
  event: SchedulerEvent;
  idempotencyKey: string | null;
  atMs: number;
}

export interface HarnessOptions {
  fleet?: FleetOptions;
  frameworks?: Record<string, Behaviour>;
  checkIntervalMs?: number;
  machineMaxHistoryEvents?: number;
  scheduleMaxHistoryEvents?: number;
  /** What Mesos-posted windows do on their own (MAINT_MESOS_POLICY); Mesos' nothing when absent. */
  mesosPolicy?: Policy;
}

const HOUR = 3_600_000;

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
  readonly windows: WindowService;
  readonly frameworks: FrameworkService;
  readonly received: Received[] = [];
  readonly ids = new WorkflowIds();
  readonly schedule: ScheduleEntity;
  readonly maintenance: MaintenanceService;
  private readonly behaviours: Record<string, Behaviour>;

  constructor(
    readonly env: TestWorkflowEnvironment,
    private readonly bundle: WorkflowBundleWithSourceMap,
    options: HarnessOptions = {},
  ) {
    this.fleet = new Fleet({ taskGracePeriodMs: 0, ...options.fleet });
    this.behaviours = options.frameworks ?? { mover: 'mover', decliner: 'decliner', silent: 'silent' };
    this.frameworks = new FrameworkService(env.client, this.taskQueue, this.ids);
    this.schedule = new ScheduleEntity(
      env.client,
      this.taskQueue,
      {
        instance: this.ids.instance,
        checkIntervalMs: options.checkIntervalMs ?? 60_000,
        machineMaxHistoryEvents: options.machineMaxHistoryEvents,
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
        fetch: (url, init) => this.webhook(String(url), init),
      },
      options: { workflowBundle: this.bundle },
    });
  }

  /**
   * Runs fn with a worker polling, after subscribing every framework with a webhook. Use one environment per test:
   * the entity workflows have fixed IDs, and the test server can leave time skipping locked across runs of them.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await this.worker();
    return worker.runUntil(async () => {
      for (const id of Object.keys(this.behaviours)) {
        await this.frameworks.subscribe({ frameworkId: id, name: id, webhookUrl: `http://frameworks.test/${id}` });
      }
      return fn();
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

  /** Answers a framework's inverse offers by hand (e.g. a late answer). */
  answer(frameworkId: string, answer: 'ACCEPT' | 'DECLINE', offerIds: string[]): Promise<void> {
    return this.frameworks.answer(frameworkId, answer, offerIds);
  }

  private async webhook(url: string, init?: RequestInit): Promise<Response> {
    const frameworkId = url.split('/').pop()!;
    const event = parseJson(String(init?.body)) as SchedulerEvent;
    const idempotencyKey = new Headers(init?.headers).get('Idempotency-Key');
    this.received.push({ frameworkId, event, idempotencyKey, atMs: await this.env.currentTimeMs() });
    if (event.type === 'INVERSE_OFFERS') await this.react(frameworkId, event);
    return new Response('', { status: 200 });
  }

  private async react(frameworkId: string, event: Extract<SchedulerEvent, { type: 'INVERSE_OFFERS' }>): Promise<void> {
    const ids = event.inverse_offers.inverse_offers.map((o) => o.id.value);
    switch (this.behaviours[frameworkId]) {
      case 'mover':
        for (const offer of event.inverse_offers.inverse_offers) {
          const machine = this.fleet.machineOfAgent(offer.agent_id.value);
          for (const task of machine?.tasks ?? []) {
            if (task.frameworkId === frameworkId) this.fleet.frameworkKill(frameworkId, task.taskId);
          }
        }
        return this.answer(frameworkId, 'ACCEPT', ids);
      case 'decliner':
        return this.answer(frameworkId, 'DECLINE', ids);
      default:
        return;
    }
  }
}
