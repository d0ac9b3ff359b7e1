// Every side effect maint's workflows have, built by one factory over its dependencies (the cluster driver, the
// framework directory, HTTP, the key that opens webhook secrets). Workflows import only the type:
// `proxyActivities<Activities>()`.
import { createDeadlineKillActivities } from './deadline-kill';
import { createDriverActivities } from './driver';
import { createNotifyActivities } from './notify';
import { createSignalActivities } from './signals';
import { createWebhookActivities } from './webhook';
import type { ActivityDeps } from './deps';

export type { ActivityDeps, FrameworkDirectory } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDriverActivities(deps),
    ...createDeadlineKillActivities(deps),
    ...createNotifyActivities(deps),
    ...createSignalActivities(),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
