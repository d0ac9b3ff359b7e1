// Every signal, query and update of maint's workflows, defined once for the workflows, the services and the tests.
// Names are recorded in histories: never rename one.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FrameworkSubscription } from '../src/domain/framework';
import type { MachineId } from '../src/domain/machine';
import type { Policy } from '../src/domain/policy';
import type {
  Answer,
  MachineMode,
  MachinePhase,
  MachineView,
  Unavailability,
  WindowSpec,
  WindowView,
} from '../src/domain/window';

// ---- schedule entity (maint-schedule) -------------------------------------------------------------------------

/** A window before the schedule gives it an id. */
export type NewWindow = Omit<WindowSpec, 'id'>;

export interface ScheduledWindow {
  id: string;
  machines: MachineId[];
  /** Keys of the machines still reserved by this window (a machine is released when its workflow ends). */
  reserved: string[];
}

export interface ScheduleView {
  windows: ScheduledWindow[];
}

/** Reserves the machines for a new window and starts its workflow; rejected (nothing changes) on any conflict. */
export const createWindow = defineUpdate<WindowSpec, [NewWindow]>('createWindow');
export const machineReleased = defineSignal<[{ windowId: string; machineKey: string }]>('machineReleased');
export const scheduleView = defineQuery<ScheduleView>('scheduleView');

// ---- window workflow (maint-window/<id>) --------------------------------------------------------------------

export interface MachineProgress {
  machineKey: string;
  mode: MachineMode;
  phase: MachinePhase;
}

export interface MachineSelection {
  /** A subset of the window's machines; all that qualify when absent. */
  machines?: MachineId[];
}

export const windowView = defineQuery<WindowView>('windowView');
export const machineProgress = defineSignal<[MachineProgress]>('machineProgress');
export const extendWindow = defineUpdate<WindowView, [{ deadlineMs: number }]>('extendWindow');
export const cancelWindow = defineUpdate<WindowView, []>('cancelWindow');
export const downMachines = defineUpdate<WindowView, [MachineSelection]>('downMachines');
export const upMachines = defineUpdate<WindowView, [MachineSelection]>('upMachines');

// ---- machine workflow (maint-machine/<key>) -----------------------------------------------------------------

export interface MachineInput {
  /** The maint instance (src/temporal/ids.ts): prefixes every workflow ID this machine talks to. */
  instance: string;
  windowId: string;
  machine: MachineId;
  unavailability: Unavailability;
  deadlineMs: number;
  policy: Policy;
  /** How often the machine is looked at while it drains (answers and commands also wake it). */
  checkIntervalMs: number;
  /** Continue-as-new past this many history events (tests set it low). */
  maxHistoryEvents?: number;
  /** Present when continuing as new: the state to resume from. */
  resume?: unknown;
}

export type MachineCommand =
  | { type: 'extend'; deadlineMs: number; startMs: number }
  | { type: 'cancel' }
  | { type: 'down' }
  | { type: 'up' }
  /** The window lets this machine past DRAINING (maxParallel). */
  | { type: 'proceed' };

export interface InverseOfferAnswers {
  frameworkId: string;
  answer: Answer;
  offerIds: string[];
  atMs: number;
}

export const machineView = defineQuery<MachineView>('machineView');
export const machineCommand = defineSignal<[MachineCommand]>('machineCommand');
export const inverseOfferAnswers = defineSignal<[InverseOfferAnswers]>('inverseOfferAnswers');

// ---- framework registry (maint-frameworks) ------------------------------------------------------------------

export interface Subscribe {
  frameworkId: string;
  name: string;
  principal?: string;
  webhookUrl?: string;
}

export const subscribeFramework = defineUpdate<FrameworkSubscription, [Subscribe]>('subscribeFramework');
export const frameworksView = defineQuery<FrameworkSubscription[]>('frameworksView');
