// Disruption budgets (Aurora's job SLA, Kubernetes' PodDisruptionBudget): how much of a framework maint may take at
// once with hard drains. The rule is pure; the registry workflow (workflows/frameworks.ts) keeps the state and tells
// the machines. Pure (no Node built-ins): workflows import it.
import type { DisruptionBudget } from './framework';

/** A machine's hard drain as the budgets see it: which frameworks' tasks it kills, and how many of each. */
export interface Disruption {
  machineKey: string;
  /** For texts, e.g. "sim-07 (192.0.2.7)". */
  label: string;
  tasksByFramework: Record<string, number>;
}

/** Budgets by framework id; frameworks without one are absent (they never hold anything). */
export type Budgets = ReadonlyMap<string, DisruptionBudget>;

/** What one framework's budget has in use: the machines granted that kill its tasks. */
export interface FrameworkUse {
  frameworkId: string;
  budget: DisruptionBudget;
  tasksKilled: number;
  /** Labels of the machines granted (hard-draining or DOWN) that hosted its tasks. */
  machinesDown: string[];
  /** Labels of the machines waiting on this budget, in queue order. */
  waiting: string[];
}

export type Verdict = { granted: true } | { granted: false; frameworkId: string; why: string };

/** Frameworks a disruption kills tasks of (a zero count kills nothing). */
export function frameworksOf(d: Disruption): string[] {
  return Object.keys(d.tasksByFramework).filter((f) => d.tasksByFramework[f] > 0);
}

/** The budgeted frameworks a disruption touches. */
function budgetedOf(d: Disruption, budgets: Budgets): string[] {
  return frameworksOf(d).filter((f) => budgets.has(f));
}

function use(frameworkId: string, granted: readonly Disruption[]): { tasksKilled: number; machines: string[] } {
  let tasksKilled = 0;
  const machines: string[] = [];
  for (const g of granted) {
    const n = g.tasksByFramework[frameworkId] ?? 0;
    if (n <= 0) continue;
    tasksKilled += n;
    machines.push(g.label);
  }
  return { tasksKilled, machines };
}

/**
 * May this machine be drained hard now, given what is already granted? Yes when, for every budgeted framework it
 * would kill tasks of, tasksKilled + its tasks ≤ maxTasksKilled and machinesDown + 1 ≤ maxMachinesDown; or when none
 * of those frameworks has anything in use at all, so that a machine bigger than a budget still proceeds, alone (else
 * it would wait forever).
 */
export function verdict(d: Disruption, granted: readonly Disruption[], budgets: Budgets): Verdict {
  const budgeted = budgetedOf(d, budgets);
  const inUse = budgeted.map((f) => ({ f, budget: budgets.get(f)!, ...use(f, granted) }));
  if (inUse.every((u) => u.machines.length === 0)) return { granted: true };
  for (const u of inUse) {
    const mine = d.tasksByFramework[u.f];
    const { maxMachinesDown, maxTasksKilled } = u.budget;
    if (maxMachinesDown !== undefined && u.machines.length + 1 > maxMachinesDown) {
      return {
        granted: false,
        frameworkId: u.f,
        why:
          `disruption budget of ${u.f}: ${u.machines.length} of ${maxMachinesDown} machines hosting it down ` +
          `(${u.machines.join(', ')})`,
      };
    }
    if (maxTasksKilled !== undefined && u.tasksKilled + mine > maxTasksKilled) {
      return {
        granted: false,
        frameworkId: u.f,
        why:
          `disruption budget of ${u.f}: ${u.tasksKilled} of ${maxTasksKilled} tasks killed (${u.machines.join(', ')}); ` +
          `${d.label} would kill ${mine} more`,
      };
    }
  }
  return { granted: true };
}

export interface Admission<T extends Disruption> {
  /** Newly granted, in queue order. */
  granted: T[];
  /** Still waiting, in queue order, each with why. */
  held: { request: T; why: string }[];
}

/**
 * Goes through the queue in order (FIFO per budget): a machine is granted when the budget rule lets it and no machine
 * ahead of it is still held on one of its budgets, so a big machine is never overtaken forever by small ones. Machines
 * whose frameworks share no budget do not wait for each other. Each grant counts for the machines behind it.
 */
export function admit<T extends Disruption>(queue: readonly T[], granted: readonly Disruption[], budgets: Budgets): Admission<T> {
  const inUse: Disruption[] = [...granted];
  const blocked = new Map<string, string>(); // framework -> label of the first machine held on its budget
  const out: Admission<T> = { granted: [], held: [] };
  for (const request of queue) {
    const budgeted = budgetedOf(request, budgets);
    const behind = budgeted.find((f) => blocked.has(f));
    if (behind !== undefined) {
      out.held.push({ request, why: `disruption budget of ${behind}: waiting behind ${blocked.get(behind)}` });
      continue;
    }
    const v = verdict(request, inUse, budgets);
    if (v.granted) {
      out.granted.push(request);
      inUse.push(request);
      continue;
    }
    out.held.push({ request, why: v.why });
    for (const f of budgeted) if (!blocked.has(f)) blocked.set(f, request.label);
  }
  return out;
}

/** Every budget and what it has in use and waiting, by framework (frameworks without a budget are left out). */
export function budgetUses(budgets: Budgets, granted: readonly Disruption[], queue: readonly Disruption[]): FrameworkUse[] {
  return [...budgets].map(([frameworkId, budget]) => {
    const u = use(frameworkId, granted);
    return {
      frameworkId,
      budget,
      tasksKilled: u.tasksKilled,
      machinesDown: u.machines,
      waiting: queue.filter((q) => (q.tasksByFramework[frameworkId] ?? 0) > 0).map((q) => q.label),
    };
  });
}
