// The maintenance lifecycle on the time-skipping server: hours of deadlines and windows run in seconds.
import type { temporal } from '@temporalio/proto';
import { eventually } from '../support/eventually';
import { simMachine as sim } from '../support/harness';
import { timeSkippingSuite } from '../support/time-skipping';
import { scheduleView } from '../../workflows/messages';
import { activitiesRun } from '../../src/temporal/activities-run';
import { sentSignals as signalsIn } from '../../src/temporal/sent-signals';

const HOUR = 3_600_000;
const suite = timeSkippingSuite();
const harness = suite.harness;

const whatHappened = (history: { what: string }[]) => history.map((e) => e.what);

/** A payload's JSON (the SDK's default converter). */
const json = <T>(data: Uint8Array): T => JSON.parse(Buffer.from(data).toString('utf8')) as T;

/** The signals a workflow's history sent (by command or by activity), with their argument as `body`. */
function sentSignals(history: temporal.api.history.v1.IHistory) {
  return signalsIn(history.events!).map((s) => ({ ...s, body: (s.arg ?? {}) as { mode?: string; released?: boolean } }));
}

test('cooperative frameworks: a drained machine goes DOWN early, then UP when its window ends', async () => {
  const h = harness();
  await h.run(async () => {
    const window = await h.open([sim(1)], { durationMs: 4 * HOUR }); // sim-01 hosts only mover's task
    const startMs = window.unavailability.startMs;
    const result = await h.windowResult(window.id);
    expect(result.state).toBe('COMPLETED');
    const [machine] = (await h.windows.get(window.id)).machines;
    expect(machine.mode).toBe('UP');
    expect(machine.answers).toEqual([expect.objectContaining({ frameworkId: 'mover', answer: 'ACCEPT', late: false })]);
    expect(machine.killed).toEqual([]);
    const down = machine.history.find((e) => e.what === 'DOWN')!;
    const up = machine.history.find((e) => e.what === 'UP')!;
    expect(down.atMs).toBeLessThan(startMs); // drained before the deadline
    expect(up.atMs).toBeGreaterThanOrEqual(startMs + 4 * HOUR);
    expect(h.fleet.stats().kills).toEqual({});
    expect(h.eventsOf('mover', 'INVERSE_OFFERS')).toHaveLength(1);
  });
});

test('a new machine run looks first: no report to its window before it has something new to say', async () => {
  const h = harness();
  await h.run(async () => {
    const window = await h.open([sim(1)], { durationMs: HOUR });
    await h.windowResult(window.id);
    const history = await suite.env().client.workflow.getHandle(h.ids.machine(sim(1))).fetchHistory();
    // Its commands in order, a batch of signals standing for the signals in it.
    const commands = history.events!.flatMap((e) => {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendSignals' || e.signalExternalWorkflowExecutionInitiatedEventAttributes) {
        return signalsIn([e]).map((sent) => sent.name);
      }
      const ran = activitiesRun([e]).map((a) => a.type);
      if (ran.length) return ran;
      return e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.MaintenanceMode ? ['search attributes'] : [];
    });
    expect(commands[0]).toBe('inspectMachine'); // the window started it DRAINING and shows it so already
    // It still reports every change after: DOWN and UP, to its window, the schedule and the registry.
    expect(commands.filter((c) => c === 'machineProgress').length).toBeGreaterThanOrEqual(2);
    expect(commands.filter((c) => c === 'machineModeChanged')).toHaveLength(2);
    const [machine] = (await h.windows.get(window.id)).machines;
    expect(machine.mode).toBe('UP');
    // Its first look's inverse offer went out once, whole: with what the framework holds there.
    const offers = h.eventsOf('mover', 'INVERSE_OFFERS').flatMap((r) => (r.event.type === 'INVERSE_OFFERS' ? r.event.inverse_offers.inverse_offers : []));
    expect(offers).toHaveLength(1);
    expect(offers[0].resources.length).toBeGreaterThan(0);
  });
});

test('declines and silence: what is left at the deadline is hard-drained, each task killed once', async () => {
  const h = harness();
  await h.run(async () => {
    // sim-06 hosts mover, decliner and silent tasks
    const window = await h.open([sim(6)], { durationMs: 4 * HOUR });
    const result = await h.windowResult(window.id);
    expect(result.state).toBe('COMPLETED');
    const [machine] = (await h.windows.get(window.id)).machines;
    expect(machine.answers.map((a) => `${a.frameworkId}:${a.answer}`).sort()).toEqual(['decliner:DECLINE', 'mover:ACCEPT']);
    expect(machine.killed.map((t) => t.frameworkId).sort()).toEqual(['decliner', 'silent']);
    expect(Object.values(h.fleet.stats().kills)).toEqual([1, 1]);
    const hardDrain = machine.history.find((e) => e.what === 'hard drain')!;
    expect(hardDrain.atMs).toBeGreaterThanOrEqual(window.deadlineMs);
    expect(whatHappened(machine.history)).toEqual(expect.arrayContaining(['DRAINING', 'deadline passed', 'hard drain', 'DOWN', 'UP']));
  });
});

