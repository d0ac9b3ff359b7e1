// Windows: the use cases every surface (native API, CLI, later the Mesos endpoints) shares.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ErrorCode, isNotFound, MaintError } from '../domain/errors';
import { machineKey, type MachineId } from '../domain/machine';
import type { Policy } from '../domain/policy';
import type { MachineMode, MachineView, Unavailability, WindowView } from '../domain/window';
import { WorkflowIds } from '../temporal/ids';
import { byDeadline } from '../lib/deadline';
import { callTemporal, queryWithin, toMaintError } from '../temporal/client';
import { FIRST_TASK_COMPLETED, hasPublishedState, stateFromMemo, windowViewFromMemo } from '../temporal/published-state';
import { WINDOW } from '../temporal/search-attributes';
import { MachineState, type MachineSnapshot } from '../../workflows/machine-state';
import {
  cancelWindow,
  createWindow,
  downMachines,
  extendWindow,
  machineView,
  upMachines,
  windowView,
  type MachineSelection,
} from '../../workflows/messages';
import type { ScheduleEntity } from './schedule-entity';

export interface WindowRequest {
  machines: MachineId[];
  unavailability: Unavailability;
  deadlineMs: number;
  policy: Policy;
}

export interface WindowDetail {
  window: WindowView;
  machines: MachineView[];
}

export type Extension = { byMs: number } | { deadlineMs: number };

export class WindowService {
  private readonly client: Client;
  private readonly ids: WorkflowIds;

  constructor(private readonly schedule: ScheduleEntity) {
    this.client = schedule.client;
    this.ids = schedule.ids;
  }

  async create(req: WindowRequest, principal: string): Promise<WindowDetail> {
    const spec = await call(() =>
      this.client.workflow.executeUpdateWithStart(createWindow, {
        args: [{ ...req, origin: 'native', createdAtMs: Date.now(), createdBy: principal }],
        startWorkflowOperation: this.schedule.startOperation(),
      }),
    );
    return this.get(spec.id, { freshWindow: true });
  }

  /**
   * The window as its workflow published it, and each of its machines. The machines come from one visibility query
   * (their published states, in Temporal's store), made while the window is described: 50 describes took seconds on a
   * loaded server. Visibility follows each history by a moment, so a listed machine may be that moment behind; one
   * that is behind its window's own mirror (a mode the window has seen it leave), or not listed yet, is described.
   *
   * A read answers within about FRESH_READ_BUDGET_MS: a describe that has not answered by then (a busy server) gives
   * way to what visibility lists, a moment behind. `freshWindow` (after an operator's change, which must show in the
   * answer) waits for the window's own describe whatever it takes; its machines change after it anyway.
   */
  async get(windowId: string, { freshWindow = false } = {}): Promise<WindowDetail> {
    const readyBy = Date.now() + FRESH_READ_BUDGET_MS;
    const described = call(() => this.windowRun(this.ids.window(windowId)), () => notFound(`window ${windowId} does not exist`));
    // Visibility away: each machine is described, and waited for (nothing else would answer for it).
    const listing = this.listing(windowId).catch((): Listing => ({ machines: new Map(), failed: true }));
    const window = freshWindow
      ? await described
      : ((await byDeadline(described, readyBy)) ?? (await Promise.race([described, listing.then((l) => l.window ?? described)])));
    const { machines: listed, failed } = await listing;
    const describeBy = failed ? Infinity : readyBy;
    const now = Date.now();
    const machines = await Promise.all(
      window.machineModes.map(async (entry) => {
        const run = listed.get(this.ids.machine(entry.id));
        // A machine listed behind its window's mirror is waited for: a read never shows it behind (after a cancel, UP).
        return (
          fromListing(run, window, entry, now) ??
          (await byDeadline(this.machineInWindow(entry.id, windowId), run?.state ? Infinity : describeBy)) ??
          listedAsIs(run, window, now) ??
          starting(window, entry)
        );
      }),
    );
    return { window, machines };
  }

  /**
   * The window's run and each of its machines' latest runs in it, as visibility lists them (a machine may have
   * continued as new), in one query.
   */
  private async listing(windowId: string): Promise<Listing> {
    const machinesOf = `WorkflowType = "machineWorkflow" AND ${WINDOW.name} = "${windowId}" AND WorkflowId STARTS_WITH "${this.ids.machinePrefix}"`;
    const query = `(${machinesOf}) OR WorkflowId = "${this.ids.window(windowId)}"`;
    const listing: Listing = { machines: new Map() };
    for await (const row of this.client.workflow.list({ query })) {
      if (row.type !== 'machineWorkflow') {
        listing.window = windowViewFromMemo(row.memo) ?? listing.window;
        continue;
      }
      const run: ListedRun = { startMs: row.startTime.getTime(), published: hasPublishedState(row.memo), state: stateFromMemo(row.memo) };
      const seen = listing.machines.get(row.workflowId);
      if (!seen || run.startMs > seen.startMs) listing.machines.set(row.workflowId, run);
    }
    return listing;
  }

