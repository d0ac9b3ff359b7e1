// One machine through one window: DRAINING with inverse offers out → answers → DOWN (drained early, or a hard drain at
// the deadline, or an operator's down) → UP when its unavailability ends or an operator says so.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  type SignalDefinition,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeadlineKillResult } from '../activities/deadline-kill';
import type { HardDrainRequest } from '../activities/driver';
import type { OutgoingSignal, SignalOutcome } from '../activities/signals';
import type { KillResult } from '../src/drivers/cluster-driver';
import { hardDrainKey, machineLabel } from '../src/domain/machine';
import type { MachinePhase, MachineView } from '../src/domain/window';
import { WorkflowIds } from '../src/temporal/ids';
import { ANSWERS, answerValue, DEADLINE, MACHINE, MODE, WINDOW } from '../src/temporal/search-attributes';
import { CLUSTER_CALL, CLUSTER_CALL_IN_TASK, drainCall, SIGNALS_CALL } from './activity-options';
import { deadlineKillSummary, drainWaitSummary, hardDrainSummary, lastNoticesSummary, lookSummary, upTimerSummary } from './summaries';
import { MachineState, type MachineSnapshot, type PendingDelivery } from './machine-state';
import { MACHINE_STATE_MEMO, publishedState } from '../src/temporal/published-state';
import {
  ARMED_KILLS,
  ARMED_KILLS_FIRST,
  DEADLINE_UNDER_LOAD,
  DECIDE_FROM_STATE,
  FEWER_LOOKS,
  LEAN_PUBLISHING,
  MACHINE_BASELINE,
  MACHINE_BASELINE_2,
  MACHINE_BASELINE_3,
  MACHINE_BASELINE_4,
  MACHINE_BASELINE_5,
  ORDERED_NOTICES,
  PROMPT_HARD_DRAIN,
  QUICK_ESCALATION,
  QUIET_START,
  RELEASE_WITH_UP,
  REPORTS_FOR_MESOS,
  SCHEDULER_API,
  SIGNALS_TO_KNOWN_RUNS,
  STATE_IN_MEMO,
  type AfterMachineBaseline,
  type BeforeMachineBaseline,
} from './patches';
import { memoPublisher } from './publish-memo';
import { observe } from './sinks';
import {
  frameworkNotices,
  inverseOfferAnswers,
  machineCommand,
  machineModeChanged,
  machineProgress,
  machineReleased,
  machineUnavailability,
  machineView,
  releaseDisruption,
  requestDisruption,
  type MachineInput,
} from './messages';

const cluster = proxyActivities<Activities>(CLUSTER_CALL);
const clusterInTask = proxyLocalActivities<Activities>(CLUSTER_CALL_IN_TASK);
const drain = proxyActivities<Activities>(drainCall('2h'));
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const signalsOut = proxyActivities<Activities>(SIGNALS_CALL);

/**
 * A short cluster call: in the workflow task first (`inTask`, machine-baseline-5), as an activity when the cluster has
 * not answered it in CLUSTER_CALL_IN_TASK's few attempts (or always, for runs started before the baseline).
 */
async function clusterCall<T>(inTask: boolean, call: (proxy: Pick<typeof cluster, 'inspectMachine' | 'bringMachineUp'>) => Promise<T>): Promise<T> {
  if (!inTask) return call(cluster);
  try {
    return await call(clusterInTask);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return call(cluster);
  }
}

const DEFAULT_MAX_HISTORY_EVENTS = 4_000;
/** How long a finishing machine waits for its last notices (rescinds) to reach frameworks. */
const FINAL_DELIVERY_WAIT_MS = 60_000;
/** Notices are retried at least this long, and for inverse offers until the deadline. */
const MIN_DELIVERY_WINDOW_MS = 5 * 60_000;
/** Phases that end with a signal (the window's slot, the registry's grant): looks then only catch a machine emptied. */
const WAITS_ON_SIGNAL: readonly MachinePhase[] = ['waiting-for-slot', 'waiting-for-budget'];
/** Looks while waiting on a signal double in interval up to this many check intervals. */
const MAX_LOOK_BACKOFF = 8;
/** How long before its deadline a machine arms its kills (armed-kills); each armed machine holds an activity slot. */
const ARM_LEAD_MS = 60_000;
/**
 * How long after its deadline a machine waits for its armed kills' answer (armed-kills-first): their fence reads the
 * machine, its window and the cluster, under load a second or two. Past it (a worker that lost them) it decides alone.
 */
