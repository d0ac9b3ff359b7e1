// Native API: a machine by hostname or IP.
import { Router } from 'express';
import type { MachineService } from '../../service/machines';
import { ErrorCode, MaintError } from '../../domain/errors';
import type { Guard } from '../auth';
import { methodNotAllowed } from '../errors';
import { machineReportJson } from './representation';
import { MachineParams } from './schemas';

export function machineRoutes(machines: MachineService, guard: Guard): Router {
  const router = Router();
  router
    .route('/machines/:machine')
    .get(async (req, res) => {
      const { machine } = MachineParams.parse(req.params);
      if (!guard.may(req, 'get_maintenance_statuses')) {
        throw new MaintError(ErrorCode.NOT_FOUND, `machine ${machine} is unknown to the cluster and to every window`, 'machine');
      }
      res.json(machineReportJson(await machines.get(machine)));
    })
    .all(methodNotAllowed);
  return router;
}
