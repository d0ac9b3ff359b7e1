// One machine's maintenance: its state and rules, without Temporal (machine.ts drives time and side effects).
// Everything here is plain data so it survives continue-as-new as a snapshot.
import type { FrameworkNotice } from '../src/domain/framework';
import { machineKey, machineLabel } from '../src/domain/machine';
import type {
  FrameworkAnswer,
  MachineEvent,
  MachineMode,
  MachinePhase,
  MachineView,
  RemainingTask,
  Unavailability,
} from '../src/domain/window';
import type { Policy } from '../src/domain/policy';
import { formatDuration } from '../src/domain/time';
import type { MachineTasks } from '../activities/driver';
import type { DeliveryOutcome } from '../activities/notify';
import type { InverseOfferAnswers, MachineCommand, MachineInput } from './messages';

export interface OfferRecord {
  offerId: string;
  frameworkId: string;
  agentId: string;
}

export interface PendingDelivery {
  idempotencyKey: string;
  frameworkId: string;
  notice: FrameworkNotice;
}

/** Operator and window requests, applied by the signal handler and consumed by the workflow loop. */
interface Requests {
  cancel: boolean;
  down: boolean;
  up: boolean;
  proceed: boolean;
  /** Unavailability moved: inverse offers must be re-sent. */
  reoffer: boolean;
}

export interface MachineSnapshot {
  windowId: string;
  machine: MachineInput['machine'];
  policy: Policy;
  mode: MachineMode;
  phase: MachinePhase;
  unavailability: Unavailability;
  deadlineMs: number;
  upAtMs?: number;
  autoUp: boolean;
  known: boolean;
  agentId?: string;
  heldForSlot: boolean;
  slotGranted: boolean;
  answers: FrameworkAnswer[];
  offers: OfferRecord[];
  /** Offers taken back; an answer to one is still recorded (as late), though it changes nothing. */
  rescinded: OfferRecord[];
  remaining: RemainingTask[];
  killed: RemainingTask[];
  history: MachineEvent[];
  deliveries: PendingDelivery[];
  requests: Requests;
}

const BEFORE_DOWN: readonly MachinePhase[] = ['draining', 'awaiting-operator', 'waiting-for-slot'];

export class MachineState {
  /** Set by any message; the workflow loop wakes on it. */
  wake = false;

  private constructor(private s: MachineSnapshot) {}

  static start(input: MachineInput, nowMs: number): MachineState {
    const state = new MachineState({
      windowId: input.windowId,
      machine: input.machine,
      policy: input.policy,
      mode: 'DRAINING',
      phase: 'draining',
      unavailability: input.unavailability,
      deadlineMs: input.deadlineMs,
      autoUp: input.policy.autoUp,
      known: true,
      heldForSlot: false,
      slotGranted: false,
      answers: [],
      offers: [],
      rescinded: [],
      remaining: [],
      killed: [],
      history: [],
      deliveries: [],
      requests: { cancel: false, down: false, up: false, proceed: false, reoffer: false },
    });
    state.log(nowMs, 'DRAINING', `scheduled in window ${input.windowId}; deadline ${iso(input.deadlineMs)}`);
    return state;
  }

  static resume(snapshot: MachineSnapshot): MachineState {
    return new MachineState(snapshot);
  }

  snapshot(): MachineSnapshot {
    return this.s;
  }

  get phase(): MachinePhase {
    return this.s.phase;
  }
  get mode(): MachineMode {
    return this.s.mode;
  }
  get machine() {
    return this.s.machine;
  }
  get key(): string {
    return machineKey(this.s.machine);
  }
  get windowId(): string {
    return this.s.windowId;
  }
  get deadlineMs(): number {
    return this.s.deadlineMs;
  }
  get unavailability(): Unavailability {
    return this.s.unavailability;
  }
  get upAtMs(): number | undefined {
    return this.s.upAtMs;
  }
  get policy(): Policy {
    return this.s.policy;
  }
  get known(): boolean {
    return this.s.known;
  }
  get requests(): Readonly<Requests> {
    return this.s.requests;
  }
  get isEmpty(): boolean {
    return this.s.remaining.length === 0;
  }
  get beforeDown(): boolean {
    return BEFORE_DOWN.includes(this.s.phase);
  }
  get deliveries(): readonly PendingDelivery[] {
    return this.s.deliveries;
  }

  log(atMs: number, what: string, detail?: string): void {
    this.s.history.push(detail === undefined ? { atMs, what } : { atMs, what, detail });
  }

  // ---- messages -------------------------------------------------------------------------------------------------

