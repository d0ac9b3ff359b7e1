// Gauges about the whole fleet, served by the API's /metrics and computed at scrape time from Temporal: machines per
// mode from visibility counts, inverse offers outstanding from each framework's mailbox. No process keeps them in
// memory (a workflow runs on whichever worker has it, and replays would count twice). Readings are cached briefly so
// that scrapes (and several Prometheus servers) stay cheap; when Temporal cannot be read, the series are left out and
// maint_temporal_up says 0, rather than /metrics failing.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { WorkflowIds } from '../temporal/ids';
import { frameworksView, mailboxEvents } from '../../workflows/messages';

/** The modes a machine in maintenance has; UP machines are not in maintenance, and maint does not know the fleet's size. */
export const MODES_IN_MAINTENANCE = ['DRAINING', 'DOWN'] as const;
export type ModeInMaintenance = (typeof MODES_IN_MAINTENANCE)[number];

/** Where the readings come from (Temporal in production; a stand-in in unit tests of caching and failures). */
export interface FleetSource {
  machinesByMode(): Promise<Record<ModeInMaintenance, number>>;
  /** Open inverse offers per subscribed framework. */
  outstandingOffers(): Promise<Map<string, number>>;
}

/** The fleet as Temporal knows it, for one maint instance (MAINT_INSTANCE: its workflow IDs' prefix). */
export class TemporalFleet implements FleetSource {
  /** Each mailbox's last event id seen: reading after it returns no events and no resync, just the open offers. */
  private readonly lastSeq = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly ids: WorkflowIds,
    private readonly timeoutMs = 5_000,
  ) {}

  async machinesByMode(): Promise<Record<ModeInMaintenance, number>> {
    // A machine's running workflow is its current maintenance; one that ended is UP and out of it.
    const base =
      `WorkflowType = "machineWorkflow" AND ExecutionStatus = "Running" ` +
      `AND WorkflowId STARTS_WITH "${this.ids.machinePrefix}"`;
    const counts = await this.withDeadline(() =>
      Promise.all(MODES_IN_MAINTENANCE.map((mode) => this.client.workflow.count(`${base} AND MaintenanceMode = "${mode}"`))),
    );
    return Object.fromEntries(MODES_IN_MAINTENANCE.map((mode, i) => [mode, counts[i].count])) as Record<ModeInMaintenance, number>;
  }

  async outstandingOffers(): Promise<Map<string, number>> {
    let frameworks: { frameworkId: string }[];
    try {
      frameworks = await this.withDeadline(() => this.client.workflow.getHandle(this.ids.frameworks).query(frameworksView));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return new Map(); // no framework ever subscribed
      throw err;
    }
    const known = new Set(frameworks.map((f) => f.frameworkId));
    for (const id of this.lastSeq.keys()) if (!known.has(id)) this.lastSeq.delete(id);
    const counts = await Promise.all(
      frameworks.map(async ({ frameworkId }): Promise<[string, number] | undefined> => {
        try {
          const page = await this.withDeadline(() =>
            this.client.workflow
              .getHandle(this.ids.framework(frameworkId))
              .query(mailboxEvents, { afterSeq: this.lastSeq.get(frameworkId), limit: 1 }),
          );
          this.lastSeq.set(frameworkId, page.lastSeq);
          return [frameworkId, page.outstanding.length];
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return undefined; // torn down since the registry answered
          throw err;
        }
      }),
    );
    return new Map(counts.filter((c): c is [string, number] => c !== undefined));
  }

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.timeoutMs, fn);
  }
}

type Source = 'machines' | 'inverse_offers';

interface Readings {
  machines?: Record<ModeInMaintenance, number>;
  offers?: Map<string, number>;
}

export interface FleetGaugesOptions {
  /** Readings are reused this long. */
  cacheMs?: number;
  /** A reading that takes longer counts as failed (Temporal, or the worker answering queries, is away). */
  timeoutMs?: number;
  logger?: Logger;
  now?: () => number;
}

export class FleetGauges {
  private cached?: { atMs: number; readings: Promise<Readings> };
  private readonly errors: Counter<'source'>;
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: FleetSource,
    registry: Registry,
    private readonly options: FleetGaugesOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    const registers = [registry];
    const readings = () => this.readings();
    new Gauge({
      name: 'maint_machines',
      help: 'Machines in maintenance by mode (DRAINING, DOWN): running machine workflows of this instance, from Temporal visibility',
      labelNames: ['mode'],
      registers,
      async collect() {
        const { machines } = await readings();
        this.reset();
        if (machines) for (const mode of MODES_IN_MAINTENANCE) this.set({ mode }, machines[mode]);
      },
    });
    new Gauge({
      name: 'maint_inverse_offers_outstanding',
      help: 'Inverse offers sent and neither answered nor rescinded, by framework, from each subscribed framework\'s mailbox',
      labelNames: ['framework'],
      registers,
      async collect() {
        const { offers } = await readings();
        this.reset();
        for (const [framework, n] of offers ?? []) this.set({ framework }, n);
      },
    });
    new Gauge({
      name: 'maint_temporal_up',
      help: 'Whether the last reading of the fleet from Temporal succeeded (1) or not (0: the fleet gauges are left out)',
      registers,
      async collect() {
        const { machines, offers } = await readings();
        this.set(machines && offers ? 1 : 0);
      },
    });
    this.errors = new Counter({
      name: 'maint_fleet_read_errors_total',
      help: 'Readings of the fleet from Temporal that failed or timed out, by source (machines, inverse_offers)',
      labelNames: ['source'],
      registers,
      // Serialised alongside the gauges: waiting for the same reading makes a failure show in the scrape it failed.
      async collect() {
        await readings();
      },
    });
    for (const source of ['machines', 'inverse_offers'] satisfies Source[]) this.errors.inc({ source }, 0); // rate() from the start
  }

  /** The current readings, read again when older than the cache period; every scrape within it shares one reading. */
  readings(): Promise<Readings> {
    const now = this.now();
    if (!this.cached || now - this.cached.atMs >= this.cacheMs) {
      this.cached = { atMs: now, readings: this.read() };
    }
    return this.cached.readings;
  }

  private async read(): Promise<Readings> {
    const [machines, offers] = await Promise.all([
      this.attempt('machines', () => this.source.machinesByMode()),
      this.attempt('inverse_offers', () => this.source.outstandingOffers()),
    ]);
    return { ...(machines ? { machines } : {}), ...(offers ? { offers } : {}) };
  }

  private async attempt<T>(source: Source, read: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([read(), timeout]);
    } catch (err) {
      this.errors.inc({ source });
      this.options.logger?.warn({ source, err }, 'metrics: the fleet could not be read from Temporal');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
