// Mesos' v1 operator API (POST /api/v1), for the maintenance and agent-draining calls. As in Mesos' master:
// authenticate (401) → method (405) → Content-Type (400/415) → parse (400 "Failed to parse body into JSON: …",
// "Failed to convert JSON into Call protobuf: …") → validate (400 "Failed to validate master::Call: …") → Accept (406)
// → the call. Mutations answer 200 with an empty body (Mesos' code and tests, not its docs' 202).
import { Router, type Request, type Response } from 'express';
import type { AgentMaintenance } from '../../domain/agent';
import { ErrorCode, MaintError } from '../../domain/errors';
import { msToNanos } from '../../domain/time';
import type { ClusterAgent, Resource } from '../../drivers/cluster-driver';
import type { AgentService } from '../../service/agents';
import { CALL_VALIDATION_ERROR_PREFIX, durationToNanos, isImplementedCallType, parseMasterCall, validateMasterCall, type MasterCall } from '../../mesos/messages';
import type { Guard } from '../auth';
import { MesosError, badRequest, bodyText, onlyMethods, rawBody, sendJson, sendOk } from './http';
import type { MesosOperations } from './routes';

const JSON_TYPE = 'application/json';

export function operatorApiRoutes(ops: MesosOperations, agents: AgentService, guard: Guard): Router {
  const router = Router();
  router.all('/api/v1', guard.authenticate, onlyMethods('POST'), rawBody, async (req, res) => {
    const call = readCall(req);
    if (!req.accepts(JSON_TYPE)) {
      // maint answers JSON only (no protobuf).
      throw new MesosError(406, `Expecting 'Accept' to allow '${JSON_TYPE}'`);
    }
    await dispatch(call, req, res, ops, agents, guard);
  });
  return router;
}

function readCall(req: Request): MasterCall {
  const contentType = req.headers['content-type'];
  if (contentType === undefined) throw badRequest("Expecting 'Content-Type' to be present");
  // Mesos compares the whole header: parameters ("; charset=utf-8") make it another type.
  if (contentType !== JSON_TYPE) throw new MesosError(415, `Expecting 'Content-Type' of ${JSON_TYPE}`);
  const parsed = parseMasterCall(bodyText(req.body));
  if (!parsed.ok) throw badRequest(parsed.error); // already worded as Mesos words it, with its prefix
  const invalid = validateMasterCall(parsed.value);
  if (invalid) throw badRequest(CALL_VALIDATION_ERROR_PREFIX + invalid);
  return parsed.value;
}

async function dispatch(
  call: MasterCall,
  req: Request,
  res: Response,
  ops: MesosOperations,
  agents: AgentService,
  guard: Guard,
): Promise<void> {
  if (!call.type || !isImplementedCallType(call.type)) {
    throw new MesosError(501, call.type && call.type !== 'UNKNOWN' ? `maint does not implement ${call.type}` : '');
  }
  switch (call.type) {
    case 'GET_MAINTENANCE_SCHEDULE':
      return sendJson(res, {
        type: 'GET_MAINTENANCE_SCHEDULE',
        get_maintenance_schedule: { schedule: await ops.schedule(req) },
      });
    case 'UPDATE_MAINTENANCE_SCHEDULE':
      await ops.applySchedule(req, call.update_maintenance_schedule!.schedule);
      return sendOk(res);
    case 'GET_MAINTENANCE_STATUS':
      return sendJson(res, { type: 'GET_MAINTENANCE_STATUS', get_maintenance_status: { status: await ops.status(req) } });
    case 'START_MAINTENANCE':
      await ops.down(req, call.start_maintenance!.machines);
      return sendOk(res);
    case 'STOP_MAINTENANCE':
      await ops.up(req, call.stop_maintenance!.machines);
      return sendOk(res);
    case 'GET_AGENTS': {
      const list = await agents.list();
      return sendJson(res, {
        type: 'GET_AGENTS',
        get_agents: list.length ? { agents: list.map((a) => agentJson(a.agent, a.maintenance)) } : {},
      });
    }
    case 'DRAIN_AGENT': {
      const d = call.drain_agent!;
      const grace = d.max_grace_period;
      const may = { drain: guard.may(req, 'drain_agents'), markGone: guard.may(req, 'mark_agents_gone') };
      if (d.agent_id.value === '') return unknownEmptyAgent(may.drain && (!d.mark_gone || may.markGone));
      await agents.drain(
        d.agent_id.value,
        {
          markGone: d.mark_gone ?? false,
          ...(grace ? { maxGracePeriodNs: durationToNanos(grace).toString() } : {}),
        },
        may,
      );
      return sendOk(res);
    }
    case 'DEACTIVATE_AGENT': {
      const agentId = call.deactivate_agent!.agent_id.value;
      const allowed = guard.may(req, 'deactivate_agents');
      if (agentId === '') return unknownEmptyAgent(allowed);
      await agents.deactivate(agentId, allowed);
      return sendOk(res);
    }
    case 'REACTIVATE_AGENT':
      await agents.reactivate(call.reactivate_agent!.agent_id.value, guard.may(req, 'reactivate_agents'));
      return sendOk(res);
  }
}

