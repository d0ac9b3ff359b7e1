// The framework registry: who subscribed (durable, unlike Mesos' in-memory framework list, so a restart of maint's API
// loses no subscription), the unavailability of every machine in maintenance (told to every subscribed framework), and
// the frameworks' disruption budgets (which machines may be drained hard now).
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { admit, budgetUses, type Budgets } from '../src/domain/budgets';
import { MachineIndex } from '../src/domain/placement';
import { packMachines, unpackMachines, type PackedMachines } from '../src/domain/packed-machines';
import { ErrorCode } from '../src/domain/errors';
import { formatDurationShort } from '../src/domain/time';
import type { FrameworkSubscription, MachineUnavailability } from '../src/domain/framework';
import { DEFAULT_INSTANCE, WorkflowIds } from '../src/temporal/ids';
import { SCHEDULER_API } from './patches';
import { memoPublisher } from './publish-memo';
import { BUDGETED_FRAMEWORKS_MEMO, publishedBudgetedFrameworks } from '../src/temporal/published-state';
import { coalesced, count, registryDetails } from './summaries';
import {
  budgetsView,
  frameworkNotices,
  frameworksView,
  machineCommand,
  machineUnavailability,
  releaseDisruption,
  requestDisruption,
  subscribeFramework,
  unavailabilityView,
  unsubscribeFramework,
  type DisruptionRequest,
  type MachineCommand,
} from './messages';

export interface FrameworksInput {
  /** The maint instance (src/temporal/ids.ts): the mailboxes' IDs. Absent in runs started before the scheduler API. */
  instance?: string;
  maxHistoryEvents?: number;
  /** The subscriptions, when continuing as new. */
  resume?: FrameworkSubscription[];
  /** The rest of the state, when continuing as new (since the scheduler API). */
  state?: RegistryState;
}

/** A machine waiting for the budgets, with the reason it was last told (a reason is sent again only when it changes). */
interface Queued {
  request: DisruptionRequest;
  told?: string;
}

export interface RegistryState {
  /** Every machine in maintenance, as frameworks are told (compact: 10,000 of them must fit a 2 MB input). */
  machines: PackedMachines;
  /** Machines the budgets let go (hard-draining or DOWN), until they are released. */
  granted: DisruptionRequest[];
  /** Machines waiting for the budgets, first come first served. */
  queue: Queued[];
  /** Changes not yet told to the frameworks (the latest per machine): keys of machines in `machines`, and the rest. */
  changes: { keys: string[]; out: MachineUnavailability[] };
  /** Frameworks owed a full snapshot (they just subscribed). */
  snapshots: string[];
  /** Answers not yet sent to machines. */
  outbox: { workflowId: string; command: MachineCommand }[];
}

const DEFAULT_MAX_HISTORY_EVENTS = 5_000;
/** Changes are told to frameworks at most this often, batched. */
const FAN_OUT_INTERVAL_MS = 1_000;
/** Machines per unavailability notice: a notice (a signal) stays far below Temporal's payload limit. */
const CHUNK = 1_000;
/** Signals in flight at once: Temporal allows 2,000 pending signals per workflow. */
const SIGNAL_BATCH = 500;

