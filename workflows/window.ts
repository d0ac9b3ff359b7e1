// A window coordinates its machines: starts one machine workflow each, keeps a mirror of their modes for its own
// validators, paces them (maxParallel), and forwards operators' extend, cancel, down and up.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { ErrorCode } from '../src/domain/errors';
import { machineJson, machineKey, machineLabel, type MachineId } from '../src/domain/machine';
import type { MachineMode, MachinePhase, WindowSpec, WindowState, WindowView } from '../src/domain/window';
import { WorkflowIds } from '../src/temporal/ids';
import { publishedWindowView, WINDOW_VIEW_MEMO } from '../src/temporal/published-state';
import { formatDurationShort, isRepresentableInstant } from '../src/domain/time';
import { DEADLINE, MACHINE, MODE, WINDOW } from '../src/temporal/search-attributes';
import { drainCall } from './activity-options';
import { machineWorkflow } from './machine';
import { WINDOW_ARMS_KILLS, WINDOW_COMMANDS_AFTER_START } from './patches';
import { memoPublisher } from './publish-memo';
import { coalesced, machineWorkflowSummary, windowDeadlineKillSummary, windowDetails } from './summaries';
import {
  cancelWindow,
  downMachines,
  extendWindow,
  machineCommand,
  machineProgress,
  upMachines,
  windowCommands,
  windowView,
  type MachineCommand,
  type MachineSelection,
} from './messages';

export interface WindowSettings {
  /** The maint instance (src/temporal/ids.ts). */
  instance: string;
  checkIntervalMs: number;
  machineMaxHistoryEvents?: number;
  /** Machines arm their deadline's kills ahead of it (MachineInput.armDeadlineKills); on unless false. */
  armDeadlineKills?: boolean;
}

export interface WindowInput {
  spec: WindowSpec;
  settings: WindowSettings;
}

interface MachineEntry {
  id: MachineId;
  label: string;
  mode: MachineMode;
  phase: MachinePhase;
  /** Given a slot (maxParallel) that the machine has not yet reported using. */
  granted: boolean;
  /** As the machine last reported them, for the current details. */
  remaining?: number;
  upAtMs?: number;
}

const drain = proxyActivities<Activities>(drainCall('2h'));

/** A window's armed kills not done this long after its deadline are given up: its machines have decided by then. */
const DEADLINE_KILL_SLACK_MS = 5 * 60_000;

/** Children started at once: Temporal allows 2,000 pending child starts per workflow. */
const START_BATCH = 500;
/** How long a machine waits for the previous maintenance of the same machine (its workflow) to finish. */
const PREVIOUS_RUN_POLL_MS = 1_000;

const BEFORE_DOWN: readonly MachinePhase[] = ['draining', 'awaiting-operator', 'waiting-for-slot', 'waiting-for-budget'];
const PAST_DRAINING: readonly MachinePhase[] = ['hard-draining', 'down'];
/** Phases that hold one of the window's maxParallel slots: a machine waiting for the budgets already took its slot. */
const HOLDS_SLOT: readonly MachinePhase[] = ['waiting-for-budget', ...PAST_DRAINING];

