// The framework registry: who subscribed and where their events go. Durable, unlike Mesos' in-memory framework list,
// so a restart of maint's API loses no subscription.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorCode } from '../src/domain/errors';
import type { FrameworkSubscription } from '../src/domain/framework';
import { frameworksView, subscribeFramework } from './messages';

export interface FrameworksInput {
  maxHistoryEvents?: number;
  resume?: FrameworkSubscription[];
}

const DEFAULT_MAX_HISTORY_EVENTS = 5_000;

export async function frameworksWorkflow(input: FrameworksInput): Promise<void> {
  const frameworks = new Map((input.resume ?? []).map((f) => [f.frameworkId, f]));

  setHandler(frameworksView, () => [...frameworks.values()]);
  setHandler(
    subscribeFramework,
    (req) => {
      const subscription: FrameworkSubscription = { ...req, subscribedAtMs: Date.now() };
      frameworks.set(req.frameworkId, subscription);
      return subscription;
    },
    {
      validator: (req) => {
        const existing = frameworks.get(req.frameworkId);
        if (existing?.principal !== undefined && existing.principal !== req.principal) {
          throw ApplicationFailure.create({
            type: ErrorCode.FORBIDDEN,
            message: `framework ${req.frameworkId} is subscribed by another principal`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  const limit = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof frameworksWorkflow>({ ...input, resume: [...frameworks.values()] });
}
