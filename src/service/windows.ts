// Windows: the use cases every surface (native API, CLI, later the Mesos endpoints) shares.
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ErrorCode, isNotFound, MaintError } from '../domain/errors';
import type { MachineId } from '../domain/machine';
import type { Policy } from '../domain/policy';
import type { MachineView, Unavailability, WindowView } from '../domain/window';
import { SCHEDULE_WORKFLOW_ID, machineWorkflowId, windowWorkflowId } from '../temporal/ids';
import { toMaintError } from '../temporal/client';
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
import type { scheduleWorkflow } from '../../workflows/schedule';
import type { WindowSettings } from '../../workflows/window';

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
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly settings: WindowSettings,
  ) {}

  async create(req: WindowRequest, principal: string): Promise<WindowDetail> {
    const start = new WithStartWorkflowOperation<typeof scheduleWorkflow>('scheduleWorkflow', {
      workflowId: SCHEDULE_WORKFLOW_ID,
      taskQueue: this.taskQueue,
      args: [{ settings: this.settings }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const spec = await call(() =>
      this.client.workflow.executeUpdateWithStart(createWindow, {
        args: [{ ...req, createdAtMs: Date.now(), createdBy: principal }],
        startWorkflowOperation: start,
      }),
    );
    return this.get(spec.id);
  }

  async get(windowId: string): Promise<WindowDetail> {
    const window = await call(() => this.client.workflow.getHandle(windowWorkflowId(windowId)).query(windowView), () =>
      notFound(`window ${windowId} does not exist`),
    );
    const machines = await Promise.all(window.machines.map((id) => this.machineInWindow(id, windowId)));
    return { window, machines: machines.filter((m): m is MachineView => m !== undefined) };
  }

  /** The machine's run for this window: its latest run, or, once it has moved on to a newer window, the older one. */
  private async machineInWindow(id: MachineId, windowId: string): Promise<MachineView | undefined> {
    const latest = await this.machine(id);
    if (!latest || latest.windowId === windowId) return latest;
    const workflowId = machineWorkflowId(id);
    const query = `WorkflowId = "${workflowId}" AND MaintenanceWindow = "${windowId}"`;
    for await (const run of this.client.workflow.list({ query, pageSize: 1 })) {
      return this.client.workflow.getHandle(workflowId, run.runId).query(machineView);
    }
    return undefined;
  }

  /** Windows newest first, from Temporal's visibility store (eventually consistent by a moment). */
  async list(limit = 100): Promise<WindowView[]> {
    const ids: string[] = [];
    for await (const wf of this.client.workflow.list({ query: 'WorkflowType = "windowWorkflow"', pageSize: limit })) {
      ids.push(wf.workflowId);
      if (ids.length >= limit) break;
    }
    const views = await Promise.all(
      ids.map((id) => this.client.workflow.getHandle(id).query(windowView).catch(() => undefined)),
    );
    return views.filter((v): v is WindowView => v !== undefined).sort((a, b) => b.createdAtMs - a.createdAtMs);
  }

  async extend(windowId: string, ext: Extension): Promise<WindowDetail> {
    const handle = this.client.workflow.getHandle(windowWorkflowId(windowId));
    const current = await call(() => handle.query(windowView), () => notFound(`window ${windowId} does not exist`));
    const deadlineMs = 'byMs' in ext ? current.deadlineMs + ext.byMs : ext.deadlineMs;
    await call(() => handle.executeUpdate(extendWindow, { args: [{ deadlineMs }] }));
    return this.get(windowId);
  }

  async cancel(windowId: string): Promise<WindowDetail> {
    await call(
      () => this.client.workflow.getHandle(windowWorkflowId(windowId)).executeUpdate(cancelWindow, { args: [] }),
      () => notFound(`window ${windowId} does not exist`),
    );
    return this.get(windowId);
  }

  async down(windowId: string, selection: MachineSelection): Promise<WindowDetail> {
    await call(
      () =>
        this.client.workflow.getHandle(windowWorkflowId(windowId)).executeUpdate(downMachines, { args: [selection] }),
      () => notFound(`window ${windowId} does not exist`),
    );
    return this.get(windowId);
  }

  async up(windowId: string, selection: MachineSelection): Promise<WindowDetail> {
    await call(
      () => this.client.workflow.getHandle(windowWorkflowId(windowId)).executeUpdate(upMachines, { args: [selection] }),
      () => notFound(`window ${windowId} does not exist`),
    );
    return this.get(windowId);
  }

  /** The machine's latest maintenance, or undefined if it never had one. */
  async machine(id: MachineId): Promise<MachineView | undefined> {
    try {
      return await this.client.workflow.getHandle(machineWorkflowId(id)).query(machineView);
    } catch (err) {
      const mapped = toMaintError(err);
      if (isNotFound(mapped)) return undefined;
      throw mapped;
    }
  }
}

function notFound(message: string): MaintError {
  return new MaintError(ErrorCode.NOT_FOUND, message);
}

/** Runs a Temporal call, translating its errors; `onNotFound` names what was missing. */
async function call<T>(fn: () => Promise<T>, onNotFound?: () => MaintError): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const mapped = toMaintError(err);
    if (onNotFound && isNotFound(mapped)) throw onNotFound();
    throw mapped;
  }
}