  /**
   * The machine's run for this window: its latest run, or, once it has moved on to a newer window, the older one;
   * undefined while its workflow has not started, or has not yet run its first task (the window's view stands in).
   */
  private async machineInWindow(id: MachineId, windowId: string): Promise<MachineView | undefined> {
    const workflowId = this.ids.machine(id);
    const latest = await absentIfNotFound(() => this.machineRun(workflowId));
    if (!latest) return undefined;
    const forWindow = 'view' in latest ? latest.view.windowId : latest.notRunYetFor;
    if (forWindow === windowId) return 'view' in latest ? latest.view : undefined;
    const query = `WorkflowId = "${workflowId}" AND MaintenanceWindow = "${windowId}"`;
    for await (const run of this.client.workflow.list({ query, pageSize: 1 })) {
      const older = await this.machineRun(workflowId, run.runId);
      return 'view' in older ? older.view : undefined;
    }
    return undefined;
  }

  /** Windows newest first, from Temporal's visibility store (eventually consistent by a moment). */
  async list(limit = 100): Promise<WindowView[]> {
    const ids: string[] = [];
    const query = `WorkflowType = "windowWorkflow" AND WorkflowId STARTS_WITH "${this.ids.window('')}"`;
    for await (const wf of this.client.workflow.list({ query, pageSize: limit })) {
      ids.push(wf.workflowId);
      if (ids.length >= limit) break;
    }
    const views = await Promise.all(ids.map((id) => this.windowRun(id).catch(() => undefined)));
    return views.filter((v): v is WindowView => v !== undefined).sort((a, b) => b.createdAtMs - a.createdAtMs);
  }

  async extend(windowId: string, ext: Extension): Promise<WindowDetail> {
    const current = await call(() => this.windowRun(this.ids.window(windowId)), () => notFound(`window ${windowId} does not exist`));
    const deadlineMs = 'byMs' in ext ? current.deadlineMs + ext.byMs : ext.deadlineMs;
    return this.steer(windowId, 'extended', (h) => h.executeUpdate(extendWindow, { args: [{ deadlineMs }] }));
  }

  async cancel(windowId: string): Promise<WindowDetail> {
    return this.steer(windowId, 'cancelled', (handle) => handle.executeUpdate(cancelWindow, { args: [] }));
  }

  async down(windowId: string, selection: MachineSelection): Promise<WindowDetail> {
    return this.steer(windowId, 'changed', (handle) => handle.executeUpdate(downMachines, { args: [selection] }));
  }

  async up(windowId: string, selection: MachineSelection): Promise<WindowDetail> {
    return this.steer(windowId, 'changed', (handle) => handle.executeUpdate(upMachines, { args: [selection] }));
  }

  /** Sends an operator's update to a window; a window whose workflow has ended is refused with its final state. */
  private async steer(
    windowId: string,
    verb: string,
    update: (handle: WorkflowHandle) => Promise<unknown>,
  ): Promise<WindowDetail> {
    const handle = this.client.workflow.getHandle(this.ids.window(windowId));
    try {
      await update(handle);
    } catch (err) {
      const mapped = toMaintError(err);
      if (!isNotFound(mapped)) throw mapped;
      const ended = await this.windowRun(this.ids.window(windowId)).catch(() => undefined);
      if (!ended) throw notFound(`window ${windowId} does not exist`);
      throw new MaintError(ErrorCode.CONFLICT, `window ${windowId} is ${ended.state} and over: it cannot be ${verb}`);
    }
    return this.get(windowId, { freshWindow: true });
  }

  /**
   * The machine's latest maintenance, or undefined if it never had one. A run that has not run its first task yet
   * reads as its window shows it.
   */
  async machine(id: MachineId): Promise<MachineView | undefined> {
    return absentIfNotFound(async () => {
      const workflowId = this.ids.machine(id);
      const latest = await this.machineRun(workflowId);
      if ('view' in latest) return latest.view;
      const window = latest.notRunYetFor === undefined ? undefined : await this.windowRun(this.ids.window(latest.notRunYetFor));
      const entry = window?.machineModes.find((e) => machineKey(e.id) === machineKey(id));
      return window && entry ? starting(window, entry) : queryWithin(this.client.workflow.getHandle(workflowId), machineView);
    });
  }

  /** The window's view as it published it in its memo (see machineRun); queried if it published none. */
  private async windowRun(workflowId: string): Promise<WindowView> {
    const handle = this.client.workflow.getHandle(workflowId);
    return windowViewFromMemo((await handle.describe()).memo) ?? queryWithin(handle, windowView);
  }

