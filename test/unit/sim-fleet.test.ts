import { MaintError } from '../../src/domain/errors';
import { Fleet, simIp, type Clock } from '../../src/sim/fleet';

/** Time that moves only when the test says so. */
class ManualClock implements Clock {
  private nowMs = Date.UTC(2025, 0, 1);
  private pending: { at: number; callback: () => void }[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): void {
    this.pending.push({ at: this.nowMs + ms, callback });
  }

  advance(ms: number): void {
    this.nowMs += ms;
    const due = this.pending.filter((p) => p.at <= this.nowMs).sort((a, b) => a.at - b.at);
    this.pending = this.pending.filter((p) => p.at > this.nowMs);
    for (const p of due) p.callback();
  }
}

function taskIds(fleet: Fleet, machine: string): string[] {
  return fleet.describe(machine).tasks.map((t) => t.taskId);
}

function errorCode(action: () => unknown): string | undefined {
  try {
    action();
  } catch (err) {
    return err instanceof MaintError ? err.code : `not a MaintError: ${String(err)}`;
  }
  return undefined;
}

describe('layout', () => {
  test('20 machines by default, named, addressed and with agents as documented', () => {
    const machines = new Fleet().machines();
    expect(machines).toHaveLength(20);
    expect(machines[0]).toMatchObject({
      id: { hostname: 'sim-01', ip: '192.0.2.1' },
      agentId: 'agent-sim-01',
      down: false,
    });
    expect(machines[19].id).toEqual({ hostname: 'sim-20', ip: '192.0.2.20' });
  });

  test('mover everywhere, decliner on even machines, silent on every third', () => {
    const fleet = new Fleet();
    expect(taskIds(fleet, 'sim-01')).toEqual(['mover.sim-01.1']);
    expect(taskIds(fleet, 'sim-02')).toEqual(['mover.sim-02.1', 'decliner.sim-02.1']);
    expect(taskIds(fleet, 'sim-03')).toEqual(['mover.sim-03.1', 'silent.sim-03.1']);
    expect(taskIds(fleet, 'sim-06')).toEqual(['mover.sim-06.1', 'decliner.sim-06.1', 'silent.sim-06.1']);
    expect(fleet.stats().tasks).toBe(20 + 10 + 6);
    expect(fleet.stats().launches).toBe(0);

    const task = fleet.describe('sim-02').tasks[1];
    expect(task).toEqual({
      taskId: 'decliner.sim-02.1',
      frameworkId: 'decliner',
      agentId: 'agent-sim-02',
      name: 'decliner',
      resources: [
        { name: 'cpus', scalar: 0.5 },
        { name: 'mem', scalar: 256 },
      ],
      gracePeriodMs: 1000,
      volumes: ['sim-02/decliner-data'],
      state: 'RUNNING',
    });
  });

  test('large fleets pad hostnames to the count and continue in 100.64.0.0/10', () => {
    const machines = new Fleet({ machines: 300, layout: [] }).machines();
    expect(machines[0].id).toEqual({ hostname: 'sim-001', ip: '192.0.2.1' });
    expect(machines[253].id).toEqual({ hostname: 'sim-254', ip: '192.0.2.254' });
    expect(machines[254].id).toEqual({ hostname: 'sim-255', ip: '100.64.0.1' });
    expect(machines[299].id).toEqual({ hostname: 'sim-300', ip: '100.64.0.46' });
    expect(simIp(254 + 254)).toBe('100.64.0.254');
    expect(simIp(254 + 255)).toBe('100.64.1.1');
    expect(new Set(machines.map((m) => m.id.ip)).size).toBe(300);
  });

  test('a custom layout, as a function or as explicit tasks', () => {
    const layout = ({ index }: { index: number }) => (index === 2 ? [{ frameworkId: 'db', gracePeriodMs: 5 }] : []);
    const byFunction = new Fleet({ machines: 2, layout });
    expect(byFunction.tasks()).toMatchObject([{ taskId: 'db.sim-02.1', hostname: 'sim-02', gracePeriodMs: 5 }]);

    const explicit = new Fleet({ machines: 3, layout: [{ frameworkId: 'db', machine: '192.0.2.3', name: 'primary' }] });
    expect(explicit.tasks()).toMatchObject([{ taskId: 'db.sim-03.1', name: 'primary', hostname: 'sim-03' }]);
  });
});