export async function frameworksWorkflow(input: FrameworksInput): Promise<void> {
  // The registry's own ID is `<instance>/frameworks`: runs started without an instance learn it from there.
  const ids = new WorkflowIds(input.instance ?? instanceOf(workflowInfo().workflowId));
  const frameworks = new Map((input.resume ?? []).map((f) => [f.frameworkId, f]));
  const state = input.state;
  const machines = new Map(unpackMachines(state?.machines).map((m) => [m.key, m]));
  let granted: DisruptionRequest[] = state?.granted ?? [];
  let queue: Queued[] = state?.queue ?? [];
  const changes = new Map<string, MachineUnavailability>([
    ...(state?.changes.keys ?? []).flatMap((k) => (machines.has(k) ? [[k, machines.get(k)!] as const] : [])),
    ...(state?.changes.out ?? []).map((m) => [m.key, m] as const),
  ]);
  const snapshots = new Set(state?.snapshots ?? []);
  let outbox = state?.outbox ?? [];
  let lastFanOutMs = Number.NEGATIVE_INFINITY;

  const budgets = (): Budgets =>
    new Map([...frameworks.values()].flatMap((f) => (f.budget ? [[f.frameworkId, f.budget] as const] : [])));

  /** Goes through the queue in order: grants what the budgets allow now, tells the others why they wait. */
  const examine = (): void => {
    if (queue.length === 0) return;
    const result = admit(
      queue.map((q) => q.request),
      granted,
      budgets(),
    );
    const now = new Set(result.granted.map((r) => r.machineKey));
    for (const r of result.granted) {
      granted.push(r);
      outbox.push({ workflowId: r.workflowId, command: { type: 'disruption-granted' } });
    }
    queue = queue.filter((q) => !now.has(q.request.machineKey));
    for (const { request, why } of result.held) {
      const q = queue.find((x) => x.request.machineKey === request.machineKey)!;
      if (q.told === why) continue;
      q.told = why;
      outbox.push({ workflowId: request.workflowId, command: { type: 'disruption-held', why } });
    }
  };

  const release = (machineKey: string): void => {
    const before = granted.length + queue.length;
    granted = granted.filter((g) => g.machineKey !== machineKey);
    queue = queue.filter((q) => q.request.machineKey !== machineKey);
    if (granted.length + queue.length !== before) examine();
  };

  // Which frameworks have a budget, in the memo (state-in-memo): a machine's look reads it with no query.
  const publishBudgeted = memoPublisher(BUDGETED_FRAMEWORKS_MEMO, publishedBudgetedFrameworks);

  // Every handler changes what the details show; they are rendered once per activation.
  const refreshDetails = coalesced(() => {
    publishBudgeted([...budgets().keys()].sort());
    setCurrentDetails(
      registryDetails(
        { frameworks: frameworks.values(), machinesInMaintenance: machines.size, granted: granted.length, waiting: queue.length },
        Date.now(),
      ),
    );
  });
  refreshDetails();

  setHandler(frameworksView, () => [...frameworks.values()]);
  setHandler(unavailabilityView, (filter) => {
    const all = [...machines.values()];
    if (!filter?.machines) return all;
    // Indexed: a framework's advice asks with its every agent, and this thread runs every workflow of the worker.
    const wanted = new MachineIndex(filter.machines, (m) => m);
    return all.filter((m) => wanted.covering(m.machine).length > 0);
  });
  setHandler(budgetsView, () =>
    budgetUses(
      budgets(),
      granted,
      queue.map((q) => q.request),
    ),
  );

  setHandler(
    subscribeFramework,
    (req) => {
      const subscription: FrameworkSubscription = { ...req, subscribedAtMs: Date.now() };
      frameworks.set(req.frameworkId, subscription);
      refreshDetails();
      if (patched(SCHEDULER_API)) {
        // The API configured its mailbox first: it learns every machine in maintenance now, changes after.
        snapshots.add(req.frameworkId);
        examine(); // its budget may have changed
      }
      return subscription;
    },
    { validator: (req) => ownedBy(req.frameworkId, req.principal) },
  );

  // Mesos' TEARDOWN. What its budget let go stays let go (those machines are already down); it holds nothing more.
  setHandler(
    unsubscribeFramework,
    ({ frameworkId }) => {
      frameworks.delete(frameworkId);
      snapshots.delete(frameworkId);
      examine();
      refreshDetails();
    },
    { validator: ({ frameworkId, principal }) => ownedBy(frameworkId, principal) },
  );

  setHandler(machineUnavailability, (u) => {
    if (u.unavailability === undefined) machines.delete(u.key);
    else machines.set(u.key, u);
    changes.set(u.key, u);
    refreshDetails();
    // UP again: whatever it held is free, even if its release is lost (e.g. its workflow was terminated by hand).
    if (u.mode === 'UP') release(u.key);
  });

  setHandler(requestDisruption, (request) => {
    const grantedAlready = granted.find((g) => g.machineKey === request.machineKey);
    if (grantedAlready) {
      // Asked again for a machine already let go (a retried signal): answer the same.
      outbox.push({ workflowId: request.workflowId, command: { type: 'disruption-granted' } });
      return;
    }
    const queued = queue.find((q) => q.request.machineKey === request.machineKey);
    if (queued) queued.request = request; // keeps its place
    else queue.push({ request });
    examine();
    refreshDetails();
  });

  setHandler(releaseDisruption, ({ machineKey }) => {
    release(machineKey);
    refreshDetails();
  });

  function ownedBy(frameworkId: string, principal: string | undefined): void {
    const existing = frameworks.get(frameworkId);
    if (existing?.principal !== undefined && existing.principal !== principal) {
      throw ApplicationFailure.create({
        type: ErrorCode.FORBIDDEN,
        message: `framework ${frameworkId} is subscribed by another principal`,
        nonRetryable: true,
      });
    }
  }

  /** Answers to machines, snapshots to new subscribers, and (at most once a second) changes to every subscriber. */
  const send = async (): Promise<void> => {
    const signals: (() => Promise<void>)[] = [];
    const commands = outbox;
    outbox = [];
    for (const c of commands) {
      signals.push(() =>
        getExternalWorkflowHandle(c.workflowId)
          .signal(machineCommand, c.command)
          .catch(() => {
            // The machine's workflow is gone: it neither waits nor holds anything any more.
            const gone = [...granted, ...queue.map((q) => q.request)].find((r) => r.workflowId === c.workflowId);
            if (gone) release(gone.machineKey);
          }),
      );
    }
    const tell = (frameworkId: string, list: MachineUnavailability[], full: boolean) =>
      chunks(list, CHUNK).forEach((part, i) =>
        signals.push(() =>
          getExternalWorkflowHandle(ids.framework(frameworkId))
            // A framework without a mailbox is not listening: nothing to do.
            .signal(frameworkNotices, {
              notices: [{ kind: 'unavailability', machines: part, ...(full && i === 0 ? { full: true } : {}) }],
              atMs: Date.now(),
            })
            .catch(() => undefined),
        ),
      );
    for (const frameworkId of snapshots) if (frameworks.has(frameworkId)) tell(frameworkId, [...machines.values()], true);
    snapshots.clear();
    if (changes.size > 0 && Date.now() >= lastFanOutMs + FAN_OUT_INTERVAL_MS) {
      const batch = [...changes.values()];
      changes.clear();
      lastFanOutMs = Date.now();
      for (const frameworkId of frameworks.keys()) tell(frameworkId, batch, false);
    }
    for (const part of chunks(signals, SIGNAL_BATCH)) await Promise.all(part.map((s) => s()));
  };

  const limit = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const tooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
  const urgent = () => outbox.length > 0 || snapshots.size > 0;
  while (!tooLong()) {
    const fanOutInMs = changes.size > 0 ? lastFanOutMs + FAN_OUT_INTERVAL_MS - Date.now() : undefined;
    if (urgent() || (fanOutInMs !== undefined && fanOutInMs <= 0)) {
      // Only reached once something of the scheduler API happened; the marker keeps old runs replaying.
      if (patched(SCHEDULER_API)) {
        await send();
      } else {
        // Cannot happen (only messages of the scheduler API lead here), but never spin.
        outbox = [];
        snapshots.clear();
        changes.clear();
      }
      continue;
    }
    if (fanOutInMs === undefined) await condition(() => urgent() || changes.size > 0 || tooLong());
    else {
      const summary = `tell every framework of ${count(changes.size, 'machine change')} in ${formatDurationShort(fanOutInMs)} (batched)`;
      await condition(() => urgent() || tooLong(), fanOutInMs, { summary });
    }
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof frameworksWorkflow>({
    ...input,
    resume: [...frameworks.values()],
    state: {
      machines: packMachines([...machines.values()]),
      granted,
      queue,
      changes: {
        keys: [...changes.keys()].filter((k) => machines.get(k) === changes.get(k)),
        out: [...changes.values()].filter((c) => machines.get(c.key) !== c),
      },
      snapshots: [...snapshots],
      outbox,
    },
  });
}

function instanceOf(registryId: string): string {
  const cut = registryId.lastIndexOf('/frameworks');
  return cut > 0 ? registryId.slice(0, cut) : DEFAULT_INSTANCE;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