  command(cmd: MachineCommand, nowMs: number): void {
    this.wake = true;
    const r = this.s.requests;
    switch (cmd.type) {
      case 'extend':
        if (!this.beforeDown) return this.log(nowMs, 'extension ignored', `machine is already ${this.s.mode} (${this.s.phase})`);
        this.s.deadlineMs = cmd.deadlineMs;
        this.s.unavailability = { ...this.s.unavailability, startMs: cmd.startMs };
        r.reoffer = true;
        if (this.s.phase === 'awaiting-operator') this.s.phase = 'draining';
        return this.log(nowMs, 'deadline extended', `new deadline ${iso(cmd.deadlineMs)}`);
      case 'cancel':
        r.cancel = true;
        if (this.s.phase === 'down' || this.s.phase === 'hard-draining') {
          this.s.autoUp = false;
          this.s.upAtMs = undefined;
          return this.log(nowMs, 'window cancelled', 'machine stays DOWN until an operator brings it up');
        }
        return this.log(nowMs, 'window cancelled');
      case 'down':
        if (!this.beforeDown) return this.log(nowMs, 'down ignored', `machine is already ${this.s.phase}`);
        r.down = true;
        return this.log(nowMs, 'down requested by operator');
      case 'up':
        // An up right behind a down not yet carried out (Mesos' machine/down then machine/up) applies once DOWN.
        if (this.s.phase !== 'down' && this.s.phase !== 'hard-draining' && !r.down) {
          return this.log(nowMs, 'up ignored', `machine is ${this.s.mode}, not DOWN`);
        }
        r.up = true;
        return this.log(nowMs, 'up requested by operator');
      case 'proceed':
        r.proceed = true;
        return;
      case 'reschedule':
        return this.reschedule(cmd.unavailability, nowMs);
    }
  }

  /**
   * A Mesos schedule POST named this machine again: it takes the new unavailability whatever its mode, and, as in
   * Mesos, its inverse offers are rescinded and re-sent and its answers wiped, even when nothing changed. The deadline
   * moves with the start.
   */
  private reschedule(u: Unavailability, nowMs: number): void {
    const moved = u.startMs - this.s.unavailability.startMs;
    this.s.unavailability = u;
    if (this.beforeDown) {
      this.s.deadlineMs += moved;
      this.s.requests.reoffer = true;
      if (this.s.phase === 'awaiting-operator' && this.s.deadlineMs > nowMs) this.s.phase = 'draining';
    } else if (this.s.upAtMs !== undefined && u.durationMs !== undefined) {
      this.s.upAtMs = u.startMs + u.durationMs;
    }
    this.log(nowMs, 'rescheduled', `unavailability from ${iso(u.startMs)}${u.durationMs === undefined ? '' : ` for ${formatDuration(u.durationMs)}`}`);
  }

  /** The answers Mesos reports as inverse offer statuses: the latest per framework. */
  get answers(): { frameworkId: string; answer: FrameworkAnswer['answer']; atMs: number }[] {
    return this.s.answers.map(({ frameworkId, answer, atMs }) => ({ frameworkId, answer, atMs }));
  }

  /**
   * Records frameworks' answers. Ids that are unknown or another framework's are ignored, as Mesos does. An answer
   * to an offer already rescinded (the hard drain started, the window was cancelled) is kept as late: it is part of
   * what happened, though it changes nothing.
   */
  recordAnswers(a: InverseOfferAnswers): void {
    this.wake = true;
    for (const offerId of a.offerIds) {
      const mine = (o: OfferRecord) => o.offerId === offerId && o.frameworkId === a.frameworkId;
      const open = this.s.offers.find(mine);
      const rescinded = this.s.rescinded.find(mine);
      if (!open && !rescinded) continue;
      const late = !open || !this.beforeDown;
      this.s.offers = this.s.offers.filter((o) => o !== open);
      this.s.rescinded = this.s.rescinded.filter((o) => o !== rescinded);
      this.s.answers = this.s.answers.filter((x) => x.frameworkId !== a.frameworkId);
      this.s.answers.push({ frameworkId: a.frameworkId, answer: a.answer, atMs: a.atMs, offerId, late });
      this.log(a.atMs, `${a.frameworkId} answered ${a.answer}`, late ? 'after the hard drain started' : undefined);
    }
  }

  // ---- draining -------------------------------------------------------------------------------------------------

