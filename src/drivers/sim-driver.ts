// ClusterDriver over the simulated cluster's HTTP API (src/sim/server.ts), which runs as its own process.
//
// Errors are shaped for Temporal activities: a network failure, a timeout or a 5xx throws a plain Error (worth a
// retry); any other refusal throws an Error named ClusterRequestRejected, which a retry cannot fix.
import type {
  ClusterAgent,
  ClusterDriver,
  ClusterMachine,
  DrainAgentRequest,
  KillRequest,
  KillResult,
} from './cluster-driver';
import { machineJson, type MachineId } from '../domain/machine';
import { parseJson, stringifyJson } from '../lib/json';

/** The `name` of the Error thrown when the sim refuses a request (4xx): activities make it non-retryable. */
export const CLUSTER_REQUEST_REJECTED = 'ClusterRequestRejected';

const TIMEOUT_MS = 10_000;

export class SimDriver implements ClusterDriver {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async describeMachine(machine: MachineId): Promise<ClusterMachine | undefined> {
    const answer = await this.request('GET', `/machines/${machinePath(machine)}`);
    return answer.status === 404 ? undefined : (bodyOf(answer) as ClusterMachine);
  }

  async listMachines(): Promise<ClusterMachine[]> {
    return bodyOf(await this.request('GET', '/machines')) as ClusterMachine[];
  }

  async killTasks(request: KillRequest): Promise<KillResult> {
    const body = { maxGracePeriodMs: request.maxGracePeriodMs, idempotencyKey: request.idempotencyKey };
    return bodyOf(await this.request('POST', `/machines/${machinePath(request.machine)}/kill`, body)) as KillResult;
  }

  async downMachine(machine: MachineId, idempotencyKey: string): Promise<void> {
    bodyOf(await this.request('POST', `/machines/${machinePath(machine)}/down`, { idempotencyKey }));
  }

  async upMachine(machine: MachineId, idempotencyKey: string): Promise<void> {
    bodyOf(await this.request('POST', `/machines/${machinePath(machine)}/up`, { idempotencyKey }));
  }

  async listAgents(): Promise<ClusterAgent[]> {
    return bodyOf(await this.request('GET', '/agents')) as ClusterAgent[];
  }

  async describeAgent(agentId: string): Promise<ClusterAgent | undefined> {
    const answer = await this.request('GET', `/agents/${agentPath(agentId)}`);
    return answer.status === 404 ? undefined : (bodyOf(answer) as ClusterAgent);
  }

  async deactivateAgent(agentId: string, idempotencyKey: string): Promise<void> {
    bodyOf(await this.request('POST', `/agents/${agentPath(agentId)}/deactivate`, { idempotencyKey }));
  }

  async reactivateAgent(agentId: string, idempotencyKey: string): Promise<void> {
    bodyOf(await this.request('POST', `/agents/${agentPath(agentId)}/reactivate`, { idempotencyKey }));
  }

  async drainAgent(request: DrainAgentRequest): Promise<KillResult> {
    const body = { maxGracePeriodMs: request.maxGracePeriodMs, idempotencyKey: request.idempotencyKey };
    return bodyOf(await this.request('POST', `/agents/${agentPath(request.agentId)}/drain`, body)) as KillResult;
  }

  async markAgentGone(agentId: string, idempotencyKey: string): Promise<void> {
    bodyOf(await this.request('POST', `/agents/${agentPath(agentId)}/gone`, { idempotencyKey }));
  }

  private async request(method: 'GET' | 'POST', path: string, body?: object): Promise<Answer> {
    const label = `${method} ${this.baseUrl}${path}`;
    let response: globalThis.Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : stringifyJson(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      text = await response.text();
    } catch (err) {
      throw new Error(`simulated cluster unreachable (${label}): ${(err as Error).message}`, { cause: err });
    }
    return { label, status: response.status, text };
  }
}

interface Answer {
  label: string;
  status: number;
  text: string;
}

/** The parsed body of a 2xx answer; otherwise throws (see the file comment for which error). */
function bodyOf(answer: Answer): unknown {
  if (answer.status >= 200 && answer.status < 300) return parseJson(answer.text);
  const message = `simulated cluster answered ${answer.status} to ${answer.label}: ${answer.text}`;
  throw answer.status >= 500 ? new Error(message) : rejected(message);
}

/** The sim finds a machine by hostname or by ip: the hostname when present. */
function machinePath(machine: MachineId): string {
  const name = machine.hostname || machine.ip;
  if (!name) throw rejected(`machine ${machineJson(machine)} has neither hostname nor ip`);
  return encodeURIComponent(name);
}

function agentPath(agentId: string): string {
  if (!agentId) throw rejected('agentId is empty');
  return encodeURIComponent(agentId);
}

function rejected(message: string): Error {
  const error = new Error(message);
  error.name = CLUSTER_REQUEST_REJECTED;
  return error;
}