export async function windowWorkflow({ spec: initial, settings }: WindowInput): Promise<WindowView> {
  const spec: WindowSpec = { ...initial };
  const ids = new WorkflowIds(settings.instance);
  let state: WindowState = 'ACTIVE';
  let cancelledAtMs: number | undefined;
  let completedAtMs: number | undefined;
  const machines = new Map<string, MachineEntry>(
    spec.machines.map((id) => [machineKey(id), { id, label: machineLabel(id), mode: 'DRAINING', phase: 'draining', granted: false }]),
  );

  const view = (): WindowView => ({
    ...spec,
    state,
    ...(cancelledAtMs === undefined ? {} : { cancelledAtMs }),
    ...(completedAtMs === undefined ? {} : { completedAtMs }),
    machineModes: [...machines.values()].map(({ id, mode, phase }) => ({ id, mode, phase })),
  });

  // The view in the memo, for reads that need no worker; once per activation, when it changed.
  const publish = memoPublisher(WINDOW_VIEW_MEMO, publishedWindowView);
  const publishView = (): void => publish(view());

  const refreshDetails = coalesced(() => {
    publishView();
    setCurrentDetails(
      windowDetails(
        {
          id: spec.id,
          state,
          deadlineMs: spec.deadlineMs,
          escalation: spec.policy.escalation,
          maxParallel: spec.policy.maxParallel,
          machines: machines.values(),
        },
        Date.now(),
      ),
    );
  });

  // The deadline's kills, armed for every machine when the window starts (window-arms-kills): under load a machine's
  // workflow may start, or first look, only after its deadline. One activity; each machine still decides (same key).
  let armed: { deadlineMs: number; scope: CancellationScope } | undefined;
  const armKills = (): void => {
    if (armed?.deadlineMs === spec.deadlineMs && state === 'ACTIVE') return;
    disarmKills();
    const { escalation, maxParallel, maxGracePeriodMs } = spec.policy;
    // Only where the deadline kills with no one else to ask first: a slot (maxParallel) is the machines' to wait for.
    if (state !== 'ACTIVE' || escalation !== 'hard-drain' || maxParallel !== undefined || settings.armDeadlineKills === false) return;
    if (!patched(WINDOW_ARMS_KILLS)) return;
    const scope = new CancellationScope();
    armed = { deadlineMs: spec.deadlineMs, scope };
    const request = {
      windowId: spec.id,
      deadlineMs: spec.deadlineMs,
      ...(maxGracePeriodMs === undefined ? {} : { maxGracePeriodMs }),
      machines: [...machines.entries()].map(([key, e]) => ({ machine: e.id, workflowId: ids.machine(e.id), key })),
    };
    const options = {
      summary: windowDeadlineKillSummary(spec.id, machines.size, spec.deadlineMs, Date.now()),
      scheduleToCloseTimeout: Math.max(spec.deadlineMs - Date.now(), 0) + DEADLINE_KILL_SLACK_MS,
    };
    scope.run(() => drain.killWindowAtDeadline.executeWithOptions(options, [request])).catch(() => undefined);
  };
  const disarmKills = (): void => {
    armed?.scope.cancel();
    armed = undefined;
  };

  // Commands reach a machine once this window has started its workflow, each machine's in the order they were given
  // (a down then an up must not arrive as an up then a down): the schedule's (Mesos endpoints) and, since
  // window-commands-after-start, the operators'. One forwarding loop at a time.
  const started = new Set<string>();
  let queued: { machineKey: string; command: MachineCommand }[] = [];
  let forwarding = false;
  const forward = async (): Promise<void> => {
    if (forwarding) return; // the running loop takes what was just queued
    forwarding = true;
    try {
      for (;;) {
        const ready = queued.filter((c) => started.has(c.machineKey));
        if (ready.length === 0) return;
        queued = queued.filter((c) => !started.has(c.machineKey));
        const byMachine = new Map<string, MachineCommand[]>();
        for (const c of ready) byMachine.set(c.machineKey, [...(byMachine.get(c.machineKey) ?? []), c.command]);
        await Promise.all(
          [...byMachine].map(async ([key, commands]) => {
            const handle = getExternalWorkflowHandle(ids.machine(machines.get(key)!.id));
            for (const command of commands) await handle.signal(machineCommand, command).catch(() => undefined);
          }),
        );
      }
    } finally {
      forwarding = false;
    }
  };
  const enqueue = async (commands: { machineKey: string; command: MachineCommand }[]): Promise<void> => {
    queued.push(...commands);
    await forward();
  };
  // Before window-commands-after-start an operator's command was signalled at once: in a window's first moments, or
  // while a machine waits for its previous maintenance to end, its workflow ID names no run of this window yet, and
  // the signal failed the operator's request or reached the previous run.
  const tell = async (entries: MachineEntry[], command: MachineCommand): Promise<void> => {
    if (patched(WINDOW_COMMANDS_AFTER_START)) return enqueue(entries.map((e) => ({ machineKey: machineKey(e.id), command })));
    await Promise.all(entries.map((e) => getExternalWorkflowHandle(ids.machine(e.id)).signal(machineCommand, command)));
  };

  /** The machines an operator's down or up applies to; refuses the whole request if one of them does not qualify. */
  const select = (sel: MachineSelection, qualifies: (e: MachineEntry) => boolean, verb: 'down' | 'up'): MachineEntry[] => {
    const wanted = sel.machines?.length ? sel.machines : undefined;
    if (!wanted) {
      const all = [...machines.values()].filter(qualifies);
      const needed = verb === 'down' ? 'DRAINING' : 'DOWN';
      if (all.length === 0) throw conflict(`no machine of window ${spec.id} is ${needed}: nothing to bring ${verb}`);
      return all;
    }
    return wanted.map((id, i) => {
      const entry = machines.get(machineKey(id));
      if (!entry) {
        throw ApplicationFailure.create({
          type: ErrorCode.INVALID,
          message: `machines[${i}]: machine ${machineJson(id)} is not in window ${spec.id}`,
          nonRetryable: true,
        });
      }
      if (!qualifies(entry)) {
        const needed = verb === 'down' ? 'DRAINING' : 'DOWN';
        throw conflict(
          `machines[${i}]: machine ${machineLabel(entry.id)} is ${entry.mode} (${entry.phase}), not ${needed}: ` +
            `it cannot be brought ${verb}`,
        );
      }
      return entry;
    });
  };

  const grantSlots = async (): Promise<void> => {
    const max = spec.policy.maxParallel;
    if (max === undefined || state !== 'ACTIVE') return;
    const entries = [...machines.values()];
    let busy = entries.filter((e) => e.granted || HOLDS_SLOT.includes(e.phase)).length;
    const granted: MachineEntry[] = [];
    for (const e of entries) {
      if (busy >= max) break;
      if (e.phase === 'waiting-for-slot' && !e.granted) {
        e.granted = true;
        granted.push(e);
        busy++;
      }
    }
    if (granted.length) await tell(granted, { type: 'proceed' });
  };

  setHandler(windowView, view);

  setHandler(windowCommands, ({ commands }) => enqueue(commands.filter((c) => machines.has(c.machineKey))));

  setHandler(machineProgress, async (p) => {
    const entry = machines.get(p.machineKey);
    if (!entry) return;
    entry.mode = p.mode;
    entry.phase = p.phase;
    entry.remaining = p.remaining;
    entry.upAtMs = p.upAtMs;
    if (p.phase !== 'waiting-for-slot') entry.granted = false;
    refreshDetails();
    await grantSlots();
  });

  setHandler(
    extendWindow,
    async ({ deadlineMs }) => {
      const delta = deadlineMs - spec.deadlineMs;
      spec.deadlineMs = deadlineMs;
      spec.unavailability = { ...spec.unavailability, startMs: spec.unavailability.startMs + delta };
      refreshDetails();
      armKills(); // for the new deadline
      const draining = [...machines.values()].filter((e) => BEFORE_DOWN.includes(e.phase));
      await tell(draining, { type: 'extend', deadlineMs, startMs: spec.unavailability.startMs });
      return view();
    },
    {
      validator: ({ deadlineMs }) => {
        if (state !== 'ACTIVE') throw conflict(`window ${spec.id} is ${state}: it cannot be extended`);
        const endMs = spec.unavailability.startMs + (deadlineMs - spec.deadlineMs) + (spec.unavailability.durationMs ?? 0);
        if (!isRepresentableInstant(deadlineMs) || !isRepresentableInstant(endMs)) {
          throw ApplicationFailure.create({
            type: ErrorCode.INVALID,
            message: 'deadline: too far in the future to be a date',
            nonRetryable: true,
          });
        }
        if (!(deadlineMs > spec.deadlineMs)) {
          throw ApplicationFailure.create({
            type: ErrorCode.INVALID,
            message: `deadline: the new deadline must be later than the current one, ${iso(spec.deadlineMs)}`,
            nonRetryable: true,
          });
        }
        if (![...machines.values()].some((e) => BEFORE_DOWN.includes(e.phase))) {
          throw conflict(`no machine of window ${spec.id} is still DRAINING: there is no deadline left to extend`);
        }
      },
    },
  );

  setHandler(
    cancelWindow,
    async () => {
      state = 'CANCELLED';
      cancelledAtMs = Date.now();
      refreshDetails();
      disarmKills();
      await tell([...machines.values()].filter((e) => e.phase !== 'done'), { type: 'cancel' });
      return view();
    },
    {
      validator: () => {
        if (state !== 'ACTIVE') throw conflict(`window ${spec.id} is already ${state}`);
      },
    },
  );

  setHandler(
    downMachines,
    async (sel) => {
      await tell(select(sel, (e) => BEFORE_DOWN.includes(e.phase), 'down'), { type: 'down' });
      return view();
    },
    {
      validator: (sel) => {
        if (state !== 'ACTIVE') throw conflict(`window ${spec.id} is ${state}: its machines cannot be brought down`);
        select(sel, (e) => BEFORE_DOWN.includes(e.phase), 'down');
      },
    },
  );

  setHandler(
    upMachines,
    async (sel) => {
      await tell(select(sel, (e) => PAST_DRAINING.includes(e.phase), 'up'), { type: 'up' });
      return view();
    },
    { validator: (sel) => void select(sel, (e) => PAST_DRAINING.includes(e.phase), 'up') },
  );

  const startMachine = async (id: MachineId): Promise<void> => {
    for (;;) {
      try {
        await startChild(machineWorkflow, {
          workflowId: ids.machine(id),
          args: [
            {
              instance: settings.instance,
              windowId: spec.id,
              machine: id,
              unavailability: spec.unavailability,
              deadlineMs: spec.deadlineMs,
              policy: spec.policy,
              checkIntervalMs: settings.checkIntervalMs,
              maxHistoryEvents: settings.machineMaxHistoryEvents,
              ...(settings.armDeadlineKills === false ? { armDeadlineKills: false } : {}),
            },
          ],
          // Machines outlive a cancelled window (DOWN ones wait for up) and must survive this run's continue-as-new.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: machineWorkflowSummary(machineLabel(id), spec.deadlineMs, spec.id, Date.now()),
          typedSearchAttributes: [
            { key: MACHINE, value: machineLabel(id) },
            { key: MODE, value: 'DRAINING' },
            { key: WINDOW, value: spec.id },
            { key: DEADLINE, value: new Date(spec.deadlineMs) },
          ],
        });
        started.add(machineKey(id));
        return;
      } catch (err) {
        // The machine's previous maintenance is still finishing (coming up, last notices): Mesos let the operator
        // schedule it again already, so this one starts as soon as that one ends.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        await sleep(PREVIOUS_RUN_POLL_MS, {
          summary: `${machineLabel(id)}: its previous maintenance is still finishing, start again in ${formatDurationShort(PREVIOUS_RUN_POLL_MS)}`,
        });
      }
    }
  };

  refreshDetails();
  armKills();
  for (let i = 0; i < spec.machines.length; i += START_BATCH) {
    await Promise.all(spec.machines.slice(i, i + START_BATCH).map(startMachine));
    await forward();
  }

  await condition(() => [...machines.values()].every((e) => e.phase === 'done'));
  disarmKills();
  if (state === 'ACTIVE') state = 'COMPLETED';
  completedAtMs = Date.now();
  refreshDetails();
  return view();
}

function conflict(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorCode.CONFLICT, message, nonRetryable: true });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
