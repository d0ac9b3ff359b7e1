// The simulated cluster's state and rules: machines, one agent each, and the tasks frameworks run on them. No HTTP
// here (server.ts serves it), and time comes from an injectable Clock so tests can drive grace periods by hand.
//
// The rules a real cluster enforces and maint relies on:
// - a task is killed at most once: a task already KILLING or gone is never killed again, whatever the key;
// - an idempotency key names a kill request: asking again with it returns what it killed (plus any RUNNING task that
//   appeared since), so a retried hard drain is safe;
// - a DOWN machine runs nothing and takes no launch; the tasks still RUNNING when it goes down are lost;
// - a deactivated agent takes no launch, and its running tasks keep running; draining an agent deactivates it and
//   kills its RUNNING tasks under the same at-most-once rule as a hard drain;
// - a gone agent is removed for good: the tasks still RUNNING there are lost, it takes no launch and cannot be
//   reactivated (it stays deactivated), whatever happens to its machine.
import type {
  ClusterAgent,
  ClusterMachine,
  ClusterTask,
  DrainAgentRequest,
  KillRequest,
  KillResult,
  Resource,
} from '../drivers/cluster-driver';
import { ErrorCode, MaintError } from '../domain/errors';
import type { MachineId } from '../domain/machine';
import { killGracePeriodMs } from '../domain/policy';

/** Time as the fleet sees it. The default is the real clock; tests pass a manual one. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
}

const realClock: Clock = {
  now: () => Date.now(),
  // unref: a pending kill must not keep a test process (or a closing sim) alive.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
};

/** What a framework asks to run. Missing fields take the fleet's defaults. */
export interface TaskSpec {
  frameworkId: string;
  name?: string;
  gracePeriodMs?: number;
  volumes?: string[];
  resources?: Resource[];
}

/** A machine as a layout function sees it; index is 1-based. */
export interface LayoutMachine {
  index: number;
  hostname: string;
  ip: string;
}

/**
 * The tasks running when the fleet starts: a function giving each machine its tasks, or an explicit list naming the
 * machine of each task (hostname or ip).
 */
export type Layout = ((machine: LayoutMachine) => TaskSpec[]) | (TaskSpec & { machine: string })[];

/** A machine named by hostname (any case) or ip, or by a MachineId whose present parts must all match. */
export type MachineRef = string | MachineId;

export interface FleetOptions {
  /** How many machines; default 20. */
  machines?: number;
  /** Grace period of a task that does not name one; default 1000 ms. */
  taskGracePeriodMs?: number;
  layout?: Layout;
  clock?: Clock;
}

/** One task maint killed: by a hard drain of the machine (killTasks) or a drain of its agent (drainAgent). */
export interface KillRecord {
  taskId: string;
  frameworkId: string;
  hostname: string;
  at: string;
  idempotencyKey: string;
  gracePeriodMs: number;
  reason: 'hard-drain' | 'drain';
}

/** A task that was still RUNNING when its machine went down or its agent was marked gone. */
export interface LostTask {
  taskId: string;
  frameworkId: string;
  hostname: string;
  at: string;
  cause: 'down' | 'gone';
}

/** An agent request, kept so a test can see which keys reached the cluster and whether they changed anything. */
export interface AgentRecord {
  hostname: string;
  agentId: string;
  action: 'down' | 'up' | 'deactivate' | 'reactivate' | 'drain' | 'gone';
  idempotencyKey: string;
  at: string;
  /** For a drain: it deactivated the agent or killed a task. */
  changed: boolean;
}

/** A task with the hostname of its machine, for listings. */
export type PlacedTask = ClusterTask & { hostname: string };

export interface FleetStats {
  machines: number;
  downMachines: number;
  /** Agents that take no new tasks, gone ones included. */
  deactivatedAgents: number;
  goneAgents: number;
  tasks: number;
  /** Kills by maint per task id; never above 1 (the at-most-once rule), kept as a count so a test can assert it. */
  kills: Record<string, number>;
  lost: LostTask[];
  /** Tasks launched after the initial layout (a mover's relaunches, tests' POST /tasks). */
  launches: number;
  killLog: KillRecord[];
  agentLog: AgentRecord[];
}

interface SimMachine {
  id: { hostname: string; ip: string };
  agentId: string;
  down: boolean;
  deactivated: boolean;
  gone: boolean;
  registeredAtMs: number;
  tasks: Map<string, ClusterTask>;
}