describe('lookup', () => {
  test('by hostname in any case, by ip, or by a MachineId whose parts agree', () => {
    const fleet = new Fleet();
    expect(fleet.describe('SIM-07').id.hostname).toBe('sim-07');
    expect(fleet.describe('192.0.2.7').id.hostname).toBe('sim-07');
    expect(fleet.describe({ ip: '192.0.2.7' }).id.hostname).toBe('sim-07');
    expect(fleet.describe({ hostname: 'Sim-07', ip: '192.0.2.7' }).agentId).toBe('agent-sim-07');
    expect(errorCode(() => fleet.describe({ hostname: 'sim-07', ip: '192.0.2.8' }))).toBe('NOT_FOUND');
    expect(errorCode(() => fleet.describe('sim-99'))).toBe('NOT_FOUND');
    expect(errorCode(() => fleet.describe({}))).toBe('NOT_FOUND');
  });
});

describe('killTasks', () => {
  test('the grace period is min(task grace, maxGracePeriodMs); tasks are KILLING until it ends', () => {
    const clock = new ManualClock();
    const fleet = new Fleet({ clock, layout: [
      { frameworkId: 'a', machine: 'sim-01', gracePeriodMs: 100 },
      { frameworkId: 'b', machine: 'sim-01', gracePeriodMs: 5000 },
    ] });
    const result = fleet.killTasks({ machine: { hostname: 'sim-01' }, maxGracePeriodMs: 1000, idempotencyKey: 'k' });
    expect(result.killed).toEqual([
      { taskId: 'a.sim-01.1', frameworkId: 'a', gracePeriodMs: 100 },
      { taskId: 'b.sim-01.1', frameworkId: 'b', gracePeriodMs: 1000 },
    ]);
    expect(fleet.describe('sim-01').tasks.map((t) => t.state)).toEqual(['KILLING', 'KILLING']);

    clock.advance(100);
    expect(taskIds(fleet, 'sim-01')).toEqual(['b.sim-01.1']);
    clock.advance(900);
    expect(taskIds(fleet, 'sim-01')).toEqual([]);
    expect(fleet.stats().killLog).toMatchObject([
      { taskId: 'a.sim-01.1', hostname: 'sim-01', idempotencyKey: 'k', gracePeriodMs: 100 },
      { taskId: 'b.sim-01.1', hostname: 'sim-01', idempotencyKey: 'k', gracePeriodMs: 1000 },
    ]);
  });

  test('without maxGracePeriodMs each task keeps its own grace period', () => {
    const fleet = new Fleet({ clock: new ManualClock(), taskGracePeriodMs: 300 });
    expect(fleet.killTasks({ machine: { hostname: 'sim-01' }, idempotencyKey: 'k' }).killed).toEqual([
      { taskId: 'mover.sim-01.1', frameworkId: 'mover', gracePeriodMs: 300 },
    ]);
  });

  test('a task is killed at most once: same key twice, another key, and a retry after the tasks are gone', () => {
    const clock = new ManualClock();
    const fleet = new Fleet({ clock });
    const first = fleet.killTasks({ machine: { hostname: 'sim-02' }, idempotencyKey: 'drain/sim-02' });
    expect(first.killed.map((k) => k.taskId)).toEqual(['mover.sim-02.1', 'decliner.sim-02.1']);

    // The same key again: same answer, no new kill.
    expect(fleet.killTasks({ machine: { hostname: 'sim-02' }, idempotencyKey: 'drain/sim-02' })).toEqual(first);
    // Another key while the tasks are KILLING: nothing left to kill.
    expect(fleet.killTasks({ machine: { hostname: 'sim-02' }, idempotencyKey: 'other' })).toEqual({ killed: [] });

    clock.advance(1000);
    expect(taskIds(fleet, 'sim-02')).toEqual([]);
    // A retry after the tasks are gone still answers what the key killed.
    expect(fleet.killTasks({ machine: { hostname: 'sim-02' }, idempotencyKey: 'drain/sim-02' })).toEqual(first);
    expect(fleet.stats().kills).toEqual({ 'mover.sim-02.1': 1, 'decliner.sim-02.1': 1 });
    expect(fleet.stats().killLog).toHaveLength(2);
  });

  test('a repeated key also kills a task that appeared since, and answers the union', () => {
    const fleet = new Fleet({ clock: new ManualClock() });
    fleet.killTasks({ machine: { hostname: 'sim-01' }, idempotencyKey: 'k' });
    fleet.launchTask({ frameworkId: 'late', machine: 'sim-01' });
    const again = fleet.killTasks({ machine: { hostname: 'sim-01' }, idempotencyKey: 'k' });
    expect(again.killed.map((k) => k.taskId)).toEqual(['mover.sim-01.1', 'late.sim-01.1']);
    expect(fleet.stats().kills).toEqual({ 'mover.sim-01.1': 1, 'late.sim-01.1': 1 });
  });

  test('bad requests are refused', () => {
    const fleet = new Fleet({ clock: new ManualClock() });
    expect(errorCode(() => fleet.killTasks({ machine: { hostname: 'sim-01' }, idempotencyKey: '' }))).toBe('INVALID');
    const negativeGrace = { machine: 'sim-01', maxGracePeriodMs: -1, idempotencyKey: 'k' };
    expect(errorCode(() => fleet.killTasks(negativeGrace))).toBe('INVALID');
    expect(errorCode(() => fleet.killTasks({ machine: 'nowhere', idempotencyKey: 'k' }))).toBe('NOT_FOUND');
  });
});

