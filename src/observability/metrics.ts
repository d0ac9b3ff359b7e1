// The metrics a process counts itself (docs/operations.md lists every metric). Counters and histograms are per
// process: Prometheus sums them across workers. Gauges about the whole fleet are not kept here (a workflow runs on
// whichever worker has it, and a replay would count twice): the API computes them from Temporal at scrape time
// (fleet-gauges.ts).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { DownHow } from '../../workflows/sinks';

/** A registry for one process, with prom-client's process and Node.js metrics. */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Why a webhook POST failed; few values, so that a label stays cheap (the framework is the other label). */
export type WebhookFailure =
  | 'http-4xx'
  | 'http-5xx'
  | 'http-other' // neither 2xx nor an error status (a redirect fetch did not follow)
  | 'signature-rejected' // 401 or 403: the framework did not accept the signature (or its credentials)
  | 'timeout'
  | 'network'
  | 'secret-unavailable'; // the worker cannot open the framework's webhook secret (no or another MAINT_SECRET_KEY)

/** The webhook side, as activities see it. */
export interface WebhookMetrics {
  delivered(frameworkId: string): void;
  failed(frameworkId: string, reason: WebhookFailure): void;
}

/** From a few seconds (an empty machine) to days (a window drained slowly, or waiting for an operator). */
const DRAIN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400, 43_200, 86_400, 259_200];
/** Tasks' grace periods, capped by maxGracePeriod: seconds to an hour or two. */
const HARD_DRAIN_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200];

export class WorkerMetrics implements WebhookMetrics {
  private readonly answers: Counter<'framework' | 'answer' | 'late'>;
  private readonly drains: Histogram<'how'>;
  private readonly hardDrains: Histogram<'trigger'>;
  private readonly deliveries: Counter<'framework'>;
  private readonly failures: Counter<'framework' | 'reason'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.answers = new Counter({
      name: 'maint_inverse_offer_answers_total',
      help: 'Answers to inverse offers recorded by machines, by framework, answer (accept, decline) and late (true: after the hard drain started)',
      labelNames: ['framework', 'answer', 'late'],
      registers,
    });
    this.drains = new Histogram({
      name: 'maint_drain_duration_seconds',
      help: 'From DRAINING to DOWN, by how the machine got DOWN (drained, hard-drain, operator)',
      labelNames: ['how'],
      buckets: DRAIN_BUCKETS,
      registers,
    });
    this.hardDrains = new Histogram({
      name: 'maint_hard_drain_duration_seconds',
      help: 'From the start of a hard drain (kill what is left) to DOWN, by trigger (deadline, operator)',
      labelNames: ['trigger'],
      buckets: HARD_DRAIN_BUCKETS,
      registers,
    });
    this.deliveries = new Counter({
      name: 'maint_webhook_deliveries_total',
      help: "Webhook POSTs the framework's webhook accepted (2xx), by framework",
      labelNames: ['framework'],
      registers,
    });
    this.failures = new Counter({
      name: 'maint_webhook_failures_total',
      help: 'Webhook POSTs that failed, by framework and reason (http-4xx, http-5xx, http-other, signature-rejected, timeout, network, secret-unavailable)',
      labelNames: ['framework', 'reason'],
      registers,
    });
  }

  answered(frameworkId: string, answer: 'ACCEPT' | 'DECLINE', late: boolean): void {
    this.answers.inc({ framework: frameworkId, answer: answer.toLowerCase(), late: String(late) });
  }

  /** A machine reached DOWN: its drain took `drainMs`; `hardDrainMs` when tasks were killed (not when it drained). */
  down(how: DownHow, drainMs: number, hardDrainMs: number): void {
    this.drains.observe({ how }, Math.max(0, drainMs) / 1000);
    if (how !== 'drained') this.hardDrains.observe({ trigger: how === 'operator' ? 'operator' : 'deadline' }, Math.max(0, hardDrainMs) / 1000);
  }

  delivered(frameworkId: string): void {
    this.deliveries.inc({ framework: frameworkId });
  }

  failed(frameworkId: string, reason: WebhookFailure): void {
    this.failures.inc({ framework: frameworkId, reason });
  }
}

/** The webhook status that makes a failure's reason. */
export function webhookFailureOf(status: number): WebhookFailure {
  if (status === 401 || status === 403) return 'signature-rejected';
  if (status >= 500) return 'http-5xx';
  return status >= 400 ? 'http-4xx' : 'http-other';
}
