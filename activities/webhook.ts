// Delivers a framework's mailbox events to its webhook, in order, signed (src/lib/signature.ts). One call takes a batch
// of consecutive events; each event is rendered into its Mesos v1 scheduler events (its parts) and each part is one
// POST. At-least-once: every POST carries `Idempotency-Key: <framework id>/<seq>/<part>`, the same on every retry, and
// an attempt resumes after the last part the previous one heartbeated.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { toSchedulerEvents } from '../src/domain/scheduler-events';
import { EVENT_ID_HEADER, IDEMPOTENCY_HEADER, type SchedulerEvent } from '../src/domain/scheduler-wire';
import { stringifyJson } from '../src/lib/json';
import { unseal } from '../src/lib/sealed';
import { signatureHeaders } from '../src/lib/signature';
import type { MailboxEvent } from '../workflows/messages';
import { webhookFailureOf, type WebhookFailure, type WebhookMetrics } from '../src/observability/metrics';
import type { ActivityDeps } from './deps';
import { activityLogger, SILENT } from './logging';

export interface WebhookBatch {
  frameworkId: string;
  url: string;
  /** The framework's HMAC key, sealed with MAINT_SECRET_KEY; opened here only, never logged. */
  sealedSecret: string;
  partitionAware: boolean;
  /** Consecutive events, oldest first. Events sharing a seq (a resync) number their parts across them. */
  events: MailboxEvent[];
}

/** A POST the webhook refused for good (a 4xx other than 408 and 429): that part is skipped. */
export interface WebhookRejection {
  seq: number;
  part: number;
  status: number;
  text: string;
}

export interface WebhookOutcome {
  /** Every event up to this seq was delivered or rejected for good. */
  deliveredThrough: number;
  rejected: WebhookRejection[];
}

/** What an attempt heartbeats: the last part done, and what was rejected so far (reported at the end). */
interface Progress {
  seq: number;
  part: number;
  rejected: WebhookRejection[];
}

/** One POST's time limit; the activity heartbeats between POSTs, well within its 20 s heartbeat timeout. */
const POST_TIMEOUT_MS = 10_000;
const TEXT_LIMIT = 200;

export function createWebhookActivities({ secretKey, fetch: fetchImpl = fetch, logger = SILENT, webhookMetrics = UNCOUNTED }: ActivityDeps) {
  return {
    async deliverWebhook(batch: WebhookBatch): Promise<WebhookOutcome> {
      // Never the URL (it may carry a token) nor headers (the signature): the framework and where it lives.
      const log = activityLogger(logger, { frameworkId: batch.frameworkId }).child({ webhookHost: hostOf(batch.url) });
      const failed = (reason: WebhookFailure, fields: Record<string, unknown>, message: string) => {
        webhookMetrics.failed(batch.frameworkId, reason);
        log.warn({ reason, ...fields }, message);
      };
      let secret: string;
      try {
        secret = openSecret(secretKey, batch.sealedSecret);
      } catch (err) {
        failed('secret-unavailable', { error: (err as Error).message }, 'webhook: the secret cannot be opened, nothing is sent');
        throw err;
      }
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as Progress | undefined;
      const rejected = [...(resumed?.rejected ?? [])];
      for (const { seq, part, event } of parts(batch)) {
        if (resumed && (seq < resumed.seq || (seq === resumed.seq && part <= resumed.part))) continue;
        const body = stringifyJson(event);
        const response = await post(fetchImpl, ctx, batch.url, body, {
          'Content-Type': 'application/json',
          [IDEMPOTENCY_HEADER]: `${batch.frameworkId}/${seq}/${part}`,
          [EVENT_ID_HEADER]: String(seq),
          ...signatureHeaders(secret, body),
        }).catch((err: unknown) => {
          if (err instanceof ApplicationFailure && err.type === 'WEBHOOK_UNAVAILABLE') {
            const reason = err.details?.[0] === 'timeout' ? 'timeout' : 'network';
            failed(reason, { seq, part, error: err.message }, 'webhook unreachable; retrying');
          }
          throw err;
        });
        if (!response.ok) {
          const text = (await response.text().catch(() => '')).slice(0, TEXT_LIMIT);
          const retried = response.status < 400 || response.status >= 500 || response.status === 408 || response.status === 429;
          failed(webhookFailureOf(response.status), { seq, part, status: response.status, final: !retried }, retried
            ? 'webhook failed; retrying'
            : 'webhook refused the event for good; skipped');
          // 4xx other than timeouts and throttling will not get better by retrying: record it and go on.
          if (retried) {
            throw ApplicationFailure.retryable(
              `webhook of framework ${batch.frameworkId} answered ${response.status} to event ${seq}: ${text}`,
              'WEBHOOK_UNAVAILABLE',
            );
          }
          rejected.push({ seq, part, status: response.status, text });
        } else {
          webhookMetrics.delivered(batch.frameworkId);
          await response.body?.cancel(); // nothing to read; frees the connection
        }
        ctx.heartbeat({ seq, part, rejected: [...rejected] } satisfies Progress);
      }
      return { deliveredThrough: batch.events[batch.events.length - 1]?.seq ?? 0, rejected };
    },
  };
}

function openSecret(key: Buffer | undefined, sealed: string): string {
  if (!key) {
    throw ApplicationFailure.create({
      type: 'SECRET_KEY_MISSING',
      message: 'MAINT_SECRET_KEY is missing on the worker: webhook secrets cannot be opened, so no event can be signed',
      nonRetryable: true,
    });
  }
  try {
    return unseal(key, sealed);
  } catch (err) {
    throw ApplicationFailure.create({ type: 'SECRET_UNREADABLE', message: (err as Error).message, nonRetryable: true });
  }
}

/** Each event's parts, numbered per seq (events sharing a seq continue the numbering). */
function* parts(batch: WebhookBatch): Generator<{ seq: number; part: number; event: SchedulerEvent }> {
  let seq = Number.NaN;
  let part = 0;
  for (const e of batch.events) {
    if (e.seq !== seq) {
      seq = e.seq;
      part = 0;
    }
    // Rendered with the event's own time, so that every retry POSTs the same body under the same key.
    const options = { partitionAware: batch.partitionAware, atMs: e.atMs };
    for (const event of toSchedulerEvents(batch.frameworkId, e.notice, options)) {
      yield { seq, part: part++, event };
    }
  }
}

async function post(
  fetchImpl: typeof fetch,
  ctx: Context,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Response> {
  try {
    return await fetchImpl(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.any([AbortSignal.timeout(POST_TIMEOUT_MS), ctx.cancellationSignal]),
    });
  } catch (err) {
    ctx.cancellationSignal.throwIfAborted(); // cancelled (the mailbox moves on): say so, not "unreachable"
    // The message names the framework and the failure, never the headers (they carry the signature).
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    throw ApplicationFailure.retryable(`webhook unreachable: ${reason}`, 'WEBHOOK_UNAVAILABLE', timedOut ? 'timeout' : 'network');
  }
}

const UNCOUNTED: WebhookMetrics = { delivered: () => undefined, failed: () => undefined };

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unparsable URL';
  }
}
