// Workflow IDs, derived from domain identity so every surface finds the same workflow. Pure: workflows import it.
//
// Every ID starts with the instance name (MAINT_INSTANCE, default "maint"), so several maint deployments (or test
// runs) can share one Temporal namespace without meeting: `maint/schedule`, `maint/window/w-3`,
// `maint/machine/h=sim-07;i=192.0.2.7`.
import { machineKey, type MachineId } from '../domain/machine';

export const DEFAULT_INSTANCE = 'maint';
export const INSTANCE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class WorkflowIds {
  constructor(readonly instance: string = DEFAULT_INSTANCE) {}

  /** The one schedule entity: which machines are in which window. */
  get schedule(): string {
    return `${this.instance}/schedule`;
  }

  /** The one framework registry: subscriptions and where events go. */
  get frameworks(): string {
    return `${this.instance}/frameworks`;
  }

  /** One framework's mailbox: its events in order, its webhook, its open inverse offers. */
  framework(frameworkId: string): string {
    return `${this.instance}/framework/${frameworkId}`;
  }

  /** An agent an operator deactivated or drained (Mesos 1.9), by its agent id. */
  agent(agentId: string): string {
    return `${this.instance}/agent/${agentId}`;
  }

  window(windowId: string): string {
    return `${this.instance}/window/${windowId}`;
  }

  /** What every machine workflow ID of this instance starts with. */
  get machinePrefix(): string {
    return `${this.instance}/machine/`;
  }

  /** One run per window the machine is in; the ID is the machine's, so Temporal itself refuses two at once. */
  machine(machine: MachineId): string {
    return `${this.instance}/machine/${machineKey(machine)}`;
  }

  /**
   * Inverse offer IDs carry the machine workflow they belong to, so an answer finds its machine without a lookup:
   * `<machine workflow id>/<unique part>`. Frameworks treat them as opaque, as Mesos offer IDs.
   */
  offer(machineWorkflowId: string, unique: string): string {
    return `${machineWorkflowId}/${unique}`;
  }

  machineOfOffer(offerId: string): string | undefined {
    const cut = offerId.lastIndexOf('/');
    const workflowId = offerId.slice(0, cut);
    return cut > 0 && workflowId.startsWith(`${this.instance}/machine/`) ? workflowId : undefined;
  }
}
