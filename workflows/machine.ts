// One machine through one window: DRAINING with inverse offers out → answers → DOWN (drained early, or a hard drain at
// the deadline, or an operator's down) → UP when its unavailability ends or an operator says so.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { machineLabel } from '../src/domain/machine';
import type { MachineView } from '../src/domain/window';
import { WorkflowIds } from '../src/temporal/ids';
import { ANSWERS, answerValue, DEADLINE, MACHINE, MODE, WINDOW } from '../src/temporal/search-attributes';
import { CLUSTER_CALL, drainCall } from './activity-options';
import { MachineState, type MachineSnapshot, type PendingDelivery } from './machine-state';
import {
  inverseOfferAnswers,
  machineCommand,
  machineModeChanged,
  machineProgress,
  machineReleased,
  machineView,
  type MachineInput,
} from './messages';

const cluster = proxyActivities<Activities>(CLUSTER_CALL);
const drain = proxyActivities<Activities>(drainCall('2h'));
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const DEFAULT_MAX_HISTORY_EVENTS = 4_000;
/** How long a finishing machine waits for its last notices (rescinds) to reach frameworks. */
const FINAL_DELIVERY_WAIT_MS = 60_000;
/** Notices are retried at least this long, and for inverse offers until the deadline. */
const MIN_DELIVERY_WINDOW_MS = 5 * 60_000;
/** Patch: the machine reports its mode changes to the schedule and its answers in a search attribute (Mesos). */
export const REPORTS_FOR_MESOS = 'reports-for-mesos';

export async function machineWorkflow(input: MachineInput): Promise<MachineView> {
  const m = input.resume
    ? MachineState.resume(input.resume as MachineSnapshot)
    : MachineState.start(input, Date.now());
  const label = machineLabel(m.machine);
  const ids = new WorkflowIds(input.instance);
  const window = getExternalWorkflowHandle(ids.window(m.windowId));
  const schedule = getExternalWorkflowHandle(ids.schedule);
  let inFlight = 0;
  let reportedMode = m.mode;
  let reportedAnswers = JSON.stringify(m.answers);

  setHandler(machineView, () => m.view(Date.now()));
  setHandler(machineCommand, (cmd) => m.command(cmd, Date.now()));
  setHandler(inverseOfferAnswers, (answers) => m.recordAnswers(answers));

  const deliver = (d: PendingDelivery): void => {
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

  const report = async (): Promise<void> => {
    const mesos = patched(REPORTS_FOR_MESOS);
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
        const change = { windowId: m.windowId, machineKey: m.key, mode: m.mode, machine: m.machine, unavailability: m.unavailability };
        sent.push(schedule.signal(machineModeChanged, change));
      }
    }
    // Window and schedule only mirror progress; a machine goes on even if their workflows were terminated by hand.
    sent.push(window.signal(machineProgress, { machineKey: m.key, mode: m.mode, phase: m.phase }));
    await Promise.all(sent.map((p) => p.catch(() => undefined)));
  };

  // After continue-as-new, notices the previous run had not delivered go out again under the same keys.
  m.deliveries.forEach(deliver);
  await report();

  while (m.phase !== 'done') {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS)) {
      // Notices still being delivered are re-sent by the next run under the same keys; give them a moment first so
      // the common case leaves no activity behind.
      if (inFlight > 0) await condition(() => inFlight === 0, FINAL_DELIVERY_WAIT_MS);
      await condition(allHandlersFinished);
      return continueAsNew<typeof machineWorkflow>({ ...input, resume: m.snapshot() });
    }
    if (m.beforeDown) await drainStep();
    else if (m.phase === 'hard-draining') await hardDrain();
    else await waitWhileDown();
  }

  // Let the last rescinds reach the frameworks, then free the machine for its next window.
  await condition(() => inFlight === 0, FINAL_DELIVERY_WAIT_MS);
  await getExternalWorkflowHandle(ids.schedule)
    .signal(machineReleased, { windowId: m.windowId, machineKey: m.key })
    .catch(() => undefined);
  return m.view(Date.now());

  async function drainStep(): Promise<void> {
    m.wake = false; // anything arriving while we look wakes the next wait at once
    const seen = await cluster.inspectMachine.executeWithOptions({ summary: `look at ${label}` }, [m.machine]);
    m.observe(seen, Date.now(), () => ids.offer(ids.machine(m.machine), uuid4())).forEach(deliver);
    // Answers changed: Mesos' maintenance status reads them from the search attribute.
    if (JSON.stringify(m.answers) !== reportedAnswers && patched(REPORTS_FOR_MESOS)) await report();
    let step = m.nextDrainStep(Date.now());
    if (step === 'wait') {
      const untilDeadline = m.deadlineMs - Date.now();
      const timeout =
        m.phase === 'draining' && untilDeadline > 0 ? Math.min(untilDeadline, input.checkIntervalMs) : input.checkIntervalMs;
      await condition(() => m.wake, timeout);
      return; // look at the machine again before deciding
    }
    if (step === 'cancel') {
      m.cancelDrain(Date.now()).forEach(deliver);
      await report();
      return;
    }
    if (step === 'escalate') {
      step = m.escalate(Date.now());
      if (step === 'wait') return report();
    }
    if (!m.mayGoDown(Date.now())) return report();
    m.startHardDrain(Date.now()).forEach(deliver);
    await report();
  }

  async function hardDrain(): Promise<void> {
    const key = `${m.windowId}/${m.key}`;
    let killed: { taskId: string; frameworkId: string }[] = [];
    if (m.known) {
      const grace = m.policy.maxGracePeriodMs;
      const result = await drain.hardDrain.executeWithOptions(
        { summary: `hard drain ${label}: kill what is left${grace === undefined ? '' : `, grace ≤ ${grace} ms`}` },
        [{ machine: m.machine, maxGracePeriodMs: grace, idempotencyKey: `${key}/hard-drain` }],
      );
      killed = result.killed.map(({ taskId, frameworkId }) => ({ taskId, frameworkId }));
      await cluster.takeMachineDown.executeWithOptions({ summary: `shut ${label} down` }, [
        { machine: m.machine, idempotencyKey: `${key}/down` },
      ]);
    }
    m.markDown(killed, Date.now());
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
          : await condition(() => m.wake, Math.max(upAt - Date.now(), 1));
      if (woke && !m.requests.up) return; // woken by something else, e.g. a cancel that cleared the auto-up
      if (!woke) why = 'unavailability ended';
    }
    if (m.known) {
      await cluster.bringMachineUp.executeWithOptions({ summary: `bring ${label} up` }, [
        { machine: m.machine, idempotencyKey: `${m.windowId}/${m.key}/up` },
      ]);
    }
    m.markUp(Date.now(), why);
    await report();
  }
}