const DEFAULT_MACHINES = 20;
const DEFAULT_GRACE_MS = 1000;
const DEFAULT_RESOURCES: Resource[] = [
  { name: 'cpus', scalar: 0.5 },
  { name: 'mem', scalar: 256 },
];
/** Every agent's total resources (the sim does not schedule by resources). */
const AGENT_RESOURCES: Resource[] = [
  { name: 'cpus', scalar: 8 },
  { name: 'mem', scalar: 32768 },
  { name: 'disk', scalar: 100000 },
];

/**
 * The default layout: machine i runs one `mover` task; even machines also one `decliner` task, which holds a
 * persistent volume (the kind of framework that would rather wait a reboot out than move); every third machine also
 * one `silent` task.
 */
export function defaultLayout(machine: LayoutMachine): TaskSpec[] {
  const tasks: TaskSpec[] = [{ frameworkId: 'mover' }];
  if (machine.index % 2 === 0) tasks.push({ frameworkId: 'decliner', volumes: [`${machine.hostname}/decliner-data`] });
  if (machine.index % 3 === 0) tasks.push({ frameworkId: 'silent' });
  return tasks;
}

/**
 * The ip of machine `index` (1-based): 192.0.2.1 to 192.0.2.254 (TEST-NET-1, documentation addresses), then, for
 * larger fleets, the shared address space 100.64.0.0/10 (RFC 6598), which no test machine's own network uses:
 * 100.64.0.1 .. 100.64.0.254, 100.64.1.1 .. and so on, skipping .0 and .255.
 */
export function simIp(index: number): string {
  if (index <= 254) return `192.0.2.${index}`;
  const n = index - 255;
  const last = (n % 254) + 1;
  const block = Math.floor(n / 254);
  const second = 64 + Math.floor(block / 256);
  if (second > 127) throw new RangeError(`no simulated ip for machine ${index}: 100.64.0.0/10 is exhausted`);
  return `100.${second}.${block % 256}.${last}`;
}

export class Fleet {
  private readonly machineList: SimMachine[] = [];
  private readonly clock: Clock;
  private readonly defaultGraceMs: number;
  /** Per framework and machine, the last task number used: ids are never reused. */
  private readonly taskNumbers = new Map<string, number>();
  private readonly killsByKey = new Map<string, KillResult['killed']>();
  /** Drain requests by key: the agent each key drained, and what it killed. */
  private readonly drainsByKey = new Map<string, { agentId: string; killed: KillResult['killed'] }>();
  private readonly kills = new Map<string, number>();
  private readonly killLog: KillRecord[] = [];
  private readonly lost: LostTask[] = [];
  private readonly agentLog: AgentRecord[] = [];
  private launches = 0;

