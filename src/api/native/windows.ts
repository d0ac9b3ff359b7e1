// Native API: windows. Handlers parse with zod, call the service, reply; errors go to the one mapper.
import { Router } from 'express';
import { z } from 'zod';
import { DEFAULT_POLICY } from '../../domain/policy';
import type { WindowService } from '../../service/windows';
import { windowJson, windowSummaryJson } from './representation';
import { CreateWindowSchema, ExtendSchema, SelectionSchema, WindowParams } from './schemas';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100) });

export function windowRoutes(windows: WindowService, principalOf: (req: unknown) => string): Router {
  const router = Router();

  router.post('/windows', async (req, res) => {
    const body = CreateWindowSchema.parse(req.body);
    const now = Date.now();
    const startMs = body.start ?? now + (body.drainWithin ?? 0);
    const { maxGracePeriod, ...policy } = body.policy;
    const detail = await windows.create(
      {
        machines: body.machines,
        unavailability: body.duration === undefined ? { startMs } : { startMs, durationMs: body.duration },
        deadlineMs: startMs,
        policy: { ...DEFAULT_POLICY, ...policy, ...(maxGracePeriod === undefined ? {} : { maxGracePeriodMs: maxGracePeriod }) },
      },
      principalOf(req),
    );
    res.status(201).location(`/api/v1/windows/${detail.window.id}`).json(windowJson(detail));
  });

  router.get('/windows', async (req, res) => {
    const { limit } = ListQuery.parse(req.query);
    res.json({ windows: (await windows.list(limit)).map(windowSummaryJson) });
  });

  router.get('/windows/:id', async (req, res) => {
    res.json(windowJson(await windows.get(WindowParams.parse(req.params).id)));
  });

  router.post('/windows/:id/extend', async (req, res) => {
    const id = WindowParams.parse(req.params).id;
    const body = ExtendSchema.parse(req.body);
    const ext = body.by !== undefined ? { byMs: body.by } : { deadlineMs: body.deadline! };
    res.json(windowJson(await windows.extend(id, ext)));
  });

  router.post('/windows/:id/cancel', async (req, res) => {
    res.json(windowJson(await windows.cancel(WindowParams.parse(req.params).id)));
  });

  router.post('/windows/:id/down', async (req, res) => {
    const id = WindowParams.parse(req.params).id;
    res.json(windowJson(await windows.down(id, SelectionSchema.parse(req.body ?? {}))));
  });

  router.post('/windows/:id/up', async (req, res) => {
    const id = WindowParams.parse(req.params).id;
    res.json(windowJson(await windows.up(id, SelectionSchema.parse(req.body ?? {}))));
  });

  return router;
}
