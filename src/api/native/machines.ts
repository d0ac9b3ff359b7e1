// Native API: a machine by hostname or IP.
import { Router } from 'express';
import type { MachineService } from '../../service/machines';
import { machineReportJson } from './representation';
import { MachineParams } from './schemas';

export function machineRoutes(machines: MachineService): Router {
  return Router().get('/machines/:machine', async (req, res) => {
    res.json(machineReportJson(await machines.get(MachineParams.parse(req.params).machine)));
  });
}
