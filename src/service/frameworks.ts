// Frameworks: subscriptions (the durable registry workflow) and their answers to inverse offers (signals to the
// machine workflows the offers belong to).
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Answer } from '../domain/window';
import { isNotFound } from '../domain/errors';
import type { FrameworkSubscription } from '../domain/framework';
import type { WorkflowIds } from '../temporal/ids';
import { toMaintError } from '../temporal/client';
import { frameworksView, inverseOfferAnswers, subscribeFramework, type Subscribe } from '../../workflows/messages';
import type { frameworksWorkflow } from '../../workflows/frameworks';

export class FrameworkService {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly ids: WorkflowIds,
  ) {}

  async subscribe(req: Subscribe): Promise<FrameworkSubscription> {
    const start = new WithStartWorkflowOperation<typeof frameworksWorkflow>('frameworksWorkflow', {
      workflowId: this.ids.frameworks,
      taskQueue: this.taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      return await this.client.workflow.executeUpdateWithStart(subscribeFramework, {
        args: [req],
        startWorkflowOperation: start,
      });
    } catch (err) {
      throw toMaintError(err);
    }
  }

  async list(): Promise<FrameworkSubscription[]> {
    try {
      return await this.client.workflow.getHandle(this.ids.frameworks).query(frameworksView);
    } catch (err) {
      const mapped = toMaintError(err);
      if (isNotFound(mapped)) return []; // nobody subscribed yet
      throw mapped;
    }
  }

  /**
   * Records a framework's answer on every machine its offers belong to. Ids that are unknown or stale are ignored
   * without error, as in Mesos (MESOS-7119); the machine workflow checks each id belongs to this framework.
   */
  async answer(frameworkId: string, answer: Answer, offerIds: string[]): Promise<void> {
    const byMachine = new Map<string, string[]>();
    for (const id of offerIds) {
      const workflowId = this.ids.machineOfOffer(id);
      if (!workflowId) continue;
      byMachine.set(workflowId, [...(byMachine.get(workflowId) ?? []), id]);
    }
    const atMs = Date.now();
    await Promise.all(
      [...byMachine].map(async ([workflowId, ids]) => {
        try {
          await this.client.workflow
            .getHandle(workflowId)
            .signal(inverseOfferAnswers, { frameworkId, answer, offerIds: ids, atMs });
        } catch (err) {
          const mapped = toMaintError(err);
          if (!isNotFound(mapped)) throw mapped; // a finished machine: its offers are stale
        }
      }),
    );
  }
}

/** The framework directory activities use to find webhooks, with a short cache so a burst of notices asks once. */
export function frameworkDirectory(service: FrameworkService, ttlMs = 2_000) {
  let cached: { at: number; byId: Map<string, FrameworkSubscription> } | undefined;
  return {
    async lookup(frameworkId: string): Promise<FrameworkSubscription | undefined> {
      if (!cached || Date.now() - cached.at > ttlMs || !cached.byId.has(frameworkId)) {
        const all = await service.list();
        cached = { at: Date.now(), byId: new Map(all.map((f) => [f.frameworkId, f])) };
      }
      return cached.byId.get(frameworkId);
    },
  };
}
