// Patch ids (`patched()`): each names one change to workflows that have recorded histories, and is kept for as long
// as histories from before it may still be replayed. One id per change, shared by every workflow it touches.

/** The machine reports its mode changes to the schedule and its answers in a search attribute (Mesos endpoints). */
export const REPORTS_FOR_MESOS = 'reports-for-mesos';

/**
 * The scheduler API: notices go to the frameworks' mailboxes by signal; refuse filters, plans, tasks-killed and
 * machine-up notices; reports to the framework registry; disruption budgets before a hard drain; the registry's
 * snapshot to a new subscriber; the agent drain's notices.
 */
export const SCHEDULER_API = 'scheduler-api';

/** The framework mailbox answers an ACCEPT/DECLINE once it is recorded, and forwards it to the machines after. */
export const ANSWERS_IN_BACKGROUND = 'answers-in-background';

/** A machine sends one framework's notices one after the other (two signals sent together may arrive swapped). */
export const ORDERED_NOTICES = 'ordered-notices';

/**
 * A machine decides from its state and the time, and reports once per step: after a look it settles the step (wait,
 * cancel, escalate, wait for a slot or the budgets, hard drain) before it sends anything, and while DOWN it comes UP
 * when the unavailability has ended, whatever woke it. Its commands then no longer depend on whether a signal was
 * applied in the same workflow task as a look's result or a timer (they were, in replays of histories a worker had
 * written in two tasks: docs/reliability.md).
 */
export const DECIDE_FROM_STATE = 'decide-from-state';

/**
 * Machines and windows publish their state in their memo when it changes, so reads need no worker
 * (src/temporal/published-state.ts).
 */
export const STATE_IN_MEMO = 'state-in-memo';

/**
 * A deadline or a budget grant is acted on without a new look at the machine when the last one is recent: the hard
 * drain kills whatever runs there anyway. After asking the registry, the machine waits for its answer rather than
 * looking again at once.
 */
export const QUICK_ESCALATION = 'quick-escalation';

/**
 * Fewer looks at a machine, where a look cannot change what comes next:
 * - while it waits on a signal (a slot from its window, the frameworks' budgets from the registry), looks that find
 *   nothing changed come further apart, up to eight check intervals: the answer wakes it anyway, and under load a look
 *   a second per waiting machine was most of the fleet's workflow tasks (docs/performance.md);
 * - at the deadline, the escalation works from the machine's last routine look (at most two check intervals before
 *   it, the deadline passed less than one ago), however late a timer fired: the hard drain kills whatever runs there.
 */
export const FEWER_LOOKS = 'fewer-looks';

/**
 * A new machine run sends no report before its first look: its window started it DRAINING with the same search
 * attributes and already shows it so, so the report's progress signal and search-attribute upsert said nothing new
 * (one signal and two workflow tasks fewer per machine). Its state is still published.
 */
export const QUIET_START = 'quiet-start';

/**
 * The hard drain's kills start in the workflow task that decided them, with the report's signals, instead of in the
 * task after the report's signals were acknowledged: under load that task waited seconds behind the fleet's others,
 * so the first kill reached the cluster 3-4 s after the decision at 200 machines (docs/performance.md).
 */
export const PROMPT_HARD_DRAIN = 'prompt-hard-drain';

/**
 * Stands for every machine patch above: a machine run started with it takes all their paths without recording a
 * marker for each. Each patch a run takes costs it a marker and a `TemporalChangeVersion` search-attribute upsert
 * (two events and a visibility write); a lifecycle took six to nine. Runs started before it take each patch as they
 * did (`since` in workflows/machine.ts), so their histories replay unchanged. A patch added after this one is taken
 * the usual way, and a later baseline may stand for it in turn.
 */
export const MACHINE_BASELINE = 'machine-baseline-2026-11';

/**
 * The patches the machine baseline stands for, and only these: a patch added after it must be asked with patched()
 * itself, or runs started between the baseline and it would take its path without a marker and fail to replay.
 */
export const BEFORE_MACHINE_BASELINE = [
  REPORTS_FOR_MESOS,
  SCHEDULER_API,
  ORDERED_NOTICES,
  DECIDE_FROM_STATE,
  STATE_IN_MEMO,
  QUICK_ESCALATION,
  FEWER_LOOKS,
  QUIET_START,
  PROMPT_HARD_DRAIN,
] as const;
export type BeforeMachineBaseline = (typeof BEFORE_MACHINE_BASELINE)[number];

/**
 * The deadline under load, where a machine's every step is a workflow task late (docs/performance.md):
 * - the deadline passed while the machine awaited its report's acknowledgements, after it had settled on waiting: it
 *   escalates at once, instead of starting a check interval's timer;
 * - the escalation works from the machine's last look before the deadline when it is at most five check intervals
 *   old, instead of a new look (two more tasks).
 * Asked only where it changes what the machine does, so other runs record no marker for it.
 */
export const DEADLINE_UNDER_LOAD = 'deadline-under-load';

/**
 * A machine waiting for its deadline with a hard drain due there arms it: an activity sleeps in the worker until the
 * deadline, checks that nothing called the hard drain off, and kills (activities/deadline-kill.ts). Under load the
 * machine's own workflow task at the deadline came seconds late. Asked only when a machine arms.
 */
export const ARMED_KILLS = 'armed-kills';

