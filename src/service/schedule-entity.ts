// The schedule entity as services reach it: started on first use (update-with-start), read by query.
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { isNotFound } from '../domain/errors';
import { WorkflowIds } from '../temporal/ids';
import { queryWithin, toMaintError } from '../temporal/client';
import { mesosScheduleView, type MesosScheduleView } from '../../workflows/messages';
import type { scheduleWorkflow, ScheduleSettings } from '../../workflows/schedule';

export class ScheduleEntity {
  readonly ids: WorkflowIds;

  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    readonly settings: ScheduleSettings,
    /** Continue-as-new past this many events (tests set it low to exercise it). */
    private readonly maxHistoryEvents?: number,
  ) {
    this.ids = new WorkflowIds(settings.instance);
  }

  /** The start half of an update-with-start: the schedule runs from the first change on. */
  startOperation(): WithStartWorkflowOperation<typeof scheduleWorkflow> {
    return new WithStartWorkflowOperation<typeof scheduleWorkflow>('scheduleWorkflow', {
      workflowId: this.ids.schedule,
      taskQueue: this.taskQueue,
      args: [{ settings: this.settings, ...(this.maxHistoryEvents ? { maxHistoryEvents: this.maxHistoryEvents } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: "maintenance schedule: every window, Mesos' schedule and each machine's mode",
    });
  }

  /** The schedule as Mesos sees it now; empty before anything was ever scheduled. */
  async view(): Promise<MesosScheduleView> {
    try {
      return await queryWithin(this.client.workflow.getHandle(this.ids.schedule), mesosScheduleView);
    } catch (err) {
      const mapped = toMaintError(err);
      if (isNotFound(mapped)) return { windows: [], down: [], firstSpelling: {} };
      throw mapped;
    }
  }
}
