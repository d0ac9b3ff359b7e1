// Windows: the use cases every surface (native API, CLI, later the Mesos endpoints) shares.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ErrorCode, isNotFound, MaintError } from '../domain/errors';
import { machineKey, type MachineId } from '../domain/machine';
import type { Policy } from '../domain/policy';
import type { MachineView, Unavailability, WindowView } from '../domain/window';
import { WorkflowIds } from '../temporal/ids';
import { callTemporal, queryWithin, toMaintError } from '../temporal/client';
import { FIRST_TASK_COMPLETED, stateFromMemo, windowViewFromMemo } from '../temporal/published-state';
import { WINDOW } from '../temporal/search-attributes';
import { MachineState } from '../../workflows/machine-state';
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
    return this.get(spec.id);
  }

  async get(windowId: string): Promise<WindowDetail> {
    const window = await call(() => this.windowRun(this.ids.window(windowId)), () => notFound(`window ${windowId} does not exist`));
    const machines = await Promise.all(
      window.machineModes.map(async (entry) => (await this.machineInWindow(entry.id, windowId)) ?? starting(window, entry)),
    );
    return { window, machines };
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
    return this.get(windowId);
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
