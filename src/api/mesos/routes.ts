// Mesos' maintenance endpoints, to the letter: /master/maintenance/schedule (GET, POST), /master/maintenance/status
// (GET), /master/machine/down and /master/machine/up (POST), each also without the /master prefix.
// Order as in Mesos: authenticate (401, before the body) → method (405) → parse and validate (400) → authorise (403)
// → apply. A denied GET answers what the principal may see.
import { Router, type Request } from 'express';
import type { MachineId } from '../../domain/machine';
import { fromNanos } from '../../domain/unavailability';
import type { MaintenanceService, MesosWindow } from '../../service/maintenance';
import { parseMachineList, parseSchedule, type Schedule } from '../../mesos/messages';
import { machineListError, scheduleError } from '../../mesos/rules';
import type { Guard } from '../auth';
import { badRequest, bodyText, onlyMethods, rawBody, sendJson, sendOk } from './http';
import { clusterStatusJson, scheduleJson } from './representation';

const both = (path: string) => [`/master${path}`, path];

export function mesosRoutes(ops: MesosOperations, guard: Guard): Router {
  const router = Router();

  router.all(both('/maintenance/schedule'), guard.authenticate, onlyMethods('GET', 'POST'), rawBody, async (req, res) => {
    if (req.method === 'POST') {
      await ops.updateSchedule(req, bodyText(req.body));
      return sendOk(res);
    }
    sendJson(res, await ops.schedule(req));
  });

  router.all(both('/maintenance/status'), guard.authenticate, onlyMethods('GET'), async (req, res) => {
    sendJson(res, await ops.status(req));
  });

  router.all(both('/machine/down'), guard.authenticate, onlyMethods('POST'), rawBody, async (req, res) => {
    await ops.down(req, machineList(bodyText(req.body)));
    sendOk(res);
  });

  router.all(both('/machine/up'), guard.authenticate, onlyMethods('POST'), rawBody, async (req, res) => {
    await ops.up(req, machineList(bodyText(req.body)));
    sendOk(res);
  });

  return router;
}

/** The Mesos operations both surfaces share (these endpoints and the v1 operator API), after parsing. */
export class MesosOperations {
  constructor(
    private readonly svc: MaintenanceService,
    private readonly guard: Guard,
  ) {}

  async schedule(req: Request): Promise<object> {
    if (!this.guard.may(req, 'get_maintenance_schedules')) return {};
    return scheduleJson(await this.svc.view());
  }

  async status(req: Request): Promise<object> {
    if (!this.guard.may(req, 'get_maintenance_statuses')) return {};
    return clusterStatusJson(await this.svc.status());
  }

  async updateSchedule(req: Request, text: string): Promise<void> {
    const parsed = parseSchedule(text);
    if (!parsed.ok) throw badRequest(parsed.error);
    await this.applySchedule(req, parsed.value);
  }

  async applySchedule(req: Request, schedule: Schedule): Promise<void> {
    const error = scheduleError(schedule);
    if (error) throw badRequest(error);
    const windows: MesosWindow[] = schedule.windows.map((w) => ({
      machines: w.machine_ids,
      unavailability: fromNanos({
        start: w.unavailability.start.nanoseconds,
        ...(w.unavailability.duration ? { duration: w.unavailability.duration.nanoseconds } : {}),
      }),
    }));
    // A schedule naming no machine needs no permission (Mesos authorises per machine).
    const denied = windows.some((w) => w.machines.length > 0) && !this.guard.may(req, 'update_maintenance_schedules');
    await this.svc.update(windows, this.guard.actor(req), denied);
  }

  async down(req: Request, machines: MachineId[]): Promise<void> {
    checkList(machines);
    await this.svc.down(machines, !this.guard.may(req, 'start_maintenances'));
  }

  async up(req: Request, machines: MachineId[]): Promise<void> {
    checkList(machines);
    await this.svc.up(machines, !this.guard.may(req, 'stop_maintenances'));
  }
}

function machineList(text: string): MachineId[] {
  const parsed = parseMachineList(text);
  if (!parsed.ok) throw badRequest(parsed.error);
  return parsed.value;
}

function checkList(machines: MachineId[]): void {
  const error = machineListError(machines);
  if (error) throw badRequest(error);
}
