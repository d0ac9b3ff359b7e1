import type { ClusterDriver } from '../src/drivers/cluster-driver';
import type { FrameworkSubscription } from '../src/domain/framework';
import type { Logger } from 'pino';
import type { WebhookMetrics } from '../src/observability/metrics';

/** Where a framework's events go; backed by the framework registry workflow in production. */
export interface FrameworkDirectory {
  lookup(frameworkId: string): Promise<FrameworkSubscription | undefined>;
  /** The frameworks subscribed with a disruption budget; undefined when the registry cannot tell right now. */
  withBudgets(): Promise<ReadonlySet<string> | undefined>;
}

export interface ActivityDeps {
  driver: ClusterDriver;
  frameworks: FrameworkDirectory;
  /** How often a hard drain looks whether the machine is empty yet. */
  drainPollMs?: number;
  fetch?: typeof fetch;
  /** MAINT_SECRET_KEY: opens the webhook secrets mailboxes hold sealed. Without it no webhook can be signed. */
  secretKey?: Buffer;
  /** The worker's logger; activities log through children of it naming workflow, window and machine. */
  logger?: Logger;
  /** Counts webhook POSTs delivered and failed (maint_webhook_*); absent: not counted. */
  webhookMetrics?: WebhookMetrics;
}
