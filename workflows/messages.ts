// Every signal, query and update of maint's workflows, defined once for the workflows, the services and the tests.
// Names are recorded in histories: never rename one.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentMaintenance, DrainConfig } from '../src/domain/agent';
import type {
  DisruptionBudget,
  FrameworkNotice,
  FrameworkSubscription,
  MachineUnavailability,
  OfferNotice,
  Plan,
} from '../src/domain/framework';
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

/**
 * The schedule as Mesos sees it (one state with the native windows), compact because it is read whole at 10,000
 * machines and a query answer must stay under Temporal's 2 MB: its windows in order with the machines still in
 * maintenance as they were posted, which of them are DOWN (the rest are DRAINING; UP machines are not in it), and the
 * spelling Mesos' status uses where it differs from the posted one (the spelling a machine was first scheduled with).
 */
export interface MesosScheduleView {
  windows: { machines: MachineId[]; unavailability: Unavailability }[];
  /** Keys (machineKey) of the DOWN machines. */
  down: string[];
  /** First-seen spellings that differ from the posted ones, by key. */
  firstSpelling: Record<string, MachineId>;
}

/** A posted Mesos schedule, validated by Mesos' stateless rules; the workflow checks the rules that need state. */
export interface PostedSchedule {
  windows: { machines: MachineId[]; unavailability: Unavailability }[];
  /** The principal may not update the schedule of these machines (Mesos answers 403 after its 400 checks). */
  denied: boolean;
  createdBy: string;
  createdAtMs: number;
}

/** Mesos' machine/down (START_MAINTENANCE) and machine/up (STOP_MAINTENANCE). */
export interface MaintenanceRequest {
  machines: MachineId[];
  /** Index of the first machine the principal may not act on; Mesos checks it after that machine's 400 rules. */
  deniedAt?: number;
  /** Keys of machines the cluster runs agents on: Mesos knows them (UP) even if never scheduled. */
  clusterMachines: string[];
}

export const updateMesosSchedule = defineUpdate<void, [PostedSchedule]>('updateMesosSchedule');
export const startMaintenance = defineUpdate<void, [MaintenanceRequest]>('startMaintenance');
export const stopMaintenance = defineUpdate<void, [MaintenanceRequest]>('stopMaintenance');
/** A machine workflow tells the schedule it went DOWN or back UP. */
export interface ModeChange {
  windowId: string;
  machineKey: string;
  mode: MachineMode;
  machine?: MachineId;
  unavailability?: Unavailability;
  /** UP, the run's last report: the machine is free for its next window as well (release-with-up). */
  released?: boolean;
}
export const machineModeChanged = defineSignal<[ModeChange]>('machineModeChanged');

/** Reserves the machines for a new window and starts its workflow; rejected (nothing changes) on any conflict. */
export const createWindow = defineUpdate<WindowSpec, [NewWindow]>('createWindow');
export const machineReleased = defineSignal<[{ windowId: string; machineKey: string }]>('machineReleased');
export const scheduleView = defineQuery<ScheduleView>('scheduleView');
export const mesosScheduleView = defineQuery<MesosScheduleView>('mesosScheduleView');

// ---- window workflow (maint-window/<id>) --------------------------------------------------------------------

export interface MachineProgress {
  machineKey: string;
  mode: MachineMode;
  phase: MachinePhase;
  /** For the window's current details only: tasks at the machine's last look (absent before it looked). */
  remaining?: number;
  /** For the window's current details only: when the machine comes back UP by itself. */
  upAtMs?: number;
}

/** Commands the schedule sends a window's machines (Mesos endpoints); the window forwards them once started. */
export interface WindowCommands {
  commands: { machineKey: string; command: MachineCommand }[];
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
export const windowCommands = defineSignal<[WindowCommands]>('windowCommands');

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
  /**
   * Arm the deadline's kills ahead of it (armed-kills); on unless false. Off only where an activity's clock is not the
   * workflow's: the time-skipping test server skips a workflow's timers, not an activity's sleep.
   */
  armDeadlineKills?: boolean;
  /** Present when continuing as new: the state to resume from. */
  resume?: unknown;
}

export type MachineCommand =
  | { type: 'extend'; deadlineMs: number; startMs: number }
  | { type: 'cancel' }
  | { type: 'down' }
  | { type: 'up' }
  /** A Mesos schedule POST gave the machine a (possibly unchanged) unavailability: re-offer, answers wiped. */
  | { type: 'reschedule'; unavailability: Unavailability }
  /** The window lets this machine past DRAINING (maxParallel). */
  | { type: 'proceed' }
  /** The frameworks' disruption budgets let this machine be drained hard (registry's answer to requestDisruption). */
  | { type: 'disruption-granted' }
  /** Not yet: why, in words (e.g. "framework mover: 2 of 2 machines hosting it down (sim-01, sim-02)"). */
  | { type: 'disruption-held'; why: string }
  /**
   * Its window's armed kills killed what ran here at the deadline, at `atMs` (window-arms-kills). `windowId`: that
   * window (absent in commands sent before it was given); a run of another window ignores the command.
   */
  | { type: 'deadline-kills'; atMs: number; windowId?: string };

export interface InverseOfferAnswers {
  frameworkId: string;
  answer: Answer;
  offerIds: string[];
  atMs: number;
  /** Mesos' refuse filter in ms (0 = none). Absent in answers recorded before filters: never offered again. */
  refuseMs?: number;
  /** How the framework will handle this machine; absent = MOVE. */
  plan?: Plan;
}

