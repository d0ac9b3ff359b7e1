// Windows, machine modes and what the API reports about them. Pure types: workflows, services and the API share them.
import type { MachineId } from './machine';
import type { Policy } from './policy';

/** Mesos' machine modes. */
export type MachineMode = 'UP' | 'DRAINING' | 'DOWN';
export type WindowState = 'ACTIVE' | 'COMPLETED' | 'CANCELLED';
export type Answer = 'ACCEPT' | 'DECLINE';

/**
 * Instants are epoch milliseconds. No duration means the machines stay DOWN until an operator brings them up.
 * `exact` keeps Mesos' int64 nanoseconds (decimal strings: workflow payloads are JSON) when the unavailability came
 * through the Mesos-compatible endpoints, so what frameworks and Mesos tools read back is what was posted.
 */
export interface Unavailability {
  startMs: number;
  durationMs?: number;
  exact?: { startNs: string; durationNs?: string };
}

/** Where a window came from: the native API, or a schedule posted through the Mesos-compatible endpoints. */
export type WindowOrigin = 'native' | 'mesos';

export interface WindowSpec {
  id: string;
  /** Absent in windows created before maint had Mesos endpoints: native. */
  origin?: WindowOrigin;
  machines: MachineId[];
  unavailability: Unavailability;
  /** When resources must be given back; the unavailability start unless the operator moved it. */
  deadlineMs: number;
  policy: Policy;
  createdAtMs: number;
  /** Who asked: an operator principal, or "anonymous" when authentication is off. */
  createdBy: string;
}

/** One framework's latest answer to the inverse offer for a machine. */
export interface FrameworkAnswer {
  frameworkId: string;
  answer: Answer;
  atMs: number;
  offerId: string;
  /** True when the answer came after the hard drain had started: recorded, but it changed nothing. */
  late: boolean;
}

export interface RemainingTask {
  taskId: string;
  frameworkId: string;
}

/** Something that happened to a machine, and why. */
export interface MachineEvent {
  atMs: number;
  what: string;
  detail?: string;
}

export type MachinePhase =
  | 'draining' // inverse offers out, waiting for frameworks, emptiness or the deadline
  | 'awaiting-operator' // deadline passed with escalation "notify": waits for down, extend or cancel
  | 'waiting-for-slot' // ready to go down, held by the window's maxParallel
  | 'waiting-for-budget' // slot taken, about to be drained hard: waits for the frameworks' disruption budgets
  | 'hard-draining' // killing what is left
  | 'down' // DOWN, waiting for its unavailability to end or an operator's up
  | 'done'; // back UP (or returned to UP by a cancellation)

export interface MachineView {
  id: MachineId;
  windowId: string;
  mode: MachineMode;
  phase: MachinePhase;
  unavailability: Unavailability;
  deadlineMs: number;
  /** When the machine comes back UP by itself, if it will. */
  upAtMs?: number;
  answers: FrameworkAnswer[];
  /** Inverse offers sent and not yet answered or rescinded, by framework. */
  outstandingOffers: { offerId: string; frameworkId: string }[];
  remaining: RemainingTask[];
  killed: RemainingTask[];
  /** What the machine waits on right now, in words. */
  waitingOn: string;
  history: MachineEvent[];
}

export interface WindowView extends WindowSpec {
  state: WindowState;
  cancelledAtMs?: number;
  completedAtMs?: number;
  machineModes: { id: MachineId; mode: MachineMode; phase: MachinePhase }[];
}
