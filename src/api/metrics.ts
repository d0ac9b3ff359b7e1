// GET /metrics: Prometheus' text format, open like /healthz (counts and framework ids, never a secret or a URL).
import { Router } from 'express';
import type { Registry } from 'prom-client';
import { methodNotAllowed } from './errors';

export const METRICS_PATH = '/metrics';

export function metricsRoutes(registry: Registry): Router {
  const router = Router();
  router
    .route(METRICS_PATH)
    // The fleet gauges read Temporal and leave their series out when it is away: this answers 200 either way.
    .get(async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()))
    .all(methodNotAllowed);
  return router;
}