/**
 * An empty agent id names no agent: Mesos' "Unknown agent", after the permission check as AgentService orders them.
 * Answered here because the cluster driver takes an empty id for a malformed request to the cluster, which the
 * service reports as the cluster unreachable (a 503 for the operator's own mistake).
 */
function unknownEmptyAgent(allowed: boolean): never {
  if (!allowed) throw new MaintError(ErrorCode.FORBIDDEN, 'Forbidden');
  throw new MaintError(ErrorCode.INVALID, 'Unknown agent');
}

const CAPABILITIES = ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'RESOURCE_PROVIDER', 'RESIZE_VOLUME', 'AGENT_OPERATION_FEEDBACK', 'AGENT_DRAINING'];

/** mesos.v1.master.Response.GetAgents.Agent */
function agentJson(agent: ClusterAgent, m: AgentMaintenance | undefined): object {
  const deactivated = m?.deactivated ?? agent.deactivated;
  const allocated = sumResources(agent.tasks.flatMap((t) => t.resources));
  return {
    agent_info: {
      hostname: agent.machine.hostname,
      id: { value: agent.agentId },
      port: 5051,
      resources: agent.resources.map(resourceJson),
    },
    active: !deactivated && !agent.down,
    deactivated,
    version: '1.9.0',
    pid: `slave(1)@${agent.machine.ip}:5051`,
    registered_time: { nanoseconds: msToNanos(agent.registeredAtMs) },
    total_resources: agent.resources.map(resourceJson),
    ...(allocated.length ? { allocated_resources: allocated.map(resourceJson) } : {}),
    capabilities: CAPABILITIES.map((type) => ({ type })),
    ...(m?.drain
      ? {
          drain_info: {
            state: m.drain.state,
            config: {
              mark_gone: m.drain.config.markGone,
              ...(m.drain.config.maxGracePeriodNs === undefined
                ? {}
                : { max_grace_period: { nanoseconds: BigInt(m.drain.config.maxGracePeriodNs) } }),
            },
          },
        }
      : {}),
    ...(m?.drain && m.estimatedDrainStartMs !== undefined
      ? { estimated_drain_start_time: { nanoseconds: msToNanos(m.estimatedDrainStartMs) } }
      : {}),
  };
}

function resourceJson(r: Resource): object {
  return { name: r.name, type: 'SCALAR', scalar: { value: r.scalar } };
}

function sumResources(list: Resource[]): Resource[] {
  const sums = new Map<string, number>();
  for (const r of list) sums.set(r.name, (sums.get(r.name) ?? 0) + r.scalar);
  return [...sums].map(([name, scalar]) => ({ name, scalar }));
}
