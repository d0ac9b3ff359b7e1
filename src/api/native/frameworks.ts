// Operator view of the frameworks: who subscribed, how maint reaches them, and how much of each one's disruption
// budget is in use. Secrets never appear: the registry holds none, and webhook URLs lose their credentials.
import { Router } from 'express';
import type { FrameworkSubscription } from '../../domain/framework';
import type { FrameworkService } from '../../service/frameworks';
import type { BudgetUse } from '../../../workflows/messages';
import { methodNotAllowed } from '../errors';

export function frameworkRoutes(frameworks: FrameworkService): Router {
  const router = Router();
  router
    .route('/frameworks')
    .get(async (_req, res) => {
      const [subscriptions, budgets] = await Promise.all([frameworks.list(), frameworks.budgets()]);
      const use = new Map(budgets.map((b) => [b.frameworkId, b]));
      res.json({ frameworks: subscriptions.map((s) => frameworkJson(s, use.get(s.frameworkId))) });
    })
    .all(methodNotAllowed);
  return router;
}

export function frameworkJson(s: FrameworkSubscription, use: BudgetUse | undefined) {
  return {
    id: s.frameworkId,
    name: s.name,
    ...(s.principal === undefined ? {} : { principal: s.principal }),
    delivery: s.webhookUrl === undefined ? 'pull or stream' : 'webhook',
    ...(s.webhookUrl === undefined ? {} : { webhookUrl: redactedUrl(s.webhookUrl) }),
    partitionAware: s.partitionAware === true,
    subscribedAt: new Date(s.subscribedAtMs).toISOString(),
    ...(s.budget === undefined
      ? {}
      : {
          budget: {
            ...s.budget,
            tasksKilled: use?.tasksKilled ?? 0,
            machinesDown: use?.machinesDown ?? [],
            waiting: use?.waiting ?? [],
          },
        }),
  };
}

/**
 * A webhook URL without what may be a credential: user info and the query string (tokens often travel there)
 * become ***.
 * The framework knows its own URL; operators need to see where deliveries go, not how they are authorised.
 */
export function redactedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '***';
  }
  const userinfo = url.username !== '' || url.password !== '' ? '***@' : '';
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${url.search === '' ? '' : '?***'}`;
}
