// Native API: a machine by hostname or IP.
import { Router } from 'express';
import { z } from 'zod';
import type { MachineService } from '../../service/machines';
import { machineReportJson } from './representation';

const MachineRef = z.string().min(1).max(255);

export function machineRoutes(machines: MachineService): Router {
  return Router().get('/machines/:machine', async (req, res) => {
    res.json(machineReportJson(await machines.get(MachineRef.parse(req.params.machine))));
  });
}