  /**
   * Takes in what runs on the machine now. Returns the inverse offers to send: one per framework holding tasks
   * here that has none outstanding and has not answered the current unavailability.
   */
  observe(seen: MachineTasks, nowMs: number, newOfferId: () => string): PendingDelivery[] {
    this.s.known = seen.known;
    this.s.agentId = seen.agentId ?? this.s.agentId;
    const before = this.s.remaining.length;
    this.s.remaining = seen.tasks.map((t) => ({ taskId: t.taskId, frameworkId: t.frameworkId }));
    if (before !== this.s.remaining.length) {
      this.log(nowMs, 'tasks remaining', `${this.s.remaining.length} on the machine`);
    }
    const toSend: PendingDelivery[] = [];
    if (this.s.requests.reoffer) {
      this.s.requests.reoffer = false;
      toSend.push(...this.rescindOutstanding());
      // Answers were about the old unavailability: as in Mesos, they are wiped and late answers to them ignored.
      this.s.answers = [];
      this.s.rescinded = [];
    }
    if (this.s.phase !== 'draining') return this.queue(toSend);
    const frameworks = new Map<string, string>(); // framework -> agent
    for (const t of seen.tasks) frameworks.set(t.frameworkId, t.agentId);
    for (const [frameworkId, agentId] of frameworks) {
      const pending = this.s.offers.some((o) => o.frameworkId === frameworkId);
      const answered = this.s.answers.some((a) => a.frameworkId === frameworkId);
      if (pending || answered) continue;
      const offerId = newOfferId();
      this.s.offers.push({ offerId, frameworkId, agentId });
      this.log(nowMs, `inverse offer to ${frameworkId}`, offerId);
      toSend.push({
        idempotencyKey: offerId,
        frameworkId,
        notice: { kind: 'inverse-offers', offers: [{ offerId, agentId, unavailability: this.s.unavailability }] },
      });
    }
    return this.queue(toSend);
  }

  /** What the drain waits for next, or what it does now. */
  nextDrainStep(nowMs: number): 'cancel' | 'go-down' | 'escalate' | 'wait' {
    const r = this.s.requests;
    if (r.cancel) return 'cancel';
    if (r.down) return 'go-down'; // an operator's down skips pacing
    if (this.s.phase === 'waiting-for-slot') return r.proceed ? 'go-down' : 'wait';
    const draining = this.s.phase === 'draining' || this.s.phase === 'awaiting-operator';
    if (draining && this.isEmpty && this.s.policy.downWhenDrained) return 'go-down';
    if (this.s.phase === 'draining' && nowMs >= this.s.deadlineMs && this.s.policy.escalation !== 'none') return 'escalate';
    return 'wait';
  }

  /** The deadline passed: hard drain, or (escalation "notify") report and wait for the operator. */
  escalate(nowMs: number): 'go-down' | 'wait' {
    if (this.s.policy.escalation === 'notify') {
      this.s.phase = 'awaiting-operator';
      this.log(nowMs, 'deadline passed', `${this.s.remaining.length} tasks remain; waiting for an operator`);
      return 'wait';
    }
    this.log(nowMs, 'deadline passed', `${this.s.remaining.length} tasks remain`);
    return 'go-down';
  }

  /** Ready to leave DRAINING: true when it may go now, false when it must wait for a slot (maxParallel). */
  mayGoDown(nowMs: number): boolean {
    if (this.s.policy.maxParallel === undefined || this.s.requests.down || this.s.requests.proceed) return true;
    if (this.s.phase !== 'waiting-for-slot') {
      this.s.phase = 'waiting-for-slot';
      this.s.heldForSlot = true;
      this.log(nowMs, 'waiting for a slot', `at most ${this.s.policy.maxParallel} machines of the window down at once`);
    }
    return false;
  }

  startHardDrain(nowMs: number): PendingDelivery[] {
    this.s.phase = 'hard-draining';
    const why = this.s.requests.down ? 'operator' : this.isEmpty ? 'drained' : 'deadline';
    this.log(nowMs, 'hard drain', `${why}: killing ${this.s.remaining.length} tasks`);
    return this.queue(this.rescindOutstanding());
  }

  markDown(killed: RemainingTask[], nowMs: number): void {
    this.s.killed = killed;
    this.s.remaining = [];
    this.s.mode = 'DOWN';
    this.s.phase = 'down';
    const { startMs, durationMs } = this.s.unavailability;
    if (this.s.autoUp && durationMs !== undefined && !this.s.requests.cancel) {
      // A machine held back by maxParallel gets its whole duration from when it really went down.
      this.s.upAtMs = (this.s.heldForSlot ? Math.max(startMs, nowMs) : startMs) + durationMs;
    }
    this.log(nowMs, 'DOWN', this.s.upAtMs === undefined ? 'until an operator brings it up' : `up at ${iso(this.s.upAtMs)}`);
  }

