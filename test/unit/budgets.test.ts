// The disruption budget rule (src/domain/budgets.ts): who may be drained hard now, in what order, and why not.
import { admit, budgetUses, frameworksOf, verdict, type Budgets, type Disruption } from '../../src/domain/budgets';
import type { DisruptionBudget } from '../../src/domain/framework';

function machine(n: number, tasksByFramework: Record<string, number>): Disruption {
  return { machineKey: `h=sim-0${n}`, label: `sim-0${n}`, tasksByFramework };
}

function budgets(entries: Record<string, DisruptionBudget>): Budgets {
  return new Map(Object.entries(entries));
}

const labels = (list: readonly Disruption[]) => list.map((d) => d.label);

describe('verdict', () => {
  test('a machine is granted when its framework has room for one more machine', () => {
    const b = budgets({ mover: { maxMachinesDown: 2 } });
    expect(verdict(machine(2, { mover: 1 }), [machine(1, { mover: 1 })], b)).toEqual({ granted: true });
  });

  test('a machine is held when its framework already has maxMachinesDown machines down, naming them', () => {
    const b = budgets({ mover: { maxMachinesDown: 2 } });
    const down = [machine(1, { mover: 1 }), machine(2, { mover: 3 })];
    expect(verdict(machine(3, { mover: 1 }), down, b)).toEqual({
      granted: false,
      frameworkId: 'mover',
      why: 'disruption budget of mover: 2 of 2 machines hosting it down (sim-01, sim-02)',
    });
  });

  test('tasks count: held when its tasks would take the framework past maxTasksKilled', () => {
    const b = budgets({ mover: { maxTasksKilled: 4 } });
    const down = [machine(1, { mover: 3 })];
    expect(verdict(machine(2, { mover: 1 }), down, b)).toEqual({ granted: true }); // 3 + 1 ≤ 4
    expect(verdict(machine(2, { mover: 2 }), down, b)).toEqual({
      granted: false,
      frameworkId: 'mover',
      why: 'disruption budget of mover: 3 of 4 tasks killed (sim-01); sim-02 would kill 2 more',
    });
  });

  test('a machine bigger than a budget proceeds when nothing of that framework is in use (alone)', () => {
    const b = budgets({ mover: { maxTasksKilled: 2 } });
    expect(verdict(machine(1, { mover: 5 }), [], b)).toEqual({ granted: true });
    // Once it is down, the next one waits for it even though the budget is "over" already.
    expect(verdict(machine(2, { mover: 1 }), [machine(1, { mover: 5 })], b).granted).toBe(false);
  });

  test('frameworks without a budget never hold a machine', () => {
    const b = budgets({ mover: { maxMachinesDown: 1 } });
    const down = [machine(1, { decliner: 9 }), machine(2, { decliner: 9 })];
    expect(verdict(machine(3, { decliner: 9 }), down, b)).toEqual({ granted: true });
  });

  test('every budgeted framework of the machine must have room', () => {
    const b = budgets({ mover: { maxMachinesDown: 5 }, decliner: { maxMachinesDown: 1 } });
    const down = [machine(1, { decliner: 1 })];
    const v = verdict(machine(2, { mover: 1, decliner: 1 }), down, b);
    expect(v).toMatchObject({ granted: false, frameworkId: 'decliner' });
  });

  test('machines down that hosted none of its tasks do not count', () => {
    const b = budgets({ mover: { maxMachinesDown: 1 } });
    expect(verdict(machine(2, { mover: 1 }), [machine(1, { silent: 1 })], b)).toEqual({ granted: true });
  });

  test('a framework listed with zero tasks is not touched by the machine', () => {
    const b = budgets({ mover: { maxMachinesDown: 1 } });
    expect(frameworksOf(machine(2, { mover: 0, silent: 1 }))).toEqual(['silent']);
    expect(verdict(machine(2, { mover: 0, silent: 1 }), [machine(1, { mover: 1 })], b)).toEqual({ granted: true });
  });
});

describe('admit: the queue in order', () => {
  test('grants in order while the budget lasts, each grant counting for the ones behind it', () => {
    const b = budgets({ mover: { maxMachinesDown: 2 } });
    const queue = [machine(1, { mover: 1 }), machine(2, { mover: 1 }), machine(3, { mover: 1 })];
    const out = admit(queue, [], b);
    expect(labels(out.granted)).toEqual(['sim-01', 'sim-02']);
    expect(out.held).toEqual([
      { request: queue[2], why: 'disruption budget of mover: 2 of 2 machines hosting it down (sim-01, sim-02)' },
    ]);
  });

  test('a machine held on a budget is not overtaken on that budget by a smaller one behind it', () => {
    const b = budgets({ mover: { maxTasksKilled: 3 } });
    const granted = [machine(1, { mover: 2 })];
    const queue = [machine(2, { mover: 2 }), machine(3, { mover: 1 })]; // sim-03 alone would fit (2 + 1 ≤ 3)
    const out = admit(queue, granted, b);
    expect(out.granted).toEqual([]);
    expect(out.held.map((h) => h.why)).toEqual([
      'disruption budget of mover: 2 of 3 tasks killed (sim-01); sim-02 would kill 2 more',
      'disruption budget of mover: waiting behind sim-02',
    ]);
  });

  test('machines of other frameworks do not wait behind a held one', () => {
    const b = budgets({ mover: { maxMachinesDown: 1 }, decliner: { maxMachinesDown: 1 } });
    const queue = [machine(2, { mover: 1 }), machine(3, { decliner: 1 }), machine(4, { silent: 4 })];
    const out = admit(queue, [machine(1, { mover: 1 })], b);
    expect(labels(out.granted)).toEqual(['sim-03', 'sim-04']);
    expect(labels(out.held.map((h) => h.request))).toEqual(['sim-02']);
  });

  test('after a release the queue is taken again from its head', () => {
    const b = budgets({ mover: { maxMachinesDown: 1 } });
    const queue = [machine(2, { mover: 1 }), machine(3, { mover: 1 })];
    expect(admit(queue, [machine(1, { mover: 1 })], b).granted).toEqual([]);
    const out = admit(queue, [], b); // sim-01 released
    expect(labels(out.granted)).toEqual(['sim-02']);
    expect(out.held).toEqual([
      { request: queue[1], why: 'disruption budget of mover: 1 of 1 machines hosting it down (sim-02)' },
    ]);
  });
});

describe('budgetUses', () => {
  test('lists every budget with its tasks killed, machines down and machines waiting', () => {
    const b = budgets({ mover: { maxMachinesDown: 1, maxTasksKilled: 10 }, decliner: { maxTasksKilled: 1 } });
    const granted = [machine(1, { mover: 2, silent: 1 })];
    const queue = [machine(2, { mover: 1, decliner: 1 }), machine(3, { silent: 1 })];
    expect(budgetUses(b, granted, queue)).toEqual([
      { frameworkId: 'mover', budget: { maxMachinesDown: 1, maxTasksKilled: 10 }, tasksKilled: 2, machinesDown: ['sim-01'], waiting: ['sim-02'] },
      { frameworkId: 'decliner', budget: { maxTasksKilled: 1 }, tasksKilled: 0, machinesDown: [], waiting: ['sim-02'] },
    ]);
  });
});