const ARMED_KILLS_ANSWER_MS = 5_000;
/** An armed kill not done this long after its deadline is given up: the machine's own hard drain has done it. */
const DEADLINE_KILL_SLACK_MS = 60_000;

export async function machineWorkflow(input: MachineInput): Promise<MachineView> {
  // A run started with a baseline takes every earlier patch's path without a marker each (patches.ts). The newest is
  // asked first: a run started with it records that one marker only.
  const baseline5 = patched(MACHINE_BASELINE_5);
  const baseline4 = baseline5 || patched(MACHINE_BASELINE_4);
  const baseline3 = baseline4 || patched(MACHINE_BASELINE_3);
  const baseline2 = baseline3 || patched(MACHINE_BASELINE_2);
  const baseline = baseline2 || patched(MACHINE_BASELINE);
  const since = (patch: BeforeMachineBaseline): boolean => baseline || patched(patch);
  const sinceLater = (patch: AfterMachineBaseline): boolean => baseline2 || patched(patch);
  const m = input.resume
    ? MachineState.resume(input.resume as MachineSnapshot)
    : MachineState.start(input, Date.now());
  const label = machineLabel(m.machine);
  const ids = new WorkflowIds(input.instance);
  // A run started with the third baseline sends its signals from activities, in batches (signals-by-activity).
  const outbox = baseline3 ? new SignalOutbox() : undefined;
  const schedule = receiver(ids.schedule);
  const registry = receiver(ids.frameworks);
  // Its window, its parent, by its run (signals-to-known-runs). The schedule, the registry and the mailboxes continue
  // as new, so their runs change: they are signalled by workflow ID.
  const parent = workflowInfo().parent;
  const window = receiver(ids.window(m.windowId), parent?.workflowId === ids.window(m.windowId) ? parent.runId : undefined);
  let inFlight = 0;
  /** When this run last looked at the machine (a run after continue-as-new looks first). */
  let lastLookMs: number | undefined;
  /** Looks in a row, while waiting on a signal, that found as many tasks as the one before. */
  let unchangedLooks = 0;
  let reportedMode = m.mode;
  let reportedPhase = m.phase;
  let reportedAnswers = JSON.stringify(m.answers);
  /** The progress the window was last told by this run (baseline 4 tells it again only when it changed). */
  let toldWindow: string | undefined;
  /** The hard drain's kills when the decision started them (prompt-hard-drain); hardDrain() awaits them. */
  let kills: StartedKills | undefined;
  /** The deadline's kills armed ahead of it (armed-kills), and what they did once their activity ended. */
  let armed: ArmedKills | undefined;
  /** The schedule took the UP report that released the machine (release-with-up): no release of its own at the end. */
  let released = false;

  /**
   * Publishes the state in the memo when it changed since the last time (one event each). A signal's
   * change is published at once: the loop may be waiting on an activity or a timer for a long time (a DOWN machine).
   */
  const publish = memoPublisher(MACHINE_STATE_MEMO, publishedState, () => since(STATE_IN_MEMO));
  const publishState = (): void => {
    const { deliveries: _pending, ...state } = m.snapshot();
    if (!sinceLater(LEAN_PUBLISHING)) return publish(state);
    const { reported: _told, ...read } = state; // the registry's bookkeeping: no reader shows it
    publish(read);
  };

  setHandler(machineView, () => m.view(Date.now()));
  setHandler(machineCommand, (cmd) => {
    m.command(cmd, Date.now());
    publishState();
  });
  setHandler(inverseOfferAnswers, (answers) => {
    const before = observe.answeredBefore(m);
    m.recordAnswers(answers);
    observe.answers(m, before);
    publishState();
  });

  /** The scheduler API's path (patched): on its first use, the open offers sent the old way go to the mailboxes. */
  const schedulerApi = (): boolean => {
    if (!since(SCHEDULER_API)) return false;
    m.toMailboxes().forEach(post);
    return true;
  };

  const deliver = (d: PendingDelivery): void => {
    if (schedulerApi()) return post(d);
    inFlight++;
    const what = d.notice.kind === 'inverse-offers' ? 'inverse offer' : 'rescind inverse offer';
    notify.deliverToFramework
      .executeWithOptions(
        {
          summary: `${what} to ${d.frameworkId} for ${label}`,
          scheduleToCloseTimeout: Math.max(m.deadlineMs - Date.now(), MIN_DELIVERY_WINDOW_MS),
        },
        [d],
      )
      .then(
        (outcome) => m.deliveryDone(d.idempotencyKey, outcome, Date.now()),
        (err: Error) => m.deliveryDone(d.idempotencyKey, { failed: err.cause?.toString() ?? err.message }, Date.now()),
      )
      .finally(() => inFlight--);
  };

  /**
   * Into the framework's mailbox, which orders its events and delivers them (a dead webhook delays nobody else). No
   * mailbox means the framework is not subscribed: Mesos offers only to active frameworks, so the offer is forgotten
   * and made again by a later look.
   */
  const post = (d: PendingDelivery): void => {
    inFlight++;
    const send = () =>
      receiver(ids.framework(d.frameworkId))
        .signal(frameworkNotices, { notices: [d.notice], atMs: Date.now() })
        .then(
          () => m.deliveryDone(d.idempotencyKey, 'delivered', Date.now()),
          () => m.notSubscribed(d.idempotencyKey, Date.now()),
        );
    // Two signals sent together may arrive in either order: one framework's notices go one after the other, so that
    // it hears the rescind of an offer before the offer that replaces it. The outbox sends in order anyway.
    const sent = !outbox && since(ORDERED_NOTICES) ? queueFor(d.frameworkId, send) : send();
    void sent.finally(() => inFlight--);
  };
  const lastSent = new Map<string, Promise<void>>();
  const queueFor = (frameworkId: string, send: () => Promise<void>): Promise<void> => {
    const next = (lastSent.get(frameworkId) ?? Promise.resolve()).then(send);
    lastSent.set(frameworkId, next);
    return next;
  };

  /**
   * The registry fans machines' unavailability out to every framework. None running means nobody subscribed yet: the
   * report is made again at the next look (a framework that subscribes later must learn of this machine).
   */
  const tellRegistry = (): Promise<unknown>[] => {
    const sent: Promise<unknown>[] = [];
    const change = m.unavailabilityReport();
    if (change) sent.push(registry.signal(machineUnavailability, change).then(() => m.reportedToRegistry(change)));
    if (m.takeRelease()) sent.push(registry.signal(releaseDisruption, { machineKey: m.key }));
    return sent;
  };

  const report = async (): Promise<void> => {
    // First the memo: whoever learns of this change from the window or the schedule then reads the machine as fresh.
    publishState();
    const mesos = since(REPORTS_FOR_MESOS);
    upsertSearchAttributes([
      { key: MACHINE, value: label },
      { key: MODE, value: m.mode },
      { key: WINDOW, value: m.windowId },
      { key: DEADLINE, value: new Date(m.deadlineMs) },
      ...(mesos ? [{ key: ANSWERS, value: m.mode === 'DRAINING' ? m.answers.map(answerValue) : [] }] : []),
    ]);
    setCurrentDetails(m.details(Date.now()));
    const sent: Promise<unknown>[] = [];
    if (mesos) {
      reportedAnswers = JSON.stringify(m.answers);
      if (m.mode !== reportedMode) {
        reportedMode = m.mode;
        // UP is the run's last report: it frees the machine for its next window as well (release-with-up).
        const releases = m.mode === 'UP' && sinceLater(RELEASE_WITH_UP);
        const change = {
          windowId: m.windowId,
          machineKey: m.key,
          mode: m.mode,
          machine: m.machine,
          unavailability: m.unavailability,
          ...(releases ? { released: true } : {}),
        };
        sent.push(
          schedule.signal(machineModeChanged, change).then(() => {
            if (releases) released = true;
          }),
        );
      }
    }
    // Window and schedule only mirror progress; a machine goes on even if their workflows were terminated by hand.
    reportedPhase = m.phase;
    const remaining = m.tasksAtLastLook;
    const progress = {
      machineKey: m.key,
      mode: m.mode,
      phase: m.phase,
      ...(remaining === undefined ? {} : { remaining }),
      ...(m.upAtMs === undefined ? {} : { upAtMs: m.upAtMs }),
    };
    const told = JSON.stringify(progress);
    if (!baseline4 || told !== toldWindow) {
      toldWindow = told;
      sent.push(window.signal(machineProgress, progress));
    }
    if (schedulerApi()) sent.push(...tellRegistry());
    await Promise.all(sent.map((p) => p.catch(() => undefined)));
  };

  if (!input.resume) observe.draining(m);
  // After continue-as-new, notices the previous run had not delivered go out again under the same keys.
  m.deliveries.forEach(deliver);
  if (!input.resume && since(QUIET_START)) {
    // The window started this run DRAINING, with these search attributes, and shows it so: nothing to report yet.
    // The path is settled now, as the report settled it: the first look's offers are this path's, not older ones.
    schedulerApi();
    publishState();
    setCurrentDetails(m.details(Date.now()));
  } else {
    await report();
  }

  while (m.phase !== 'done') {
    publishState();
    const info = workflowInfo();
    const longHistory = info.continueAsNewSuggested || info.historyLength > (input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS);
    // Kills already started are seen through by this run: the next would send them again (under the same key).
    if (longHistory && kills === undefined) {
      disarm(); // the next run arms again if it still must
      // Notices still being delivered are re-sent by the next run under the same keys; give them a moment first so
      // the common case leaves no activity behind.
      if (inFlight > 0) {
        await condition(() => inFlight === 0, FINAL_DELIVERY_WAIT_MS, { summary: lastNoticesSummary(label, FINAL_DELIVERY_WAIT_MS) });
      }
      await condition(() => allHandlersFinished() && (outbox?.idle ?? true));
      return continueAsNew<typeof machineWorkflow>({ ...input, resume: m.snapshot() });
    }
    if (m.beforeDown) await drainStep();
    else if (m.phase === 'hard-draining') await hardDrain();
    else await waitWhileDown();
  }

  publishState();
  // Let the last rescinds reach the frameworks' mailboxes: the machine's next run, which starts once this one has
  // closed, sends its offers after them. Then free the machine for its next window, unless its UP report did.
  await condition(() => inFlight === 0, FINAL_DELIVERY_WAIT_MS, { summary: lastNoticesSummary(label, FINAL_DELIVERY_WAIT_MS) });
  if (!released) await schedule.signal(machineReleased, { windowId: m.windowId, machineKey: m.key }).catch(() => undefined);
  if (outbox) await condition(() => outbox.idle);
  return m.view(Date.now());

  /**
   * A workflow this machine signals: through the outbox (signals-by-activity), or by a workflow command each (older
   * runs). By its run when that is known (signals-to-known-runs): the server then finds it without looking up the
   * current run in its store, at every attempt. A run that has closed since (reset, or terminated by hand and started
   * again) is signalled by ID after all. The schedule, the registry and the mailboxes continue as new: by ID only.
   */
  function receiver(workflowId: string, runId?: string): Receiver {
    if (outbox) return outbox.to(workflowId, runId);
    const byId = getExternalWorkflowHandle(workflowId);
    const byRun = runId === undefined ? undefined : getExternalWorkflowHandle(workflowId, runId);
    return {
      signal<Arg>(def: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
        if (!byRun || !sinceLater(SIGNALS_TO_KNOWN_RUNS)) return byId.signal(def, arg);
        return byRun.signal(def, arg).catch(() => byId.signal(def, arg));
      },
    };
  }

  async function drainStep(): Promise<void> {
    m.wake = false; // anything arriving while we look wakes the next wait at once
    const fired = armed?.outcome;
    if (fired?.fired) return hardDrainAtDeadline(fired.atMs);
    const byWindow = m.deadlineKillsAtMs;
    if (byWindow !== undefined) return hardDrainAtDeadline(byWindow);
    // They found the machine empty: a look newer than its own, and it goes down drained (armed-kills-first).
    if (fired?.seen && fired.seenAtMs !== undefined && m.phase === 'draining' && patched(ARMED_KILLS_FIRST)) {
      disarm();
      lastLookMs = fired.seenAtMs;
      m.observe(fired.seen, fired.seenAtMs, () => ids.offer(ids.machine(m.machine), uuid4())).forEach(deliver);
      setCurrentDetails(m.details(Date.now()));
      return decide();
    }
    // Not fired (its fence found the hard drain called off, or not allowed yet): the machine decides, as before.
    if (fired || (armed && (armed.deadlineMs !== m.deadlineMs || !m.killsAtDeadline()))) disarm();
    // Still armed for this deadline, which has passed: its kills act first, and the machine goes on from their answer
    // (a signal wakes it sooner); past ARMED_KILLS_ANSWER_MS it decides alone.
    const untilMs = m.deadlineMs + ARMED_KILLS_ANSWER_MS;
    if (armed && !armed.outcome && Date.now() >= m.deadlineMs && Date.now() < untilMs && patched(ARMED_KILLS_FIRST)) {
      const now = Date.now();
      await condition(() => m.wake, untilMs - now, { summary: drainWaitSummary(label, m.phase, { kind: 'armed-kills', untilMs }, now) });
      return;
    }
    if (lastLookMs !== undefined && lookCanWait(Date.now(), lastLookMs) && since(QUICK_ESCALATION)) return decide();
    const tasksBefore = m.tasksAtLastLook;
    const summary = lookSummary(label, m.phase, m.tasksAtLastLook);
    const seen = await clusterCall(baseline5, (proxy) => proxy.inspectMachine.executeWithOptions({ summary }, [m.machine]));
    lastLookMs = Date.now();
    m.observe(seen, lastLookMs, () => ids.offer(ids.machine(m.machine), uuid4())).forEach(deliver);
    unchangedLooks = WAITS_ON_SIGNAL.includes(m.phase) && m.tasksAtLastLook === tasksBefore ? unchangedLooks + 1 : 0;
    setCurrentDetails(m.details(Date.now())); // tasks remaining change at every look, reports only at phase changes
    publishState(); // the tasks remaining, as this look saw them
    if (since(DECIDE_FROM_STATE)) return decide();
    // Answers changed: Mesos' maintenance status reads them from the search attribute. A command changed the phase
    // (an extension put a machine waiting for the budgets back to draining): the window frees its slot.
    if (JSON.stringify(m.answers) !== reportedAnswers && since(REPORTS_FOR_MESOS)) await report();
    else if (m.phase !== reportedPhase && schedulerApi()) await report();
    else if (schedulerApi()) await Promise.all(tellRegistry().map((p) => p.catch(() => undefined)));
    let step = m.nextDrainStep(Date.now());
    if (step === 'wait') {
      await waitBeforeNextLook();
      return; // look at the machine again before deciding
    }
    if (step === 'cancel') {
      m.cancelDrain(Date.now()).forEach(deliver);
      observe.up(m);
      await report();
      return;
    }
    if (step === 'escalate') {
      step = m.escalate(Date.now());
      if (step === 'wait') return report();
    }
    if (!m.mayGoDown(Date.now())) return report();
    if (schedulerApi() && m.needsBudget()) {
      // The frameworks' disruption budgets come before a hard drain that kills tasks; the registry answers with a
      // machineCommand (granted, or held and why).
      const request = { machineKey: m.key, workflowId: workflowInfo().workflowId, label, tasksByFramework: m.askBudget(Date.now()) };
      const asked = await registry.signal(requestDisruption, request).then(
        () => true,
        () => false,
      );
      if (asked) return report();
      m.budgetsUnreachable(Date.now()); // no registry: no framework ever subscribed, so there is no budget
    }
    m.startHardDrain(Date.now()).forEach(deliver);
    observe.hardDrainStarted(m);
    await report();
  }

  /**
   * The step needs no new look: the registry's grant came (the hard drain kills what runs there), or the deadline
   * passed and the last look serves the escalation (see lookAtDeadline; its 'routine' case came with fewer-looks).
   */
  function lookCanWait(nowMs: number, lookedAtMs: number): boolean {
    if (m.budgetGranted) return true;
    const atDeadline = m.lookAtDeadline(nowMs, lookedAtMs, input.checkIntervalMs);
    if (atDeadline === 'late') return sinceLater(DEADLINE_UNDER_LOAD);
    return atDeadline === 'recent' || (atDeadline === 'routine' && since(FEWER_LOOKS));
  }

  /**
   * After a look: settle the step from the state and the time, send what it implies, then report once (if anything a
   * report carries changed) and wait. Nothing is awaited between the look's result and the decision, so a signal that
   * came with the result in one workflow task, or just after it in another, leads to the same commands.
   */
  async function decide(): Promise<void> {
    // Its window's kills came while it looked: the hard drain started then, not now.
    const byWindow = m.deadlineKillsAtMs;
    if (byWindow !== undefined && m.phase === 'draining') return hardDrainAtDeadline(byWindow);
    const now = Date.now();
    let step = m.nextDrainStep(now);
    if (step === 'escalate') step = m.escalate(now);
    if (step === 'cancel') {
      m.cancelDrain(now).forEach(deliver);
      observe.up(m);
      return reportChanges();
    }
    if (step === 'wait') {
      await reportChanges();
      return waitBeforeNextLook();
    }
    if (!m.mayGoDown(now)) return reportChanges();
    if (schedulerApi() && m.needsBudget()) {
      // The frameworks' disruption budgets come before a hard drain that kills tasks; the registry answers with a
      // machineCommand (granted, or held and why).
      const request = { machineKey: m.key, workflowId: workflowInfo().workflowId, label, tasksByFramework: m.askBudget(now) };
      const [asked] = await Promise.all([
        registry.signal(requestDisruption, request).then(
          () => true,
          () => false,
        ),
        reportChanges(),
      ]);
      if (asked) {
        // The registry answers by signal: wait for it (or the next look's time) rather than look again at once.
        if (since(QUICK_ESCALATION)) await waitBeforeNextLook();
        return;
      }
      m.budgetsUnreachable(Date.now()); // no registry: no framework ever subscribed, so there is no budget
    }
    disarm(); // this hard drain kills under the same key
    m.startHardDrain(Date.now()).forEach(deliver);
    observe.hardDrainStarted(m);
    // The kills go out with this workflow task, not a task after the report's signals are acknowledged.
    if (m.known && since(PROMPT_HARD_DRAIN)) kills = startKills();
    return reportChanges();
  }

  /**
   * The armed kills fired at the deadline: the hard drain started then, whatever came meanwhile (an extension that
   * reached the machine after the deadline finds it hard-draining, as it would have a moment later anyway). Its
   * activity, under the same key, answers with those kills and waits for the machine to empty.
   */
  function hardDrainAtDeadline(atMs: number): Promise<void> {
    disarm();
    m.escalate(atMs);
    m.startHardDrain(atMs).forEach(deliver);
    observe.hardDrainStarted(m);
    kills = startKills();
    return reportChanges();
  }

  /** Arms the deadline's kills when a hard drain with nobody to ask first is due there; keeps them while it still is. */
  function armForDeadline(): void {
    if (armed && armed.deadlineMs === m.deadlineMs) return;
    disarm();
    if (input.armDeadlineKills === false || !m.killsAtDeadline() || !sinceLater(ARMED_KILLS)) return;
    const entry: ArmedKills = { deadlineMs: m.deadlineMs, scope: new CancellationScope() };
    const request = { drain: hardDrainRequest(), deadlineMs: m.deadlineMs, windowWorkflowId: ids.window(m.windowId) };
    const options = {
      summary: deadlineKillSummary(label, m.deadlineMs, Date.now()),
      scheduleToCloseTimeout: Math.max(m.deadlineMs - Date.now(), 0) + DEADLINE_KILL_SLACK_MS,
    };
    entry.scope
      .run(() => drain.killAtDeadline.executeWithOptions(options, [request]))
      .then(
        (outcome) => {
          entry.outcome = outcome;
          m.wake = true;
        },
        () => undefined, // cancelled, or given up: the machine decides at the deadline as before
      );
    armed = entry;
  }

  function disarm(): void {
    if (armed && !armed.outcome) armed.scope.cancel();
    armed = undefined;
  }

  /** A report when the mode, phase or answers changed since the last one; else only what the registry lacks. */
  async function reportChanges(): Promise<void> {
    if (m.mode !== reportedMode || m.phase !== reportedPhase || JSON.stringify(m.answers) !== reportedAnswers) return report();
    await Promise.all(tellRegistry().map((p) => p.catch(() => undefined)));
  }

  /** Until the deadline, the next look, or a refuse filter's end, whichever is first; a signal wakes it sooner. */
  async function waitBeforeNextLook(): Promise<void> {
    const now = Date.now();
    // The step was settled before the report's signals were acknowledged, and the deadline passed meanwhile (a task
    // later under load): escalate now, not after a check interval.
    if (m.nextDrainStep(now) === 'escalate' && sinceLater(DEADLINE_UNDER_LOAD)) return;
    const untilDeadline = m.deadlineMs - now;
    // Armed a while ahead, not at the last wait: under load that wait may come only after the deadline.
    if (m.phase === 'draining' && untilDeadline > 0 && untilDeadline <= ARM_LEAD_MS) armForDeadline();
    let timeout =
      m.phase === 'draining' && untilDeadline > 0 ? Math.min(untilDeadline, input.checkIntervalMs) : input.checkIntervalMs;
    let why: Parameters<typeof drainWaitSummary>[2] =
      m.phase === 'draining' && timeout === untilDeadline ? { kind: 'deadline', atMs: m.deadlineMs } : { kind: 'look', inMs: timeout };
    if (unchangedLooks > 0 && WAITS_ON_SIGNAL.includes(m.phase) && since(FEWER_LOOKS)) {
      timeout = input.checkIntervalMs * Math.min(2 ** unchangedLooks, MAX_LOOK_BACKOFF);
      why = { kind: 'look', inMs: timeout };
    }
    const nextOffer = m.nextOfferAtMs(now);
    if (nextOffer !== undefined && Math.max(nextOffer - now, 1) < timeout) {
      timeout = Math.max(nextOffer - now, 1);
      why = { kind: 'refuse-filter', atMs: nextOffer };
    }
    await condition(() => m.wake, timeout, { summary: drainWaitSummary(label, m.phase, why, now) });
  }

  function upIsDue(nowMs: number): boolean {
    return m.upAtMs !== undefined && nowMs >= m.upAtMs;
  }

  /**
   * Sends the hard drain's kills to the cluster; the activity then waits for the machine to be empty, and (baseline 5)
   * shuts it down.
   */
  function startKills(): StartedKills {
    const request = hardDrainRequest();
    const summary = hardDrainSummary(label, m.tasksAtLastLook ?? 0, request.maxGracePeriodMs, baseline5);
    const result = drain.hardDrain.executeWithOptions({ summary }, [baseline5 ? { ...request, downKey: downKey() } : request]);
    result.catch(() => undefined); // awaited in hardDrain(), which sees its failure; not an unhandled rejection before
    return { request, result };
  }

  /** The machine's shutdown, under one key whichever activity does it. */
  function downKey(): string {
    return `${m.windowId}/${m.key}/down`;
  }

  /** The hard drain's kills, under one key whoever sends them (the deadline's armed kills, the hard drain, the down). */
  function hardDrainRequest(): HardDrainRequest {
    return { machine: m.machine, maxGracePeriodMs: m.policy.maxGracePeriodMs, idempotencyKey: hardDrainKey(m.windowId, m.key) };
  }

  async function hardDrain(): Promise<void> {
    let killed: { taskId: string; frameworkId: string }[] = [];
    if (m.known) {
      const started = kills ?? startKills();
      const result = await started.result;
      kills = undefined;
      const drainRequest = started.request;
      // The down kills, under the same key, what a framework placed after the hard drain found the machine empty.
      // Kills are seen through by the run that started them, so they went out with this run's baseline.
      const down = baseline5
        ? undefined
        : await drain.takeMachineDown.executeWithOptions({ summary: `shut ${label} down (window ${m.windowId})` }, [
            { machine: m.machine, idempotencyKey: downKey(), drain: drainRequest },
          ]);
      // Each key's answer lists every task killed under it so far; runs recorded before the down killed answer none.
      const killedIds = new Set<string>();
      killed = [...result.killed, ...(down?.killed ?? [])]
        .filter(({ taskId }) => !killedIds.has(taskId) && killedIds.add(taskId))
        .map(({ taskId, frameworkId }) => ({ taskId, frameworkId }));
    }
    m.markDown(killed, Date.now());
    observe.down(m);
    if (schedulerApi()) m.killedNotices().forEach(deliver);
    await report();
  }

  async function waitWhileDown(): Promise<void> {
    m.wake = false;
    let why = 'operator';
    if (!m.requests.up) {
      const upAt = m.upAtMs;
      const woke =
        upAt === undefined
          ? await condition(() => m.wake).then(() => true)
          : await condition(() => m.wake, Math.max(upAt - Date.now(), 1), { summary: upTimerSummary(label, upAt, Date.now()) });
      if (since(DECIDE_FROM_STATE)) {
        // Whatever woke it, and whichever came first in one workflow task: the operator's up, or the end of the
        // unavailability by the clock (a cancel may have cleared the auto-up, an extension moved it).
        if (!m.requests.up && !upIsDue(Date.now())) return;
        if (!m.requests.up) why = 'unavailability ended';
      } else {
        if (woke && !m.requests.up) return; // woken by something else, e.g. a cancel that cleared the auto-up
        if (!woke) why = 'unavailability ended';
      }
    }
    if (m.known) {
      const summary = `bring ${label} up (${why})`;
      const request = { machine: m.machine, idempotencyKey: `${m.windowId}/${m.key}/up` };
      await clusterCall(baseline5, (proxy) => proxy.bringMachineUp.executeWithOptions({ summary }, [request]));
    }
    m.markUp(Date.now(), why);
    observe.up(m);
    if (schedulerApi()) m.upNotices().forEach(deliver);
    await report();
  }
}

