// One machine's maintenance: its state and rules, without Temporal (machine.ts drives time and side effects).
// Everything here is plain data so it survives continue-as-new as a snapshot.
import type { FrameworkNotice, MachineUnavailability, OfferNotice, Plan, ResourceAmount } from '../src/domain/framework';
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
import { formatDuration, formatDurationShort } from '../src/domain/time';
import { machineDetails } from './summaries';
import type { MachineTask, MachineTasks } from '../activities/driver';
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
  /** Held back before going down (a slot, the budgets): its duration counts from when it really goes down. */
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
  // ---- since the scheduler API; absent in snapshots of runs that started before it ----
  /**
   * Mesos' refuse filters: after an answer, no new inverse offer to its framework before this instant. A framework
   * that answered and has no entry answered before filters existed: it is not offered again (the old rule).
   */
  refuse?: Record<string, number>;
  /** Each framework's latest plan (its answer's; MOVE when it gave none). */
  plans?: Record<string, Plan>;
  /** The persistent volumes of each task on the machine, by task id, as last seen. */
  volumes?: Record<string, string[]>;
  /** Looked at the machine at least once (the registry is told about a machine once its agent is known). */
  looked?: boolean;
  /** What the registry was last told (JSON of the MachineUnavailability). */
  reported?: string;
  /** Frameworks whose mailbox the last notice could not reach (not subscribed): logged once, not at every look. */
  unreachable?: string[];
  disruption?: DisruptionState;
  /**
   * Which frameworks with tasks here declared a disruption budget, as of the last look; absent when the look could
   * not tell (then the registry is asked before a hard drain that kills tasks).
   */
  budgeted?: string[];
  /** Notices go to the frameworks' mailboxes (set when the run first takes the scheduler API's path). */
  mailboxes?: boolean;
  /** When its window's armed kills killed here at the deadline (window-arms-kills); the machine then hard-drains. */
  deadlineKillsAtMs?: number;
}

/** This machine and the frameworks' disruption budgets (the registry's queue). */
interface DisruptionState {
  /** The registry holds a request or a grant of this machine that it has not been told to release. */
  asked: boolean;
  granted: boolean;
  /** Why the registry holds it, as it last said. */
  held?: string;
  /** The workflow must tell the registry to release this machine. */
  release: boolean;
}

