// Native API: a machine by hostname or IP.
import { Router } from 'express';
import type { MachineService } from '../../service/machines';
import { methodNotAllowed } from '../errors';
import { machineReportJson } from './representation';
import { MachineParams } from './schemas';

export function machineRoutes(machines: MachineService): Router {
  const router = Router();
  router
    .route('/machines/:machine')
    .get(async (req, res) => {
      res.json(machineReportJson(await machines.get(MachineParams.parse(req.params).machine)));
    })
    .all(methodNotAllowed);
  return router;
}