test('the kills go out with the decision: the workflow task that reports the hard drain also schedules it', async () => {
  const h = harness();
  await h.run(async () => {
    const window = await h.open([sim(6)], { durationMs: HOUR }); // decliner and silent tasks stay to the deadline
    await h.windowResult(window.id);
    const history = await suite.env().client.workflow.getHandle(h.ids.machine(sim(6))).fetchHistory();
    const events = history.events!;
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'hardDrain')!;
    const task = Number(scheduled.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId);
    const sameTask = signalsIn(events).filter((sent) => sent.sentBy === task);
    // Not a task later, after the report's signals were acknowledged: under load that was seconds.
    expect(sameTask.map((sent) => sent.name)).toContain('machineProgress');
    expect(h.fleet.stats().killLog.map((k) => k.reason)).toEqual(['hard-drain', 'hard-drain']);
  });
});

test('a new machine run records one patch marker, the baseline standing for every earlier patch', async () => {
  const h = harness();
  await h.run(async () => {
    // sim-01 drains early (mover only); sim-06 is hard-drained at its deadline (decliner, silent): most paths.
    const window = await h.open([sim(1), sim(6)], { durationMs: HOUR });
    await h.windowResult(window.id);
    for (const machine of [sim(1), sim(6)]) {
      const history = await suite.env().client.workflow.getHandle(h.ids.machine(machine)).fetchHistory();
      const patches = history.events!.flatMap((e) => {
        const marker = e.markerRecordedEventAttributes;
        if (marker?.markerName !== 'core_patch') return [];
        const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
        return data ? [json<{ id: string }>(data).id] : [];
      });
      expect(patches).toEqual(['machine-baseline-5-fewer-tasks']);
      // And so one TemporalChangeVersion upsert, not one per patch.
      const versionUpserts = history.events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion);
      expect(versionUpserts).toHaveLength(1);
    }
    const [early, drained] = (await h.windows.get(window.id)).machines;
    expect(early.killed).toEqual([]);
    expect(drained.killed.map((t) => t.frameworkId).sort()).toEqual(['decliner', 'silent']);
  });
});

test('a machine signals its window by the window\'s run, and publishes no bookkeeping of its own', async () => {
  const h = harness();
  await h.run(async () => {
    const window = await h.open([sim(6)], { durationMs: HOUR }); // hard-drained at its deadline: every report
    await h.windowResult(window.id);
    const client = suite.env().client;
    const windowRun = (await client.workflow.getHandle(h.ids.window(window.id)).describe()).runId;
    const machine = client.workflow.getHandle(h.ids.machine(sim(6)));
    await machine.result(); // its last signals' acknowledgements may come after its window has heard it is done
    const history = await machine.fetchHistory();
    const signalled = sentSignals(history);
    const to = (name: string) => signalled.filter((s) => s.name === name);
    expect(to('machineProgress').length).toBeGreaterThan(0);
    for (const s of to('machineProgress')) expect({ workflowId: s.workflowId, runId: s.runId }).toEqual({ workflowId: h.ids.window(window.id), runId: windowRun });
    // The schedule, the registry and the mailboxes continue as new: signalled by workflow ID.
    const others = [...to('machineModeChanged'), ...to('machineUnavailability'), ...to('frameworkNotices')];
    expect(others.length).toBeGreaterThan(0);
    for (const s of others) expect(s.runId).toBe('');

    // Every memo upsert publishes something a reader shows: what the registry was last told is not published.
    const states = history.events!.flatMap((e) => {
      const field = e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.machineState;
      return field?.data ? [json<{ state: Record<string, unknown> }>(field.data).state] : [];
    });
    expect(states.length).toBeGreaterThan(2);
    for (const state of states) expect(state).not.toHaveProperty('reported');
  });
});