  constructor(options: FleetOptions = {}) {
    const count = options.machines ?? DEFAULT_MACHINES;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`machines must be a positive integer, not ${count}`);
    }
    this.clock = options.clock ?? realClock;
    this.defaultGraceMs = options.taskGracePeriodMs ?? DEFAULT_GRACE_MS;
    checkGrace(this.defaultGraceMs, 'taskGracePeriodMs');

    const width = Math.max(2, String(count).length);
    for (let index = 1; index <= count; index++) {
      const hostname = `sim-${String(index).padStart(width, '0')}`;
      const id = { hostname, ip: simIp(index) };
      this.machineList.push({
        id,
        agentId: `agent-${hostname}`,
        down: false,
        deactivated: false,
        gone: false,
        registeredAtMs: this.clock.now(),
        tasks: new Map(),
      });
    }
    this.placeInitialTasks(options.layout ?? defaultLayout);
  }

  machines(): ClusterMachine[] {
    return this.machineList.map(view);
  }

  /** The machine, or a NOT_FOUND error. */
  describe(ref: MachineRef): ClusterMachine {
    return view(this.find(ref));
  }

  /** The machine running an agent, or undefined (frameworks know machines by the agent ids in inverse offers). */
  machineOfAgent(agentId: string): ClusterMachine | undefined {
    const machine = this.machineList.find((m) => m.agentId === agentId);
    return machine && view(machine);
  }

  tasks(frameworkId?: string): PlacedTask[] {
    return this.machineList.flatMap((m) =>
      [...m.tasks.values()]
        .filter((t) => frameworkId === undefined || t.frameworkId === frameworkId)
        .map((t) => ({ ...copyTask(t), hostname: m.id.hostname })),
    );
  }

  /**
   * A framework starts a task. Refused on an unknown machine (NOT_FOUND), and on a down machine or an agent that is
   * deactivated or gone (CONFLICT).
   */
  launchTask(request: TaskSpec & { machine: MachineRef }): PlacedTask {
    const task = this.place(this.find(request.machine), request);
    this.launches++;
    return task;
  }

  /** A framework stops its own task, e.g. once it runs elsewhere. Not a kill by maint: kills are not counted. */
  frameworkKill(frameworkId: string, taskId: string): void {
    const machine = this.machineList.find((m) => m.tasks.get(taskId)?.frameworkId === frameworkId);
    if (!machine) throw new MaintError(ErrorCode.NOT_FOUND, `framework ${frameworkId} has no task ${taskId}`, 'taskId');
    machine.tasks.delete(taskId);
  }

  /**
   * maint's hard drain: every RUNNING task on the machine goes KILLING and is gone after min(its grace period,
   * maxGracePeriodMs). Returns every task killed under this key, on any call.
   */
  killTasks(request: Omit<KillRequest, 'machine'> & { machine: MachineRef }): KillResult {
    if (!request.idempotencyKey) {
      throw new MaintError(ErrorCode.INVALID, 'idempotencyKey is required', 'idempotencyKey');
    }
    if (request.maxGracePeriodMs !== undefined) checkGrace(request.maxGracePeriodMs, 'maxGracePeriodMs');
    const machine = this.find(request.machine);
    const killed = this.killsByKey.get(request.idempotencyKey) ?? [];
    this.killsByKey.set(request.idempotencyKey, killed);
    this.killRunning(machine, request, 'hard-drain', killed);
    return { killed: killed.map((k) => ({ ...k })) };
  }

  /**
   * Shuts the machine's agent down. RUNNING tasks are lost; KILLING tasks end now, their kill already counted.
   * Idempotent: a machine already down stays so.
   */
  downMachine(ref: MachineRef, idempotencyKey: string): void {
    const machine = this.find(ref);
    this.logAgent(machine, 'down', idempotencyKey, !machine.down);
    this.endTasks(machine, 'down');
    machine.down = true;
  }

  /**
   * Lets the machine's agent back (it registers again: registeredAtMs moves, unless it is gone); it takes launches
   * again unless the agent is deactivated or gone. Idempotent.
   */
  upMachine(ref: MachineRef, idempotencyKey: string): void {
    const machine = this.find(ref);
    this.logAgent(machine, 'up', idempotencyKey, machine.down);
    if (machine.down && !machine.gone) machine.registeredAtMs = this.clock.now();
    machine.down = false;
  }

  /** Every agent, in fleet order, gone ones included. */
  agents(): ClusterAgent[] {
    return this.machineList.map(agentView);
  }

  /** The agent, or a NOT_FOUND error. */
  describeAgent(agentId: string): ClusterAgent {
    return agentView(this.findAgent(agentId));
  }

  /** The agent takes no new tasks; its running tasks keep running. Idempotent (a gone agent stays as it is). */
  deactivateAgent(agentId: string, idempotencyKey: string): void {
    const machine = this.findAgent(agentId);
    this.logAgent(machine, 'deactivate', idempotencyKey, !machine.deactivated);
    machine.deactivated = true;
  }

  /** The agent takes launches again (if its machine is up). Idempotent; CONFLICT for a gone agent. */
  reactivateAgent(agentId: string, idempotencyKey: string): void {
    const machine = this.findAgent(agentId);
    if (machine.gone) {
      throw new MaintError(ErrorCode.CONFLICT, `agent ${agentId} is gone and cannot be reactivated`, 'agentId');
    }
    this.logAgent(machine, 'reactivate', idempotencyKey, machine.deactivated);
    machine.deactivated = false;
  }

  /**
   * DRAIN_AGENT: deactivates the agent, and every RUNNING task on it goes KILLING and is gone after min(its grace
   * period, maxGracePeriodMs): the rule and the bookkeeping of killTasks. Returns every task killed under this key, on
   * any call. A key names one agent (CONFLICT if reused for another); a gone agent takes no new drain (CONFLICT).
   */
  drainAgent(request: DrainAgentRequest): KillResult {
    if (!request.idempotencyKey) {
      throw new MaintError(ErrorCode.INVALID, 'idempotencyKey is required', 'idempotencyKey');
    }
    if (request.maxGracePeriodMs !== undefined) checkGrace(request.maxGracePeriodMs, 'maxGracePeriodMs');
    const machine = this.findAgent(request.agentId);
    const earlier = this.drainsByKey.get(request.idempotencyKey);
    if (earlier && earlier.agentId !== machine.agentId) {
      const message = `idempotencyKey ${request.idempotencyKey} already drained agent ${earlier.agentId}`;
      throw new MaintError(ErrorCode.CONFLICT, message, 'idempotencyKey');
    }
    if (!earlier && machine.gone) {
      throw new MaintError(ErrorCode.CONFLICT, `agent ${machine.agentId} is gone and cannot be drained`, 'agentId');
    }
    const killed = earlier?.killed ?? [];
    this.drainsByKey.set(request.idempotencyKey, { agentId: machine.agentId, killed });

    const deactivated = !machine.deactivated;
    machine.deactivated = true;
    const newKills = this.killRunning(machine, request, 'drain', killed);
    this.logAgent(machine, 'drain', request.idempotencyKey, deactivated || newKills > 0);
    return { killed: killed.map((k) => ({ ...k })) };
  }

  /**
   * The agent is removed for good: RUNNING tasks are lost, KILLING tasks end now (their kill already counted); it
   * stays deactivated, takes no launch and cannot be reactivated. Idempotent.
   */
  markAgentGone(agentId: string, idempotencyKey: string): void {
    const machine = this.findAgent(agentId);
    this.logAgent(machine, 'gone', idempotencyKey, !machine.gone);
    this.endTasks(machine, 'gone');
    machine.gone = true;
    machine.deactivated = true;
  }

  stats(): FleetStats {
    return {
      machines: this.machineList.length,
      downMachines: this.machineList.filter((m) => m.down).length,
      deactivatedAgents: this.machineList.filter((m) => m.deactivated).length,
      goneAgents: this.machineList.filter((m) => m.gone).length,
      tasks: this.machineList.reduce((sum, m) => sum + m.tasks.size, 0),
      kills: Object.fromEntries(this.kills),
      lost: this.lost.map((l) => ({ ...l })),
      launches: this.launches,
      killLog: this.killLog.map((k) => ({ ...k })),
      agentLog: this.agentLog.map((a) => ({ ...a })),
    };
  }

  private placeInitialTasks(layout: Layout): void {
    if (typeof layout === 'function') {
      for (const [i, machine] of this.machineList.entries()) {
        for (const spec of layout({ index: i + 1, ...machine.id })) this.place(machine, spec);
      }
    } else {
      for (const spec of layout) this.place(this.find(spec.machine), spec);
    }
  }

  private place(machine: SimMachine, spec: TaskSpec): PlacedTask {
    if (!spec.frameworkId) throw new MaintError(ErrorCode.INVALID, 'frameworkId is required', 'frameworkId');
    const gracePeriodMs = spec.gracePeriodMs ?? this.defaultGraceMs;
    checkGrace(gracePeriodMs, 'gracePeriodMs');
    if (machine.down) {
      throw new MaintError(ErrorCode.CONFLICT, `machine ${machine.id.hostname} is down and takes no tasks`, 'machine');
    }
    if (machine.deactivated) {
      const state = machine.gone ? 'gone' : 'deactivated';
      throw new MaintError(ErrorCode.CONFLICT, `agent ${machine.agentId} is ${state} and takes no tasks`, 'machine');
    }
    const counterKey = `${spec.frameworkId}.${machine.id.hostname}`;
    const number = (this.taskNumbers.get(counterKey) ?? 0) + 1;
    this.taskNumbers.set(counterKey, number);
    const task: ClusterTask = {
      taskId: `${counterKey}.${number}`,
      frameworkId: spec.frameworkId,
      agentId: machine.agentId,
      name: spec.name ?? spec.frameworkId,
      resources: (spec.resources ?? DEFAULT_RESOURCES).map((r) => ({ ...r })),
      gracePeriodMs,
      volumes: [...(spec.volumes ?? [])],
      state: 'RUNNING',
    };
    machine.tasks.set(task.taskId, task);
    return { ...copyTask(task), hostname: machine.id.hostname };
  }

  private find(ref: MachineRef): SimMachine {
    const machine = this.machineList.find((m) => matches(m, ref));
    if (!machine) {
      const name = typeof ref === 'string' ? ref : JSON.stringify(ref);
      throw new MaintError(ErrorCode.NOT_FOUND, `no machine ${name} in the simulated fleet`, 'machine');
    }
    return machine;
  }

  private findAgent(agentId: string): SimMachine {
    const machine = this.machineList.find((m) => m.agentId === agentId);
    if (!machine) throw new MaintError(ErrorCode.NOT_FOUND, `no agent ${agentId} in the simulated fleet`, 'agentId');
    return machine;
  }

  /**
   * Kills every RUNNING task on the machine once (a KILLING task already has its kill), adding each to `killed`, and
   * removes it when its grace period ends. Returns how many it killed.
   */
  private killRunning(
    machine: SimMachine,
    request: { maxGracePeriodMs?: number; idempotencyKey: string },
    reason: KillRecord['reason'],
    killed: KillResult['killed'],
  ): number {
    let count = 0;
    for (const task of machine.tasks.values()) {
      if (task.state !== 'RUNNING') continue;
      const gracePeriodMs = killGracePeriodMs(task.gracePeriodMs, request.maxGracePeriodMs);
      task.state = 'KILLING';
      this.kills.set(task.taskId, (this.kills.get(task.taskId) ?? 0) + 1);
      this.killLog.push({
        taskId: task.taskId,
        frameworkId: task.frameworkId,
        hostname: machine.id.hostname,
        at: this.timestamp(),
        idempotencyKey: request.idempotencyKey,
        gracePeriodMs,
        reason,
      });
      killed.push({ taskId: task.taskId, frameworkId: task.frameworkId, gracePeriodMs });
      count++;
      // The task may be gone before the grace period ends (its machine went down): then there is nothing to remove.
      this.clock.setTimeout(() => machine.tasks.delete(task.taskId), gracePeriodMs);
    }
    return count;
  }

  /** Ends every task on the machine now: RUNNING ones are lost, KILLING ones end early (their kill is counted). */
  private endTasks(machine: SimMachine, cause: LostTask['cause']): void {
    const at = this.timestamp();
    const { hostname } = machine.id;
    for (const task of machine.tasks.values()) {
      if (task.state !== 'RUNNING') continue;
      this.lost.push({ taskId: task.taskId, frameworkId: task.frameworkId, hostname, at, cause });
    }
    machine.tasks.clear();
  }

  private logAgent(machine: SimMachine, action: AgentRecord['action'], idempotencyKey: string, changed: boolean): void {
    const { hostname } = machine.id;
    this.agentLog.push({ hostname, agentId: machine.agentId, action, idempotencyKey, at: this.timestamp(), changed });
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function matches(machine: SimMachine, ref: MachineRef): boolean {
  const sameHost = (hostname: string) => hostname.toLowerCase() === machine.id.hostname.toLowerCase();
  if (typeof ref === 'string') return sameHost(ref) || ref === machine.id.ip;
  if (ref.hostname === undefined && ref.ip === undefined) return false;
  return (ref.hostname === undefined || sameHost(ref.hostname)) && (ref.ip === undefined || ref.ip === machine.id.ip);
}

function checkGrace(ms: number, field: string): void {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new MaintError(ErrorCode.INVALID, `${field} must be a non-negative number of milliseconds`, field);
  }
}

// Callers get copies: the fleet's state changes only through its rules.
function copyTask(task: ClusterTask): ClusterTask {
  return { ...task, resources: task.resources.map((r) => ({ ...r })), volumes: [...task.volumes] };
}

function view(machine: SimMachine): ClusterMachine {
  return {
    id: { ...machine.id },
    agentId: machine.agentId,
    down: machine.down,
    tasks: [...machine.tasks.values()].map(copyTask),
  };
}

function agentView(machine: SimMachine): ClusterAgent {
  return {
    agentId: machine.agentId,
    machine: { ...machine.id },
    down: machine.down,
    deactivated: machine.deactivated,
    gone: machine.gone,
    registeredAtMs: machine.registeredAtMs,
    resources: AGENT_RESOURCES.map((r) => ({ ...r })),
    tasks: [...machine.tasks.values()].map(copyTask),
  };
}
