// Delivers events to frameworks by webhook. At-least-once: every delivery carries an Idempotency-Key that stays the
// same across retries (and across continue-as-new), so a framework that honours it sees each effect once.
import { ApplicationFailure } from '@temporalio/activity';
import type { FrameworkNotice } from '../src/domain/framework';
import { toSchedulerEvent } from '../src/domain/scheduler-events';
import { IDEMPOTENCY_HEADER } from '../src/domain/scheduler-wire';
import { stringifyJson } from '../src/lib/json';
import { webhookFailureOf } from '../src/observability/metrics';
import type { ActivityDeps } from './deps';
import { activityLogger, SILENT } from './logging';

export interface Delivery {
  frameworkId: string;
  notice: FrameworkNotice;
  idempotencyKey: string;
}

export type DeliveryOutcome = 'delivered' | 'no-webhook';

const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * The delivery of machine runs that started before the scheduler API (their notices go by webhook from here, not
 * through a mailbox); counted and logged as the mailboxes' deliveries are.
 */
export function createNotifyActivities({ frameworks, fetch: fetchImpl = fetch, logger = SILENT, webhookMetrics }: ActivityDeps) {
  return {
    async deliverToFramework({ frameworkId, notice, idempotencyKey }: Delivery): Promise<DeliveryOutcome> {
      const subscription = await frameworks.lookup(frameworkId);
      // A framework that never subscribed, or subscribed without a webhook, pulls its events instead.
      if (!subscription?.webhookUrl) return 'no-webhook';
      const log = activityLogger(logger, { frameworkId });
      const response = await fetchImpl(subscription.webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [IDEMPOTENCY_HEADER]: idempotencyKey },
        body: stringifyJson(toSchedulerEvent(frameworkId, notice)),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      }).catch((err: unknown) => {
        const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network';
        webhookMetrics?.failed(frameworkId, reason);
        log.warn({ reason, idempotencyKey }, 'webhook unreachable; retrying');
        throw err;
      });
      if (response.ok) {
        webhookMetrics?.delivered(frameworkId);
        return 'delivered';
      }
      webhookMetrics?.failed(frameworkId, webhookFailureOf(response.status));
      log.warn({ reason: webhookFailureOf(response.status), status: response.status, idempotencyKey }, 'webhook failed');
      const text = (await response.text()).slice(0, 200);
      const message = `webhook of framework ${frameworkId} answered ${response.status}: ${text}`;
      // 4xx other than timeouts and throttling will not get better by retrying.
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        throw ApplicationFailure.nonRetryable(message, 'WEBHOOK_REJECTED');
      }
      throw new Error(message);
    },
  };
}