/** Where a machine's signal goes; it rejects when the receiver does not exist (never started, or closed). */
interface Receiver {
  signal<Arg>(def: SignalDefinition<[Arg]>, arg: Arg): Promise<void>;
}

/**
 * A machine's outgoing signals (signals-by-activity), sent by one activity per batch: what is queued while a batch is
 * out goes in the next, so at most one batch is out at a time, in order. Each signal's request id comes from the
 * workflow (deterministic), so a batch retried after a failure halfway delivers nothing twice.
 */
class SignalOutbox {
  private queued: { signal: OutgoingSignal; settle: (outcome: SignalOutcome) => void }[] = [];
  private sending = false;

  /** Nothing queued or out: a run may end (an activity of a closed run never runs, so its signals would be lost). */
  get idle(): boolean {
    return !this.sending;
  }

  to(workflowId: string, runId?: string): Receiver {
    return {
      signal: <Arg>(def: SignalDefinition<[Arg]>, arg: Arg): Promise<void> =>
        new Promise<SignalOutcome>((settle) => {
          const signal = { workflowId, ...(runId === undefined ? {} : { runId }), name: def.name, arg, requestId: uuid4() };
          this.queued.push({ signal, settle });
          if (this.sending) return;
          this.sending = true;
          // After the rest of this activation: whatever it queues goes in the same batch.
          void Promise.resolve().then(() => this.flush());
        }).then((outcome) => {
          if (outcome === 'gone') throw ApplicationFailure.nonRetryable(`workflow ${workflowId} does not exist`);
        }),
    };
  }

  private async flush(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      // Retried until it goes; a batch refused for good (a payload the server rejects) counts as not delivered.
      const outcomes = await signalsOut
        .sendSignals(batch.map((b) => b.signal))
        .catch(() => batch.map((): SignalOutcome => 'gone'));
      batch.forEach((b, i) => b.settle(outcomes[i]));
    }
    this.sending = false;
  }
}

/** The deadline's kills armed ahead of it: for which deadline, the scope that cancels them, and what they did. */
interface ArmedKills {
  deadlineMs: number;
  scope: CancellationScope;
  outcome?: DeadlineKillResult;
}

/** A hard drain's request and the activity carrying it out. */
interface StartedKills {
  request: HardDrainRequest;
  result: Promise<KillResult>;
}