const BEFORE_DOWN: readonly MachinePhase[] = ['draining', 'awaiting-operator', 'waiting-for-slot', 'waiting-for-budget'];
const NO_DISRUPTION: DisruptionState = { asked: false, granted: false, release: false };
/** At the deadline, a last look at most this many check intervals old serves the escalation ('late'). */
const LATE_LOOK_INTERVALS = 5;

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
  /** When its window's armed kills killed here at the deadline, if they did (the hard drain started then). */
  get deadlineKillsAtMs(): number | undefined {
    return this.s.deadlineKillsAtMs;
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
        this.backFromBudgets(nowMs);
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
      case 'disruption-granted': {
        const d = this.disruption;
        // A grant for a request already given up (extended, cancelled) is stale: the release is on its way.
        if (this.s.phase !== 'waiting-for-budget' || !d.asked || d.granted) return;
        this.s.disruption = { ...d, granted: true, held: undefined };
        return this.log(nowMs, 'disruption budgets allow the hard drain');
      }
      case 'deadline-kills':
        // Its window's kills at the deadline: the hard drain started then. Late (the machine went on meanwhile): moot.
        if (this.s.phase !== 'draining' || this.s.deadlineKillsAtMs !== undefined) return;
        if (cmd.windowId !== undefined && cmd.windowId !== this.s.windowId) return;
        this.s.deadlineKillsAtMs = cmd.atMs;
        this.s.known = true; // the cluster knew it: its tasks were killed there (the machine may not have looked yet)
        return;
      case 'disruption-held': {
        const d = this.disruption;
        if (this.s.phase !== 'waiting-for-budget' || !d.asked || d.granted || d.held === cmd.why) return;
        this.s.disruption = { ...d, held: cmd.why };
        return this.log(nowMs, 'held by disruption budgets', cmd.why);
      }
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
      this.backFromBudgets(nowMs);
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
      if (!late) this.applyAnswer(a);
      const detail = late ? 'after the hard drain started' : a.plan === 'WAIT' ? 'plan WAIT' : undefined;
      this.log(a.atMs, `${a.frameworkId} answered ${a.answer}`, detail);
    }
  }

  /** An answer in time sets its framework's refuse filter and plan (a late one changes nothing). */
  private applyAnswer(a: InverseOfferAnswers): void {
    const refuse = { ...this.s.refuse };
    // Without refuseMs the answer predates filters: never offered again, as before.
    if (a.refuseMs === undefined) delete refuse[a.frameworkId];
    else refuse[a.frameworkId] = a.atMs + a.refuseMs;
    this.s.refuse = refuse;
    this.s.plans = { ...this.s.plans, [a.frameworkId]: a.plan ?? 'MOVE' };
  }

  /** The framework's latest plan for this machine. */
  planOf(frameworkId: string): Plan {
    return this.s.plans?.[frameworkId] ?? 'MOVE';
  }

  /**
   * May the framework get a new inverse offer now? Not while one is open; not after an answer until its refuse
   * filter ends (Mesos' refuse_seconds); never again after an answer given without a filter (before filters existed).
   */
  private mayOffer(frameworkId: string, nowMs: number): boolean {
    if (this.s.offers.some((o) => o.frameworkId === frameworkId)) return false;
    if (!this.s.answers.some((a) => a.frameworkId === frameworkId)) return true;
    const until = this.s.refuse?.[frameworkId];
    return until !== undefined && nowMs >= until;
  }

  /**
   * When the drain loop must look again for a refuse filter that ends: the earliest end still ahead among frameworks
   * holding tasks here with no open offer. Undefined when none.
   */
  nextOfferAtMs(nowMs: number): number | undefined {
    if (this.s.phase !== 'draining') return undefined;
    let next: number | undefined;
    for (const frameworkId of new Set(this.s.remaining.map((t) => t.frameworkId))) {
      if (this.s.offers.some((o) => o.frameworkId === frameworkId)) continue;
      if (!this.s.answers.some((a) => a.frameworkId === frameworkId)) continue;
      const until = this.s.refuse?.[frameworkId];
      if (until !== undefined && until > nowMs && (next === undefined || until < next)) next = until;
    }
    return next;
  }

  // ---- draining -------------------------------------------------------------------------------------------------

  /**
   * Takes in what runs on the machine now. Returns the inverse offers to send: one per framework holding tasks here
   * that has none outstanding and has not answered the current unavailability, or whose refuse filter has ended.
   * Each carries the machine and what the framework holds here (its tasks' resources summed, their volumes).
   */
  observe(seen: MachineTasks, nowMs: number, newOfferId: () => string): PendingDelivery[] {
    this.s.known = seen.known;
    this.s.agentId = seen.agentId ?? this.s.agentId;
    this.s.looked = true;
    const before = this.s.remaining.length;
    this.s.remaining = seen.tasks.map((t) => ({ taskId: t.taskId, frameworkId: t.frameworkId }));
    if (seen.budgeted) this.s.budgeted = [...seen.budgeted];
    else delete this.s.budgeted;
    this.s.volumes = Object.fromEntries(seen.tasks.filter((t) => t.volumes?.length).map((t) => [t.taskId, [...t.volumes!]]));
    if (before !== this.s.remaining.length) {
      this.log(nowMs, 'tasks remaining', `${this.s.remaining.length} on the machine`);
    }
    const toSend: PendingDelivery[] = [];
    if (this.s.requests.reoffer) {
      this.s.requests.reoffer = false;
      toSend.push(...this.rescindOutstanding());
      // Answers were about the old unavailability: as in Mesos, they are wiped (with their filters and plans) and
      // late answers to them ignored.
      this.s.answers = [];
      this.s.rescinded = [];
      this.s.refuse = {};
      this.s.plans = {};
    }
    if (this.s.phase !== 'draining') return this.queue(toSend);
    const byFramework = new Map<string, MachineTask[]>();
    for (const t of seen.tasks) byFramework.set(t.frameworkId, [...(byFramework.get(t.frameworkId) ?? []), t]);
    for (const [frameworkId, held] of byFramework) {
      if (!this.mayOffer(frameworkId, nowMs)) continue;
      const offerId = newOfferId();
      const agentId = held[0].agentId;
      this.s.offers.push({ offerId, frameworkId, agentId });
      const again = this.s.answers.some((a) => a.frameworkId === frameworkId);
      this.log(nowMs, `inverse offer to ${frameworkId}`, again ? `${offerId} (again: its refuse filter ended)` : offerId);
      const offer: OfferNotice = {
        offerId,
        agentId,
        unavailability: this.s.unavailability,
        machine: this.s.machine,
        resources: sumResources(held),
        volumes: [...new Set(held.flatMap((t) => t.volumes ?? []))],
      };
      toSend.push({ idempotencyKey: offerId, frameworkId, notice: { kind: 'inverse-offers', offers: [offer] } });
    }
    return this.queue(toSend);
  }

  /** What the drain waits for next, or what it does now. */
  nextDrainStep(nowMs: number): 'cancel' | 'go-down' | 'escalate' | 'wait' {
    const r = this.s.requests;
    if (r.cancel) return 'cancel';
    if (r.down) return 'go-down'; // an operator's down skips pacing
    if (this.s.phase === 'waiting-for-slot') return r.proceed ? 'go-down' : 'wait';
    // Tasks that left meanwhile need no budget: an empty machine goes on.
    if (this.s.phase === 'waiting-for-budget') return this.disruption.granted || this.isEmpty ? 'go-down' : 'wait';
    const draining = this.s.phase === 'draining' || this.s.phase === 'awaiting-operator';
    if (draining && this.isEmpty && this.s.policy.downWhenDrained) return 'go-down';
    if (this.s.phase === 'draining' && nowMs >= this.s.deadlineMs && this.s.policy.escalation !== 'none') return 'escalate';
    return 'wait';
  }

  /**
   * At the deadline, is the look of `lookedAtMs` good enough for the escalation? The hard drain kills whatever runs
   * there anyway, so a new look would only refresh the count in the history. 'recent': it is less than a check
   * interval old. 'routine': it was the machine's routine look before the deadline (at most two intervals before it:
   * a look timer due just before the deadline may fire just after), and the deadline passed less than an interval ago.
   * 'late': the last look before the deadline, at most LATE_LOOK_INTERVALS intervals old: under load every step is
   * a workflow task late, and a new look would be two more. 'look': none of these (not past the deadline, a look
   * since, or one from before an outage): look again first.
   */
  lookAtDeadline(nowMs: number, lookedAtMs: number, checkIntervalMs: number): 'recent' | 'routine' | 'late' | 'look' {
    const deadline = this.s.deadlineMs;
    if (this.s.phase !== 'draining' || nowMs < deadline || lookedAtMs >= deadline) return 'look';
    if (nowMs - lookedAtMs <= checkIntervalMs) return 'recent';
    if (deadline - lookedAtMs <= 2 * checkIntervalMs && nowMs - deadline <= checkIntervalMs) return 'routine';
    return nowMs - lookedAtMs <= LATE_LOOK_INTERVALS * checkIntervalMs ? 'late' : 'look';
  }

  /**
   * Would the deadline, as things stand, start a hard drain that kills tasks with nobody else to ask first (no slot
   * to wait for, no disruption budget that applies)? Then the kills may be armed ahead of it (armed-kills).
   */
  killsAtDeadline(): boolean {
    const s = this.s;
    return (
      s.phase === 'draining' &&
      s.known &&
      s.policy.escalation === 'hard-drain' &&
      !s.requests.cancel &&
      !s.requests.down &&
      (s.policy.maxParallel === undefined || s.requests.proceed) &&
      !this.isEmpty &&
      (this.noBudgetApplies || this.disruption.granted)
    );
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

  // ---- disruption budgets ----------------------------------------------------------------------------------------

  private get disruption(): DisruptionState {
    return this.s.disruption ?? NO_DISRUPTION;
  }

  /** The registry let this machine be drained hard (its frameworks' budgets allow it). */
  get budgetGranted(): boolean {
    return this.s.phase === 'waiting-for-budget' && this.disruption.granted;
  }

  /**
   * About to be drained hard (past its slot): must the frameworks' budgets be asked first? Yes when tasks remain and
   * the budgets did not already let it go; an operator's down skips them, as it skips pacing.
   */
  needsBudget(): boolean {
    return this.killsUngranted && !this.noBudgetApplies;
  }

  /** A hard drain now would kill tasks the budgets have not let go, and no operator's down overrides them. */
  private get killsUngranted(): boolean {
    return !this.s.requests.down && !this.isEmpty && !this.disruption.granted;
  }

  /**
   * The last look knew which frameworks here have budgets, and none of the tasks left belongs to one: the registry
   * would grant at once, so it is not asked (two signals and a registry task fewer on the way to the hard drain).
   */
  private get noBudgetApplies(): boolean {
    const budgeted = this.s.budgeted;
    return budgeted !== undefined && !this.s.remaining.some((t) => budgeted.includes(t.frameworkId));
  }

  /** Waits for the budgets (phase waiting-for-budget); returns what the hard drain would kill, per framework. */
  askBudget(nowMs: number): Record<string, number> {
    const tasksByFramework: Record<string, number> = {};
    for (const t of this.s.remaining) tasksByFramework[t.frameworkId] = (tasksByFramework[t.frameworkId] ?? 0) + 1;
    this.s.phase = 'waiting-for-budget';
    this.s.heldForSlot = true;
    this.s.disruption = { asked: true, granted: false, release: false };
    const what = Object.entries(tasksByFramework).map(([f, n]) => `${n} of ${f}`).join(', ');
    this.log(nowMs, 'waiting for disruption budgets', `the hard drain would kill ${what}`);
    return tasksByFramework;
  }

  /** The registry cannot be reached: no framework ever subscribed, so no budget exists. Go on as granted. */
  budgetsUnreachable(nowMs: number): void {
    this.s.disruption = { asked: false, granted: true, release: false };
    this.log(nowMs, 'disruption budgets not checked', 'no framework registry: no framework has subscribed');
  }

  /** True once when the registry must be told this machine no longer needs (or holds) its share of the budgets. */
  takeRelease(): boolean {
    if (!this.disruption.release) return false;
    this.s.disruption = { ...this.disruption, release: false };
    return true;
  }

  /** The request (or grant) is given up: the registry must release it if it was asked. */
  private giveUpBudget(): void {
    const d = this.disruption;
    this.s.disruption = { asked: false, granted: false, release: d.release || d.asked };
  }

  /** A new deadline still ahead puts a machine waiting for the budgets back to draining: its request is given up. */
  private backFromBudgets(nowMs: number): void {
    if (this.s.phase !== 'waiting-for-budget' || this.s.deadlineMs <= nowMs) return;
    this.s.phase = 'draining';
    this.s.requests.proceed = false; // its slot is free again; it asks for one when it is ready again
    this.giveUpBudget();
  }

  startHardDrain(nowMs: number): PendingDelivery[] {
    // Going down without the budgets' grant (an operator's down, or the tasks left meanwhile): give the request up.
    if (this.disruption.asked && !this.disruption.granted) this.giveUpBudget();
    if (this.killsUngranted && this.noBudgetApplies) {
      const frameworks = [...new Set(this.s.remaining.map((t) => t.frameworkId))].sort().join(', ');
      this.log(nowMs, 'disruption budgets not asked', `no framework with tasks here has one (${frameworks})`);
    }
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
      // A machine held back by maxParallel or the budgets gets its whole duration from when it really went down.
      this.s.upAtMs = (this.s.heldForSlot ? Math.max(startMs, nowMs) : startMs) + durationMs;
    }
    this.log(nowMs, 'DOWN', this.s.upAtMs === undefined ? 'until an operator brings it up' : `up at ${iso(this.s.upAtMs)}`);
  }

  markUp(nowMs: number, why: string): void {
    this.s.mode = 'UP';
    this.s.phase = 'done';
    this.s.upAtMs = undefined;
    if (this.disruption.asked) this.giveUpBudget(); // its share of the budgets is free again
    this.log(nowMs, 'UP', why);
  }

  // ---- what frameworks and the registry are told after the drain ---------------------------------------------------

  /** After the hard drain: one tasks-killed notice per framework whose tasks it killed, with their volumes. */
  killedNotices(): PendingDelivery[] {
    const out: PendingDelivery[] = [];
    for (const [frameworkId, tasks] of this.killedByFramework()) {
      out.push({
        idempotencyKey: `${this.s.windowId}/${this.key}/tasks-killed/${frameworkId}`,
        frameworkId,
        notice: {
          kind: 'tasks-killed',
          machine: this.s.machine,
          ...(this.s.agentId === undefined ? {} : { agentId: this.s.agentId }),
          tasks,
          // A framework that planned to wait the downtime out keeps its tasks' identity (and volumes).
          gone: this.planOf(frameworkId) !== 'WAIT',
          cause: 'hard-drain',
        },
      });
    }
    return this.queue(out);
  }

  /** Back UP: a machine-up notice to every framework that had tasks killed here (WAIT: with its volumes intact). */
  upNotices(): PendingDelivery[] {
    const out: PendingDelivery[] = [];
    for (const [frameworkId, tasks] of this.killedByFramework()) {
      const volumesIntact = this.planOf(frameworkId) === 'WAIT' ? [...new Set(tasks.flatMap((t) => t.volumes))] : [];
      out.push({
        idempotencyKey: `${this.s.windowId}/${this.key}/machine-up/${frameworkId}`,
        frameworkId,
        notice: {
          kind: 'machine-up',
          machine: this.s.machine,
          ...(this.s.agentId === undefined ? {} : { agentId: this.s.agentId }),
          volumesIntact,
        },
      });
    }
    return this.queue(out);
  }

  private killedByFramework(): Map<string, { taskId: string; volumes: string[] }[]> {
    const by = new Map<string, { taskId: string; volumes: string[] }[]>();
    for (const t of this.s.killed) {
      const task = { taskId: t.taskId, volumes: [...(this.s.volumes?.[t.taskId] ?? [])] };
      by.set(t.frameworkId, [...(by.get(t.frameworkId) ?? []), task]);
    }
    return by;
  }

  /**
   * What the registry must be told, when it changed since it was last told (mode, agent, unavailability); undefined
   * when nothing changed. A machine is reported once its agent is known (after the first look); once UP, without an
   * unavailability (out of maintenance). Told only once the registry took it (reportedToRegistry): a machine that
   * entered maintenance before any framework subscribed (no registry yet) is reported again at its next look.
   */
  unavailabilityReport(): MachineUnavailability | undefined {
    if (!this.s.looked && this.s.mode === 'DRAINING') return undefined;
    const over = this.s.mode === 'UP' || this.s.phase === 'done';
    const report: MachineUnavailability = {
      key: this.key,
      machine: this.s.machine,
      ...(this.s.agentId === undefined ? {} : { agentId: this.s.agentId }),
      mode: this.s.mode,
      ...(over ? {} : { unavailability: this.s.unavailability }),
    };
    return JSON.stringify(report) === this.s.reported ? undefined : report;
  }

  /** The registry took this report. */
  reportedToRegistry(report: MachineUnavailability): void {
    this.s.reported = JSON.stringify(report);
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
    const what = noticeName(d.notice);
    if (typeof outcome === 'object') this.log(nowMs, `${what} to ${d.frameworkId} not delivered`, outcome.failed);
    else if (outcome === 'no-webhook') this.log(nowMs, `${what} for ${d.frameworkId} kept for pull`, 'no webhook');
    else if (this.s.unreachable?.includes(d.frameworkId)) {
      this.s.unreachable = this.s.unreachable.filter((f) => f !== d.frameworkId);
    }
  }

  /**
   * The notice's framework has no mailbox: it is not subscribed. An inverse offer is forgotten, so that a later look
   * offers again (Mesos offers only to active frameworks); anything else is dropped. Logged once per framework until
   * a notice reaches it again, not at every look.
   */
  notSubscribed(idempotencyKey: string, nowMs: number): void {
    const d = this.s.deliveries.find((x) => x.idempotencyKey === idempotencyKey);
    if (!d) return;
    this.s.deliveries = this.s.deliveries.filter((x) => x !== d);
    if (d.notice.kind === 'inverse-offers') {
      const ids = new Set(d.notice.offers.map((o) => o.offerId));
      this.s.offers = this.s.offers.filter((o) => !ids.has(o.offerId));
    }
    const unreachable = this.s.unreachable ?? [];
    if (unreachable.includes(d.frameworkId)) return;
    this.s.unreachable = [...unreachable, d.frameworkId];
    const later = d.notice.kind === 'inverse-offers' ? ': offered again once it is' : '';
    this.log(nowMs, `${noticeName(d.notice)} to ${d.frameworkId} not delivered`, `${d.frameworkId} is not subscribed${later}`);
  }

  /**
   * Notices go to the frameworks' mailboxes from now on. The first time (a run that started before the scheduler API
   * sent its offers by webhook), the open inverse offers are posted to the mailboxes too: a framework answers what
   * its mailbox holds, and an offer no mailbox knows would block new ones until the deadline. A mailbox keeps a
   * copy of an offer once; a framework without one is offered again later.
   */
  toMailboxes(): PendingDelivery[] {
    if (this.s.mailboxes) return [];
    this.s.mailboxes = true;
    return this.queue(
      this.s.offers.map((o) => ({
        idempotencyKey: `${o.offerId}/mailbox`,
        frameworkId: o.frameworkId,
        notice: {
          kind: 'inverse-offers' as const,
          offers: [{ offerId: o.offerId, agentId: o.agentId, unavailability: this.s.unavailability, machine: this.s.machine }],
        },
      })),
    );
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
            : [`deadline ${iso(s.deadlineMs)} (in ${formatDurationShort(Math.max(0, s.deadlineMs - nowMs))})`];
        if (s.remaining.length) parts.unshift(`${s.remaining.length} tasks to leave`);
        if (unanswered.length) parts.push(`answers from ${unanswered.join(', ')}`);
        return parts.join('; ');
      }
      case 'awaiting-operator':
        return `an operator: deadline passed with ${s.remaining.length} tasks left (escalation notify)`;
      case 'waiting-for-slot':
        return `a slot: at most ${s.policy.maxParallel} machines of window ${s.windowId} down at once`;
      case 'waiting-for-budget':
        return `the frameworks' disruption budgets: ${this.disruption.held ?? 'asked'} (${s.remaining.length} tasks to kill)`;
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
    return machineDetails(
      {
        label: machineLabel(s.machine),
        mode: s.mode,
        phase: s.phase,
        windowId: s.windowId,
        deadlineMs: s.deadlineMs,
        upAtMs: s.upAtMs,
        waitingOn: this.waitingOn(nowMs),
        remaining: s.remaining,
        killed: s.killed,
        answers: s.answers.map((a) => ({
          ...a,
          ...(!a.late && this.planOf(a.frameworkId) === 'WAIT' ? { plan: 'WAIT' } : {}),
        })),
        openOffers: s.offers,
        // Snapshots from before the scheduler API have no `looked`: they had looked once they have an agent or tasks.
        looked: s.looked ?? (s.agentId !== undefined || s.remaining.length > 0 || s.phase !== 'draining'),
      },
      nowMs,
    );
  }

  /** Tasks on the machine at the last look; undefined before the first look. */
  get tasksAtLastLook(): number | undefined {
    const s = this.s;
    return s.looked || s.agentId !== undefined || s.remaining.length > 0 ? s.remaining.length : undefined;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function noticeName(n: FrameworkNotice): string {
  switch (n.kind) {
    case 'inverse-offers':
      return 'inverse offer';
    case 'rescind-inverse-offer':
      return 'rescind';
    case 'tasks-killed':
      return 'tasks killed';
    case 'machine-up':
      return 'machine up';
    case 'unavailability':
      return 'unavailability';
  }
}

/** A framework's tasks' scalars summed by name, in the order the names first appear. */
function sumResources(tasks: readonly MachineTask[]): ResourceAmount[] {
  const sums = new Map<string, number>();
  for (const t of tasks) for (const r of t.resources ?? []) sums.set(r.name, (sums.get(r.name) ?? 0) + r.scalar);
  return [...sums].map(([name, scalar]) => ({ name, scalar }));
}
