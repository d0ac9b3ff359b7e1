// Workflow IDs, derived from domain identity so every surface finds the same workflow. Pure: workflows import it.
import { machineKey, type MachineId } from '../domain/machine';

/** The one schedule entity: which machines are in which window. */
export const SCHEDULE_WORKFLOW_ID = 'maint-schedule';
/** The one framework registry: subscriptions and where events go. */
export const FRAMEWORKS_WORKFLOW_ID = 'maint-frameworks';

export function windowWorkflowId(windowId: string): string {
  return `maint-window/${windowId}`;
}

/** One run per window the machine is in; the ID is the machine's, so Temporal itself refuses two at once. */
export function machineWorkflowId(machine: MachineId): string {
  return `maint-machine/${machineKey(machine)}`;
}

/**
 * Inverse offer IDs carry the machine workflow they belong to, so an answer finds its machine without a lookup:
 * `<machine workflow id>/<unique part>`. Frameworks treat them as opaque, as Mesos offer IDs.
 */
export function inverseOfferId(machineWorkflow: string, unique: string): string {
  return `${machineWorkflow}/${unique}`;
}

export function machineWorkflowOfOffer(offerId: string): string | undefined {
  const cut = offerId.lastIndexOf('/');
  return cut > 0 && offerId.startsWith('maint-machine/') ? offerId.slice(0, cut) : undefined;
}
