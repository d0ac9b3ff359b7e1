// Delivers events to frameworks by webhook. At-least-once: every delivery carries an Idempotency-Key that stays the
// same across retries (and across continue-as-new), so a framework that honours it sees each effect once.
import { ApplicationFailure } from '@temporalio/activity';
import type { FrameworkNotice } from '../src/domain/framework';
import { toSchedulerEvent } from '../src/domain/scheduler-events';
import { IDEMPOTENCY_HEADER } from '../src/domain/scheduler-wire';
import { stringifyJson } from '../src/lib/json';
import type { ActivityDeps } from './deps';

export interface Delivery {
  frameworkId: string;
  notice: FrameworkNotice;
  idempotencyKey: string;
}

export type DeliveryOutcome = 'delivered' | 'no-webhook';

const WEBHOOK_TIMEOUT_MS = 10_000;

export function createNotifyActivities({ frameworks, fetch: fetchImpl = fetch }: ActivityDeps) {
  return {
    async deliverToFramework({ frameworkId, notice, idempotencyKey }: Delivery): Promise<DeliveryOutcome> {
      const subscription = await frameworks.lookup(frameworkId);
      // A framework that never subscribed, or subscribed without a webhook, pulls its events instead.
      if (!subscription?.webhookUrl) return 'no-webhook';
      const response = await fetchImpl(subscription.webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [IDEMPOTENCY_HEADER]: idempotencyKey },
        body: stringifyJson(toSchedulerEvent(frameworkId, notice)),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      if (response.ok) return 'delivered';
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