export const machineView = defineQuery<MachineView>('machineView');
export const machineCommand = defineSignal<[MachineCommand]>('machineCommand');
export const inverseOfferAnswers = defineSignal<[InverseOfferAnswers]>('inverseOfferAnswers');

// ---- framework registry (maint/frameworks): subscriptions, what every framework is told, disruption budgets -------

export interface Subscribe {
  frameworkId: string;
  name: string;
  principal?: string;
  webhookUrl?: string;
  partitionAware?: boolean;
  budget?: DisruptionBudget;
}

export const subscribeFramework = defineUpdate<FrameworkSubscription, [Subscribe]>('subscribeFramework');
/** Removes the subscription (Mesos' TEARDOWN); FORBIDDEN for another principal. */
export const unsubscribeFramework = defineUpdate<void, [{ frameworkId: string; principal?: string }]>(
  'unsubscribeFramework',
);
export const frameworksView = defineQuery<FrameworkSubscription[]>('frameworksView');
/** A machine workflow reports its mode and unavailability; the registry tells every subscribed framework. */
export const machineUnavailability = defineSignal<[MachineUnavailability]>('machineUnavailability');
/**
 * The machines in maintenance, as frameworks are told: those that may be one of `machines` (placement advice asks
 * about its candidates), or all of them. All of them at 10,000 machines is more than a query answer may hold (2 MB).
 */
export const unavailabilityView = defineQuery<MachineUnavailability[], [{ machines?: MachineId[] }?]>('unavailabilityView');

/** A machine ready to be drained hard asks the frameworks' budgets; the registry answers with a machineCommand. */
export interface DisruptionRequest {
  machineKey: string;
  /** The machine workflow to answer. */
  workflowId: string;
  /** For status texts, e.g. "sim-07 (192.0.2.7)". */
  label: string;
  /** Tasks the hard drain will kill, per framework. */
  tasksByFramework: Record<string, number>;
}
export const requestDisruption = defineSignal<[DisruptionRequest]>('requestDisruption');
/** The machine is UP again (or will not go down after all): its share of every budget is free. */
export const releaseDisruption = defineSignal<[{ machineKey: string }]>('releaseDisruption');

export interface BudgetUse {
  frameworkId: string;
  budget: DisruptionBudget;
  tasksKilled: number;
  machinesDown: string[];
  /** Labels of machines waiting on this budget. */
  waiting: string[];
}
export const budgetsView = defineQuery<BudgetUse[]>('budgetsView');

// ---- framework mailbox (maint/framework/<id>): one per framework, its events in order ------------------------------

export interface MailboxInput {
  instance: string;
  frameworkId: string;
  maxHistoryEvents?: number;
  resume?: unknown;
}

export interface ConfigureMailbox {
  subscription: FrameworkSubscription;
  /** The webhook's HMAC key, sealed (src/lib/sealed.ts): histories never hold it in clear. */
  sealedSecret?: string;
}

/** Subscribe (again): FORBIDDEN when another principal holds this framework id. */
export const configureMailbox = defineUpdate<FrameworkSubscription, [ConfigureMailbox]>('configureMailbox');
/** Unsubscribe: the mailbox stops delivering and ends. */
export const closeMailbox = defineUpdate<void, [{ principal?: string }]>('closeMailbox');

/** Notices for this framework, from machine, agent and registry workflows. */
export const frameworkNotices = defineSignal<[{ notices: FrameworkNotice[]; atMs: number }]>('frameworkNotices');

export interface AnswerCall {
  /** The authenticated principal; FORBIDDEN when it is not the framework's. */
  principal?: string;
  answer: Answer;
  offerIds: string[];
  /** Mesos' refuse filter, already normalised (default 5 s, negative 5 s, at most 365 days; 0 = no filter). */
  refuseMs: number;
  plan?: Plan;
  atMs: number;
}

/** Records the answer to the framework's own open offers and forwards it to their machines; others are ignored. */
export const answerInverseOffers = defineUpdate<{ recorded: string[]; ignored: string[] }, [AnswerCall]>(
  'answerInverseOffers',
);

export interface MailboxEvent {
  seq: number;
  atMs: number;
  notice: FrameworkNotice;
}

export interface MailboxPage {
  subscription: FrameworkSubscription;
  /** False once unsubscribed. */
  subscribed: boolean;
  /** Events after the asked seq, oldest first (at most `limit`). */
  events: MailboxEvent[];
  /** The oldest seq still kept; a reader behind it missed events and gets `resync` too. */
  firstSeq: number;
  lastSeq: number;
  /** When the reader is behind the log: what is still relevant (every open offer, every machine in maintenance). */
  resync?: FrameworkNotice[];
  /** Open inverse offers (sent, not answered, not rescinded). */
  outstanding: OfferNotice[];
  webhook?: { url: string; deliveredSeq: number; lastError?: string };
}
export const mailboxEvents = defineQuery<MailboxPage, [{ afterSeq?: number; limit?: number }]>('mailboxEvents');

// ---- agents (maint-agent/<agent id>): Mesos 1.9 DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT -------------------

export interface AgentInput {
  instance: string;
  agentId: string;
  maxHistoryEvents?: number;
  resume?: AgentMaintenance;
}

export const drainAgent = defineUpdate<void, [DrainConfig & { atMs: number }]>('drainAgent');
export const deactivateAgent = defineUpdate<void, []>('deactivateAgent');
export const reactivateAgent = defineUpdate<void, []>('reactivateAgent');
export const agentView = defineQuery<AgentMaintenance>('agentView');
