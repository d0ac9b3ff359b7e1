// GET /healthz: 200 only when Temporal answers and a worker polls maint's task queue.
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { methodNotAllowed } from './errors';

/** A poller seen within this long counts as alive (workers long-poll for about a minute). */
const POLLER_FRESH_MS = 90_000;

export async function checkHealth(client: Client, taskQueue: string) {
  try {
    const described = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    const now = Date.now();
    const fresh = (described.pollers ?? []).filter((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      return now - seconds * 1000 < POLLER_FRESH_MS;
    });
    return fresh.length > 0
      ? { ok: true, temporal: 'reachable', workers: fresh.length }
      : { ok: false, temporal: 'reachable', workers: 0, message: `no worker polls task queue ${taskQueue}` };
  } catch (err) {
    return { ok: false, temporal: 'unreachable', message: (err as Error).message };
  }
}

export function healthRoutes(client: Client, taskQueue: string): Router {
  const router = Router();
  router
    .route('/healthz')
    .get(async (_req, res) => {
      const health = await checkHealth(client, taskQueue);
      res.status(health.ok ? 200 : 503).json(health);
    })
    // Another method is a 405 as on every other known path (it was a 404 "no route"; the OpenAPI document showed it).
    .all(methodNotAllowed);
  return router;
}