describe('down and up', () => {
  test('down loses the RUNNING tasks, ends KILLING ones, refuses launches; up takes launches again', () => {
    const clock = new ManualClock();
    const fleet = new Fleet({ clock });
    fleet.killTasks({ machine: 'sim-06', idempotencyKey: 'k' });
    fleet.launchTask({ frameworkId: 'late', machine: 'sim-06' });
    clock.advance(10);
    fleet.downMachine('sim-06', 'down-1');

    expect(fleet.describe('sim-06')).toMatchObject({ down: true, tasks: [] });
    const stats = fleet.stats();
    expect(stats.lost).toEqual([
      {
        taskId: 'late.sim-06.1',
        frameworkId: 'late',
        hostname: 'sim-06',
        at: '2025-01-01T00:00:00.010Z',
        cause: 'down',
      },
    ]);
    expect(stats.kills).toEqual({ 'mover.sim-06.1': 1, 'decliner.sim-06.1': 1, 'silent.sim-06.1': 1 });
    expect(stats.downMachines).toBe(1);
    expect(errorCode(() => fleet.launchTask({ frameworkId: 'x', machine: 'sim-06' }))).toBe('CONFLICT');

    fleet.downMachine('192.0.2.6', 'down-2'); // idempotent
    clock.advance(1000); // the kills' timers fire on tasks already gone
    expect(fleet.stats().lost).toHaveLength(1);

    fleet.upMachine('sim-06', 'up-1');
    fleet.upMachine('sim-06', 'up-2');
    expect(fleet.describe('sim-06').down).toBe(false);
    expect(fleet.launchTask({ frameworkId: 'x', machine: 'sim-06' }).taskId).toBe('x.sim-06.1');
    expect(fleet.stats().agentLog.map((a) => [a.action, a.idempotencyKey, a.changed])).toEqual([
      ['down', 'down-1', true],
      ['down', 'down-2', false],
      ['up', 'up-1', true],
      ['up', 'up-2', false],
    ]);
  });
});