test('answers tell the window nothing it mirrors: a second answer sends it no progress report (machine-baseline-4)', async () => {
  // Nobody answers by itself: the test answers for the decliner, then for the silent framework, each once reported.
  const h = harness({ frameworks: { mover: 'silent', decliner: 'silent', silent: 'silent' } });
  await h.run(async () => {
    const window = await h.open([sim(6)], { durationMs: HOUR }); // sim-06 holds tasks of decliner and silent
    const machine = suite.env().client.workflow.getHandle(h.ids.machine(sim(6)));
    const offerTo = (frameworkId: string) => h.eventsOf(frameworkId, 'INVERSE_OFFERS')[0]?.event;
    await eventually(() => offerTo('decliner') !== undefined && offerTo('silent') !== undefined, 'inverse offers to decliner and silent');
    const idOf = (frameworkId: string) => {
      const event = offerTo(frameworkId);
      return event?.type === 'INVERSE_OFFERS' ? event.inverse_offers.inverse_offers[0].id.value : '';
    };
    const history = async () => (await machine.fetchHistory()).events ?? [];
    // The answers a report published for Mesos' status: the last MaintenanceAnswers search attribute upserted.
    const answersReported = async () => {
      const upserts = (await history()).flatMap((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.MaintenanceAnswers ?? []);
      const last = upserts.at(-1)?.data;
      return last ? json<string[]>(last).length : 0;
    };
    const progress = async () => signalsIn(await history()).filter((sent) => sent.name === 'machineProgress').map((sent) => sent.arg as { phase: string });

    await h.answer('decliner', 'DECLINE', [idOf('decliner')]);
    await eventually(async () => (await answersReported()) === 1 && (await progress()).length === 1, 'the first answer reported');
    await h.answer('silent', 'DECLINE', [idOf('silent')]);
    await eventually(async () => (await answersReported()) === 2, 'the second answer reported');
    expect((await progress()).map((p) => p.phase)).toEqual(['draining']); // not told the same progress again

    await h.windowResult(window.id);
    await machine.result();
    const phases = (await progress()).map((p) => p.phase);
    expect(phases).toEqual(['draining', 'hard-draining', 'down', 'done']);
  });
});

test('a machine whose window run has closed signals whatever runs under the window\'s ID', async () => {
  const h = harness();
  await h.run(async () => {
    const client = suite.env().client;
    const window = await h.open([sim(6)], { durationMs: HOUR });
    const machine = client.workflow.getHandle(h.ids.machine(sim(6)));
    // The window has started its machine, which has looked (its first workflow task is done) before the window goes.
    await eventually(async () => (await machine.describe().catch(() => undefined))?.memo?.machineState !== undefined, 'the machine published its state');
    const first = client.workflow.getHandle(h.ids.window(window.id));
    const firstRunId = (await first.describe()).runId;
    await first.terminate('test: the window run is replaced');
    // Any run under the window's ID stands for a reset window's new run here: it records the signals it gets.
    const second = await client.workflow.start('scheduleWorkflow', {
      workflowId: h.ids.window(window.id),
      taskQueue: h.taskQueue,
      args: [{ settings: h.schedule.settings }],
    });
    await machine.result();
    // Signals after the terminate were still addressed to the first run, closed: the activity sent them by ID instead.
    const toFirst = sentSignals(await machine.fetchHistory()).filter((sent) => sent.runId === firstRunId);
    expect(toFirst.map((sent) => sent.body.mode).slice(-2)).toEqual(['DOWN', 'UP']);
    const heard = (await second.fetchHistory()).events!.flatMap((e) => {
      const a = e.workflowExecutionSignaledEventAttributes;
      const data = a?.input?.payloads?.[0]?.data;
      if (a?.signalName !== 'machineProgress' || !data) return [];
      return [json<{ mode: string }>(data).mode];
    });
    expect(heard[0]).toBe('DRAINING'); // its phases while DRAINING (the hard drain), then down and up
    expect(heard.slice(-2)).toEqual(['DOWN', 'UP']);
    await second.terminate('test: done');
  });
});

test('a machine\'s UP report frees it for its next window: no release signal of its own', async () => {
  const h = harness();
  await h.run(async () => {
    const client = suite.env().client;
    const window = await h.open([sim(1), sim(6)], { durationMs: HOUR }); // drained early; hard-drained
    const schedule = client.workflow.getHandle(h.ids.schedule);
    expect((await schedule.query(scheduleView)).windows.map((w) => w.reserved.length)).toEqual([2]);
    await h.windowResult(window.id);
    for (const m of [sim(1), sim(6)]) {
      const machine = client.workflow.getHandle(h.ids.machine(m));
      await machine.result();
      const sent = sentSignals(await machine.fetchHistory())
        .filter((s) => s.workflowId === h.ids.schedule)
        .map((s) => `${s.name} ${s.body.mode}${s.body.released ? ' released' : ''}`);
      expect(sent).toEqual(['machineModeChanged DOWN', 'machineModeChanged UP released']);
    }
    // Both released: the window holds no machine in the schedule any more, and a new window may take them.
    expect((await schedule.query(scheduleView)).windows).toEqual([]);
    const again = await h.open([sim(1), sim(6)], { durationMs: HOUR });
    expect(again.machines.map((m) => m.hostname)).toEqual(['sim-01', 'sim-06']);
  });
});