  markUp(nowMs: number, why: string): void {
    this.s.mode = 'UP';
    this.s.phase = 'done';
    this.s.upAtMs = undefined;
    this.log(nowMs, 'UP', why);
  }

  cancelDrain(nowMs: number): PendingDelivery[] {
    const rescinds = this.rescindOutstanding();
    this.markUp(nowMs, 'window cancelled before the machine went down');
    return this.queue(rescinds);
  }

  // ---- deliveries -----------------------------------------------------------------------------------------------

  deliveryDone(idempotencyKey: string, outcome: DeliveryOutcome | { failed: string }, nowMs: number): void {
    const d = this.s.deliveries.find((x) => x.idempotencyKey === idempotencyKey);
    if (!d) return;
    this.s.deliveries = this.s.deliveries.filter((x) => x !== d);
    const what = d.notice.kind === 'inverse-offers' ? 'inverse offer' : 'rescind';
    if (typeof outcome === 'object') this.log(nowMs, `${what} to ${d.frameworkId} not delivered`, outcome.failed);
    else if (outcome === 'no-webhook') this.log(nowMs, `${what} for ${d.frameworkId} kept for pull`, 'no webhook');
  }

  private rescindOutstanding(): PendingDelivery[] {
    this.s.rescinded.push(...this.s.offers);
    const out = this.s.offers.map((o) => ({
      idempotencyKey: `${o.offerId}/rescind`,
      frameworkId: o.frameworkId,
      notice: { kind: 'rescind-inverse-offer' as const, offerId: o.offerId },
    }));
    this.s.offers = [];
    return out;
  }

  private queue(deliveries: PendingDelivery[]): PendingDelivery[] {
    this.s.deliveries.push(...deliveries);
    return deliveries;
  }

  // ---- views ------------------------------------------------------------------------------------------------------

  waitingOn(nowMs: number): string {
    const s = this.s;
    switch (s.phase) {
      case 'draining': {
        const unanswered = s.offers.map((o) => o.frameworkId);
        const parts =
          s.policy.escalation === 'none' && nowMs >= s.deadlineMs
            ? ['an operator to bring it down (escalation none: nothing happens at the deadline, as in Mesos)']
            : [`deadline ${iso(s.deadlineMs)} (in ${formatDuration(Math.max(0, s.deadlineMs - nowMs))})`];
        if (s.remaining.length) parts.unshift(`${s.remaining.length} tasks to leave`);
        if (unanswered.length) parts.push(`answers from ${unanswered.join(', ')}`);
        return parts.join('; ');
      }
      case 'awaiting-operator':
        return `an operator: deadline passed with ${s.remaining.length} tasks left (escalation notify)`;
      case 'waiting-for-slot':
        return `a slot: at most ${s.policy.maxParallel} machines of window ${s.windowId} down at once`;
      case 'hard-draining':
        return `the hard drain to finish (${s.remaining.length} tasks being killed)`;
      case 'down':
        return s.upAtMs === undefined ? 'an operator to bring it up' : `the end of its unavailability, ${iso(s.upAtMs)}`;
      case 'done':
        return 'nothing: maintenance is over';
    }
  }

  view(nowMs: number): MachineView {
    const s = this.s;
    return {
      id: s.machine,
      windowId: s.windowId,
      mode: s.mode,
      phase: s.phase,
      unavailability: s.unavailability,
      deadlineMs: s.deadlineMs,
      ...(s.upAtMs === undefined ? {} : { upAtMs: s.upAtMs }),
      answers: s.answers,
      outstandingOffers: s.offers.map(({ offerId, frameworkId }) => ({ offerId, frameworkId })),
      remaining: s.remaining,
      killed: s.killed,
      waitingOn: this.waitingOn(nowMs),
      history: s.history,
    };
  }

  /** Markdown for the Temporal UI's current details. */
  details(nowMs: number): string {
    const s = this.s;
    const rows = s.answers.map((a) => `| ${a.frameworkId} | ${a.answer}${a.late ? ' (late)' : ''} | ${iso(a.atMs)} |`);
    for (const o of s.offers) rows.push(`| ${o.frameworkId} | no answer yet | |`);
    return [
      `**${machineLabel(s.machine)}** is **${s.mode}** (${s.phase}) in window ${s.windowId}`,
      '',
      `Waiting on: ${this.waitingOn(nowMs)}`,
      '',
      `Deadline: ${iso(s.deadlineMs)} · tasks remaining: ${s.remaining.length} · killed: ${s.killed.length}`,
      '',
      '| framework | answer | at |',
      '|---|---|---|',
      ...rows,
    ].join('\n');
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