describe('agents', () => {
  const START_MS = Date.UTC(2025, 0, 1);

  test('one agent per machine, with its machine, flags, resources, registration time and tasks', () => {
    const clock = new ManualClock();
    const fleet = new Fleet({ clock });
    expect(fleet.agents().map((a) => a.agentId)).toEqual(fleet.machines().map((m) => m.agentId));
    expect(fleet.describeAgent('agent-sim-02')).toEqual({
      agentId: 'agent-sim-02',
      machine: { hostname: 'sim-02', ip: '192.0.2.2' },
      down: false,
      deactivated: false,
      gone: false,
      registeredAtMs: START_MS,
      resources: [
        { name: 'cpus', scalar: 8 },
        { name: 'mem', scalar: 32768 },
        { name: 'disk', scalar: 100000 },
      ],
      tasks: fleet.describe('sim-02').tasks,
    });
    expect(errorCode(() => fleet.describeAgent('agent-sim-99'))).toBe('NOT_FOUND');
    expect(errorCode(() => fleet.describeAgent('sim-02'))).toBe('NOT_FOUND'); // agents go by agent id only

    // The agent registers again when its machine comes back up.
    fleet.downMachine('sim-02', 'down');
    clock.advance(500);
    fleet.upMachine('sim-02', 'up');
    expect(fleet.describeAgent('agent-sim-02')).toMatchObject({ down: false, registeredAtMs: START_MS + 500 });
  });

  test('drain of an empty agent deactivates it and kills nothing', () => {
    const fleet = new Fleet({ clock: new ManualClock(), layout: [] });
    expect(fleet.drainAgent({ agentId: 'agent-sim-01', maxGracePeriodMs: 10, idempotencyKey: 'd' })).toEqual({
      killed: [],
    });
    expect(fleet.describeAgent('agent-sim-01')).toMatchObject({ deactivated: true, gone: false, tasks: [] });
    expect(fleet.stats()).toMatchObject({ deactivatedAgents: 1, goneAgents: 0, kills: {}, killLog: [] });
    expect(fleet.stats().agentLog).toEqual([
      {
        hostname: 'sim-01',
        agentId: 'agent-sim-01',
        action: 'drain',
        idempotencyKey: 'd',
        at: '2025-01-01T00:00:00.000Z',
        changed: true,
      },
    ]);
  });

  test('drain kills each RUNNING task once with min(grace, max); tasks are gone when their grace ends', () => {
    const clock = new ManualClock();
    const fleet = new Fleet({ clock, layout: [
      { frameworkId: 'a', machine: 'sim-01', gracePeriodMs: 100 },
      { frameworkId: 'b', machine: 'sim-01', gracePeriodMs: 5000 },
      { frameworkId: 'c', machine: 'sim-02' },
    ] });
    const drain = { agentId: 'agent-sim-01', maxGracePeriodMs: 1000, idempotencyKey: 'w/agent-sim-01/drain' };
    const first = fleet.drainAgent(drain);
    expect(first.killed).toEqual([
      { taskId: 'a.sim-01.1', frameworkId: 'a', gracePeriodMs: 100 },
      { taskId: 'b.sim-01.1', frameworkId: 'b', gracePeriodMs: 1000 },
    ]);
    const agent = fleet.describeAgent('agent-sim-01');
    expect(agent.deactivated).toBe(true);
    expect(agent.tasks.map((t) => t.state)).toEqual(['KILLING', 'KILLING']);
    expect(fleet.describeAgent('agent-sim-02')).toMatchObject({ deactivated: false, tasks: [{ state: 'RUNNING' }] });

    // A retry with the same key answers the same list and kills nothing twice; another key finds nothing to kill.
    expect(fleet.drainAgent(drain)).toEqual(first);
    expect(fleet.drainAgent({ agentId: 'agent-sim-01', idempotencyKey: 'other' })).toEqual({ killed: [] });

    clock.advance(100);
    expect(fleet.describeAgent('agent-sim-01').tasks.map((t) => t.taskId)).toEqual(['b.sim-01.1']);
    clock.advance(900);
    expect(fleet.describeAgent('agent-sim-01').tasks).toEqual([]);
    expect(fleet.drainAgent(drain)).toEqual(first); // after the tasks are gone too

    const stats = fleet.stats();
    expect(stats.kills).toEqual({ 'a.sim-01.1': 1, 'b.sim-01.1': 1 });
    const key = drain.idempotencyKey;
    expect(stats.killLog).toMatchObject([
      { taskId: 'a.sim-01.1', hostname: 'sim-01', idempotencyKey: key, gracePeriodMs: 100, reason: 'drain' },
      { taskId: 'b.sim-01.1', hostname: 'sim-01', idempotencyKey: key, gracePeriodMs: 1000, reason: 'drain' },
    ]);
    expect(stats.lost).toEqual([]);
    expect(stats.agentLog.map((a) => [a.action, a.idempotencyKey, a.changed])).toEqual([
      ['drain', drain.idempotencyKey, true],
      ['drain', drain.idempotencyKey, false],
      ['drain', 'other', false],
      ['drain', drain.idempotencyKey, false],
    ]);
    // The agent stays deactivated once empty (DRAINED): it takes no launch until reactivated.
    expect(errorCode(() => fleet.launchTask({ frameworkId: 'x', machine: 'sim-01' }))).toBe('CONFLICT');
  });

  test('a hard drain records its reason too', () => {
    const fleet = new Fleet({ clock: new ManualClock() });
    fleet.killTasks({ machine: 'sim-01', idempotencyKey: 'k' });
    expect(fleet.stats().killLog).toMatchObject([{ taskId: 'mover.sim-01.1', reason: 'hard-drain' }]);
  });

  test('a deactivated agent refuses launches and keeps its tasks running; reactivate lets launches back', () => {
    const fleet = new Fleet({ clock: new ManualClock() });
    fleet.deactivateAgent('agent-sim-04', 'deactivate-1');
    fleet.deactivateAgent('agent-sim-04', 'deactivate-2'); // idempotent
    expect(fleet.describeAgent('agent-sim-04')).toMatchObject({
      deactivated: true,
      tasks: [{ taskId: 'mover.sim-04.1', state: 'RUNNING' }, { taskId: 'decliner.sim-04.1', state: 'RUNNING' }],
    });
    expect(fleet.describe('sim-04').down).toBe(false); // not a machine mode
    expect(errorCode(() => fleet.launchTask({ frameworkId: 'x', machine: 'sim-04' }))).toBe('CONFLICT');
    expect(fleet.stats()).toMatchObject({ deactivatedAgents: 1, launches: 0, kills: {} });

    fleet.reactivateAgent('agent-sim-04', 'reactivate-1');
    fleet.reactivateAgent('agent-sim-04', 'reactivate-2'); // idempotent
    expect(fleet.describeAgent('agent-sim-04').deactivated).toBe(false);
    expect(fleet.launchTask({ frameworkId: 'x', machine: 'sim-04' }).taskId).toBe('x.sim-04.1');
    expect(fleet.stats().deactivatedAgents).toBe(0);
    expect(fleet.stats().agentLog.map((a) => [a.action, a.agentId, a.idempotencyKey, a.changed])).toEqual([
      ['deactivate', 'agent-sim-04', 'deactivate-1', true],
      ['deactivate', 'agent-sim-04', 'deactivate-2', false],
      ['reactivate', 'agent-sim-04', 'reactivate-1', true],
      ['reactivate', 'agent-sim-04', 'reactivate-2', false],
    ]);
  });

  test('a reactivated, drained agent takes launches again', () => {
    const clock = new ManualClock();
    const fleet = new Fleet({ clock });
    fleet.drainAgent({ agentId: 'agent-sim-01', idempotencyKey: 'drain' });
    clock.advance(1000);
    fleet.reactivateAgent('agent-sim-01', 'reactivate');
    expect(fleet.launchTask({ frameworkId: 'mover', machine: 'sim-01' }).taskId).toBe('mover.sim-01.2');
  });

  test('a gone agent loses its RUNNING tasks, ends KILLING ones, and refuses launches, reactivation and drains', () => {
    const clock = new ManualClock();
    const fleet = new Fleet({ clock });
    fleet.killTasks({ machine: 'sim-06', idempotencyKey: 'k' }); // three tasks KILLING
    fleet.launchTask({ frameworkId: 'late', machine: 'sim-06' });
    clock.advance(10);
    fleet.markAgentGone('agent-sim-06', 'gone-1');

    const gone = { gone: true, deactivated: true };
    expect(fleet.describeAgent('agent-sim-06')).toMatchObject({ ...gone, down: false, tasks: [] });
    expect(fleet.stats().lost).toEqual([
      {
        taskId: 'late.sim-06.1',
        frameworkId: 'late',
        hostname: 'sim-06',
        at: '2025-01-01T00:00:00.010Z',
        cause: 'gone',
      },
    ]);
    expect(fleet.stats().kills).toEqual({ 'mover.sim-06.1': 1, 'decliner.sim-06.1': 1, 'silent.sim-06.1': 1 });
    expect(errorCode(() => fleet.launchTask({ frameworkId: 'x', machine: 'sim-06' }))).toBe('CONFLICT');
    expect(errorCode(() => fleet.reactivateAgent('agent-sim-06', 'reactivate'))).toBe('CONFLICT');
    expect(errorCode(() => fleet.drainAgent({ agentId: 'agent-sim-06', idempotencyKey: 'drain' }))).toBe('CONFLICT');

    fleet.markAgentGone('agent-sim-06', 'gone-2'); // idempotent
    fleet.deactivateAgent('agent-sim-06', 'deactivate'); // no change: gone agents are deactivated
    clock.advance(1000); // the kills' timers fire on tasks already gone
    // Gone is for good, even across a down and up of the machine.
    fleet.downMachine('sim-06', 'down');
    fleet.upMachine('sim-06', 'up');
    expect(fleet.describeAgent('agent-sim-06')).toMatchObject({ ...gone, registeredAtMs: Date.UTC(2025, 0, 1) });
    expect(errorCode(() => fleet.launchTask({ frameworkId: 'x', machine: 'sim-06' }))).toBe('CONFLICT');

    const stats = fleet.stats();
    expect(stats).toMatchObject({ goneAgents: 1, deactivatedAgents: 1 });
    expect(stats.lost).toHaveLength(1);
    expect(stats.agentLog.map((a) => [a.action, a.idempotencyKey, a.changed])).toEqual([
      ['gone', 'gone-1', true],
      ['gone', 'gone-2', false],
      ['deactivate', 'deactivate', false],
      ['down', 'down', true],
      ['up', 'up', true],
    ]);
  });

  test('a drain retried with its key after the agent is gone still answers what it killed', () => {
    const fleet = new Fleet({ clock: new ManualClock() });
    const drain = { agentId: 'agent-sim-01', idempotencyKey: 'drain' };
    const first = fleet.drainAgent(drain);
    fleet.markAgentGone('agent-sim-01', 'gone');
    expect(fleet.drainAgent(drain)).toEqual(first);
    expect(fleet.stats().kills).toEqual({ 'mover.sim-01.1': 1 });
  });

  test('bad agent requests are refused', () => {
    const fleet = new Fleet({ clock: new ManualClock() });
    expect(errorCode(() => fleet.drainAgent({ agentId: 'agent-sim-01', idempotencyKey: '' }))).toBe('INVALID');
    const negativeGrace = { agentId: 'agent-sim-01', maxGracePeriodMs: -1, idempotencyKey: 'k' };
    expect(errorCode(() => fleet.drainAgent(negativeGrace))).toBe('INVALID');
    expect(errorCode(() => fleet.drainAgent({ agentId: 'agent-sim-99', idempotencyKey: 'k' }))).toBe('NOT_FOUND');
    expect(errorCode(() => fleet.deactivateAgent('agent-sim-99', 'k'))).toBe('NOT_FOUND');
    expect(errorCode(() => fleet.reactivateAgent('agent-sim-99', 'k'))).toBe('NOT_FOUND');
    expect(errorCode(() => fleet.markAgentGone('agent-sim-99', 'k'))).toBe('NOT_FOUND');
    // Nothing above changed anything; a key names one agent's drain.
    expect(fleet.stats()).toMatchObject({ deactivatedAgents: 0, kills: {}, agentLog: [] });
    fleet.drainAgent({ agentId: 'agent-sim-01', idempotencyKey: 'k' });
    expect(errorCode(() => fleet.drainAgent({ agentId: 'agent-sim-02', idempotencyKey: 'k' }))).toBe('CONFLICT');
    expect(fleet.describeAgent('agent-sim-02').deactivated).toBe(false);
  });
});