/**
 * At the deadline a machine goes on from what its armed kills did, not from its own last look: it waits for their
 * answer (up to ARMED_KILLS_ANSWER_MS after the deadline), and when they found the machine empty it takes that as a
 * look and goes down drained, with no hard drain. Before, the machine's own workflow task at the deadline, when it
 * came first, hard-drained from a look made before the deadline, and so did one whose kills had found nothing there
 * (a framework had moved its tasks since): a hard drain the history dated from that task, seconds late under load.
 * Asked only where it changes what the machine does.
 */
export const ARMED_KILLS_FIRST = 'armed-kills-first';

/**
 * A window with a hard drain at its deadline and no maxParallel arms one activity for all its machines when it starts
 * (activities/deadline-kill.ts): at the deadline it fences and kills each machine that has not armed its own, and
 * tells it when. Under load a machine's workflow may start, or first look, only after its deadline.
 */
export const WINDOW_ARMS_KILLS = 'window-arms-kills';

/**
 * A framework mailbox forwards a late answer (to an offer rescinded since) before it answers the call, and reports it
 * ignored when its machine's workflow has ended: the answer is moot then, as Mesos ignores an answer to an offer that
 * is gone, and the machine's history, the record of its answers, can no longer take it. Before, the call answered
 * "recorded" and the forward could land after the machine had completed (a chaos run found it: docs/reliability.md).
 */
export const LATE_ANSWERS_CONFIRMED = 'late-answers-confirmed';

/**
 * A window's operator commands (extend, cancel, down, up, a maxParallel slot) reach a machine once the window has
 * started its run, in order, as the schedule's commands do: a cancel in the window's first moments signalled machines
 * not started yet, and the request failed (a 500); a machine waiting for its previous maintenance to end would have
 * been sent the command to that previous run.
 */
export const WINDOW_COMMANDS_AFTER_START = 'window-commands-after-start';

/**
 * A machine's published state leaves out `reported` (what the registry was last told: the machine's own bookkeeping,
 * which no reader shows). Its change alone, when the registry's acknowledgement came back, was a memo upsert of its
 * own: a history event and a visibility write, the dev server's costliest store operation (docs/performance.md).
 */
export const LEAN_PUBLISHING = 'lean-publishing';

/**
 * A machine's signals to its window name the window's run (its parent's), so the server finds the run without a
 * look-up of the current one in its store at every attempt (a window never continues as new). A run that has closed
 * (reset, or terminated by hand and started again) is signalled by its workflow ID, as before.
 */
export const SIGNALS_TO_KNOWN_RUNS = 'signals-to-known-runs';

/**
 * A machine's UP report to the schedule frees it for its next window too (`released` in the mode change), instead of
 * a `machineReleased` signal of its own once the run's last notices had gone out: one signal fewer per machine into
 * the fleet's one schedule, and one workflow task fewer at the machine's end. The release no longer waits for those
 * notices; nothing needed it to: a machine's next run starts only once this run has closed (workflows/window.ts).
 */
export const RELEASE_WITH_UP = 'release-with-up';

/**
 * Stands for `machine-baseline-2026-11` and the machine patches after it, as that one did for the ones before: a run
 * started with it records this one marker (`sinceLater` in workflows/machine.ts). Runs started before it take each
 * patch as they did.
 */
export const MACHINE_BASELINE_2 = 'machine-baseline-2026-11-27';

/** The patches the second machine baseline stands for, and only these (BEFORE_MACHINE_BASELINE's rule). */
export const AFTER_MACHINE_BASELINE = [DEADLINE_UNDER_LOAD, ARMED_KILLS, LEAN_PUBLISHING, SIGNALS_TO_KNOWN_RUNS, RELEASE_WITH_UP] as const;
export type AfterMachineBaseline = (typeof AFTER_MACHINE_BASELINE)[number];

/**
 * Stands for `machine-baseline-2026-11-27` and every machine patch before it, as that one did, and brings one change
 * of its own, taken only by runs started with it: the machine's signals (progress to its window, mode changes to the
 * schedule, reports and requests to the frameworks' registry, notices to the mailboxes) go out from an activity per
 * batch (activities/signals.ts) instead of a workflow command each. A signal sent by workflow code cost the sender two
 * history events and a task for its acknowledgement, and the receiver a second call that removes its dedup entry
 * (docs/performance.md). Runs started before it send as they did.
 */
export const MACHINE_BASELINE_3 = 'machine-baseline-3-signals-by-activity';
/**
 * Stands for `machine-baseline-3-signals-by-activity` and every machine patch before it, as that one did, and brings
 * one change of its own, taken only by runs started with it: a report tells the window the machine's progress only
 * when it differs from what the window was last told. A report made because answers changed (the window does not
 * mirror them) sent the same progress again, often the only signal in its batch: an activity and a workflow task for
 * the machine, a signal and a workflow task for the window, to change nothing (docs/performance.md).
 */
export const MACHINE_BASELINE_4 = 'machine-baseline-4-progress-when-changed';
/**
 * Stands for `machine-baseline-4-progress-when-changed` and every machine patch before it, as that one did, and brings
 * changes of its own, taken only by runs started with it, each a workflow task fewer (docs/performance.md):
 * - the hard drain's activity also shuts the machine down once it is empty (`downKey`), where a second activity,
 *   takeMachineDown, did it after;
 * - a look at the machine and its up are local activities (CLUSTER_CALL_IN_TASK), run in the workflow task that needs
 *   their answer, where each was an activity and a workflow task of its own.
 * Runs started before it go on as they did.
 */
export const MACHINE_BASELINE_5 = 'machine-baseline-5-fewer-tasks';
