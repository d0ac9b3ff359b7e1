// Native API: windows. Handlers parse with zod, call the service, reply; errors go to the one mapper.
import { Router, type Request, type Response } from 'express';
import { ErrorCode, MaintError } from '../../domain/errors';
import { DEFAULT_POLICY } from '../../domain/policy';
import type { WindowService } from '../../service/windows';
import type { Guard } from '../auth';
import { methodNotAllowed } from '../errors';
import { windowJson, windowSummaryJson } from './representation';
import { CreateWindowSchema, ExtendSchema, SelectionSchema, WindowListQuery, WindowParams } from './schemas';

export function windowRoutes(windows: WindowService, guard: Guard): Router {
  const router = Router();

  const create = async (req: Request, res: Response) => {
    const body = CreateWindowSchema.parse(req.body);
    guard.require(req, 'update_maintenance_schedules');
    const startMs = body.start ?? Date.now() + (body.drainWithin ?? 0);
    const { maxGracePeriod, ...policy } = body.policy;
    const detail = await windows.create(
      {
        machines: body.machines,
        unavailability: body.duration === undefined ? { startMs } : { startMs, durationMs: body.duration },
        deadlineMs: startMs,
        policy: { ...DEFAULT_POLICY, ...policy, ...(maxGracePeriod === undefined ? {} : { maxGracePeriodMs: maxGracePeriod }) },
      },
      guard.actor(req),
    );
    res.status(201).location(`/api/v1/windows/${detail.window.id}`).json(windowJson(detail));
  };

  const list = async (req: Request, res: Response) => {
    const { limit } = WindowListQuery.parse(req.query);
    // As Mesos' GET endpoints: what the principal may not see is left out, not refused.
    if (!guard.may(req, 'get_maintenance_schedules')) return void res.json({ windows: [] });
    res.json({ windows: (await windows.list(limit)).map(windowSummaryJson) });
  };

  const get = async (req: Request, res: Response) => {
    const { id } = WindowParams.parse(req.params);
    if (!guard.may(req, 'get_maintenance_schedules')) throw new MaintError(ErrorCode.NOT_FOUND, `window ${id} does not exist`);
    res.json(windowJson(await windows.get(id)));
  };

  const extend = async (req: Request, res: Response) => {
    const { id } = WindowParams.parse(req.params);
    const body = ExtendSchema.parse(req.body);
    guard.require(req, 'update_maintenance_schedules');
    const ext = body.by !== undefined ? { byMs: body.by } : { deadlineMs: body.deadline! };
    res.json(windowJson(await windows.extend(id, ext)));
  };

  const cancel = async (req: Request, res: Response) => {
    const { id } = WindowParams.parse(req.params);
    guard.require(req, 'update_maintenance_schedules');
    res.json(windowJson(await windows.cancel(id)));
  };

  const down = async (req: Request, res: Response) => {
    const { id } = WindowParams.parse(req.params);
    const selection = SelectionSchema.parse(req.body ?? {});
    guard.require(req, 'start_maintenances');
    res.json(windowJson(await windows.down(id, selection)));
  };

  const up = async (req: Request, res: Response) => {
    const { id } = WindowParams.parse(req.params);
    const selection = SelectionSchema.parse(req.body ?? {});
    guard.require(req, 'stop_maintenances');
    res.json(windowJson(await windows.up(id, selection)));
  };

  router.route('/windows').post(create).get(list).all(methodNotAllowed);
  router.route('/windows/:id').get(get).all(methodNotAllowed);
  router.route('/windows/:id/extend').post(extend).all(methodNotAllowed);
  router.route('/windows/:id/cancel').post(cancel).all(methodNotAllowed);
  router.route('/windows/:id/down').post(down).all(methodNotAllowed);
  router.route('/windows/:id/up').post(up).all(methodNotAllowed);
  return router;
}