describe('frameworks on the fleet', () => {
  test('launches are counted, refused on unknown machines, and task ids are never reused', () => {
    const fleet = new Fleet();
    expect(fleet.launchTask({ frameworkId: 'mover', machine: { hostname: 'sim-01' } }).taskId).toBe('mover.sim-01.2');
    fleet.frameworkKill('mover', 'mover.sim-01.1');
    expect(fleet.launchTask({ frameworkId: 'mover', machine: 'sim-01' }).taskId).toBe('mover.sim-01.3');
    expect(errorCode(() => fleet.launchTask({ frameworkId: 'mover', machine: 'sim-21' }))).toBe('NOT_FOUND');
    expect(fleet.stats().launches).toBe(2);
  });

  test("a framework stopping its own task is not a kill, and it cannot stop another framework's", () => {
    const fleet = new Fleet();
    fleet.frameworkKill('mover', 'mover.sim-01.1');
    expect(taskIds(fleet, 'sim-01')).toEqual([]);
    expect(fleet.stats().kills).toEqual({});
    expect(errorCode(() => fleet.frameworkKill('mover', 'decliner.sim-02.1'))).toBe('NOT_FOUND');
    expect(errorCode(() => fleet.frameworkKill('mover', 'mover.sim-01.1'))).toBe('NOT_FOUND');
  });

  test('tasks can be listed per framework; callers get copies', () => {
    const fleet = new Fleet();
    const silentHosts = fleet.tasks('silent').map((t) => t.hostname);
    expect(silentHosts).toEqual(['sim-03', 'sim-06', 'sim-09', 'sim-12', 'sim-15', 'sim-18']);
    fleet.describe('sim-01').tasks[0].state = 'KILLING';
    expect(fleet.describe('sim-01').tasks[0].state).toBe('RUNNING');
  });
});