  /**
   * One run of a machine's workflow (its latest without `runId`): the state it published in its memo, read from
   * Temporal's store with no worker involved; a run that published none (started before it did, or too large) is
   * queried. A run that has not completed its first workflow task yet (a busy worker) is not queried: the query would
   * wait for that task, seconds under load. The caller knows from its window what it is.
   */
  private async machineRun(workflowId: string, runId?: string): Promise<{ view: MachineView } | { notRunYetFor?: string }> {
    const handle = this.client.workflow.getHandle(workflowId, runId);
    const described = await handle.describe();
    const state = stateFromMemo(described.memo);
    if (state) return { view: MachineState.resume(state).view(Date.now()) };
    if (described.historyLength < FIRST_TASK_COMPLETED) return { notRunYetFor: described.typedSearchAttributes.get(WINDOW) };
    return { view: await queryWithin(handle, machineView) };
  }
}

/** The order a machine's modes come in within one window (a cancel goes from DRAINING straight to UP). */
const MODE_ORDER: Record<MachineMode, number> = { DRAINING: 0, DOWN: 1, UP: 2 };
/** A run listed without a published state this long after its start is not merely waiting for a busy worker. */
const NOT_RUN_YET_MS = 60_000;
/**
 * How long a window's status waits for describes (Temporal's store: fresh) before answering from visibility (a moment
 * behind). At 1,000 machines in bench:fleet a machine's describe took up to 1.7 s while visibility listed the window's
 * machines in 0.1 s (docs/performance.md, ninth session).
 */
const FRESH_READ_BUDGET_MS = 150;

/** What visibility lists of a window: its run's published view, and its machines' latest runs by workflow ID. */
interface Listing {
  window?: WindowView;
  machines: Map<string, ListedRun>;
  /** The query failed: nothing was listed. */
  failed?: true;
}

/** What visibility lists of one machine's run in a window. */
export interface ListedRun {
  startMs: number;
  /** Its memo has the state key: it has run its first workflow task (the state may be too large to publish). */
  published: boolean;
  state?: MachineSnapshot;
}

/**
 * A window's machine from its listed run, or undefined to describe it: when not listed, when behind the window's
 * own mirror of it (the window has seen it in a later mode; within a mode either may be ahead, as the machine
 * publishes, then tells its window), or when it published no state to read (too large, or a run from before states
 * were published). A run that has published nothing a moment after its start has not run yet: its window stands in.
 */
export function fromListing(
  run: ListedRun | undefined,
  window: WindowView,
  entry: WindowView['machineModes'][number],
  nowMs: number,
): MachineView | undefined {
  if (!run) return undefined;
  if (run.state) {
    const view = listedAsIs(run, window, nowMs);
    return view && MODE_ORDER[view.mode] >= MODE_ORDER[entry.mode] ? view : undefined;
  }
  const notRunYet = !run.published && entry.mode === 'DRAINING' && nowMs - run.startMs < NOT_RUN_YET_MS;
  return notRunYet ? starting(window, entry) : undefined;
}

/** The listed run as it is, when it is this window's (a moment behind: its describe did not answer in time). */
function listedAsIs(run: ListedRun | undefined, window: WindowView, nowMs: number): MachineView | undefined {
  if (!run?.state) return undefined;
  const view = MachineState.resume(run.state).view(nowMs);
  return view.windowId === window.id ? view : undefined;
}

/** A machine whose workflow the window has not started yet (a moment after creation): what the window knows. */
function starting(window: WindowView, entry: WindowView['machineModes'][number]): MachineView {
  return {
    id: entry.id,
    windowId: window.id,
    mode: entry.mode,
    phase: entry.phase,
    unavailability: window.unavailability,
    deadlineMs: window.deadlineMs,
    answers: [],
    outstandingOffers: [],
    remaining: [],
    killed: [],
    waitingOn: 'its workflow to start',
    history: [],
  };
}

function notFound(message: string): MaintError {
  return new MaintError(ErrorCode.NOT_FOUND, message);
}

/** Runs a Temporal call, translating its errors; a workflow that does not exist gives undefined. */
async function absentIfNotFound<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const mapped = toMaintError(err);
    if (isNotFound(mapped)) return undefined;
    throw mapped;
  }
}

/** Runs a Temporal call, translating its errors; `onNotFound` names what was missing. */
async function call<T>(fn: () => Promise<T>, onNotFound?: () => MaintError): Promise<T> {
  try {
    return await callTemporal(fn);
  } catch (mapped) {
    if (onNotFound && isNotFound(mapped)) throw onNotFound();
    throw mapped;
  }
}
