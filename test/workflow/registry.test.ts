// The framework registry on the time-skipping server: disruption budgets (hold, release, in order) answered to probe
// workflows standing in for machines, the unavailability fan-out to the mailboxes of subscribed frameworks only, and
// its state across continue-as-new; then real machine and agent workflows using it.
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FrameworkNotice, MachineUnavailability } from '../../src/domain/framework';
import { machineKey, type MachineId } from '../../src/domain/machine';
import { AgentService } from '../../src/service/agents';
import { activitiesRun } from '../../src/temporal/activities-run';
import { sentSignals } from '../../src/temporal/sent-signals';
import type { agentWorkflow } from '../../workflows/agent';
import type { frameworksWorkflow } from '../../workflows/frameworks';
import {
  frameworksView,
  machineUnavailability,
  machineView,
  releaseDisruption,
  requestDisruption,
  unavailabilityView,
  unsubscribeFramework,
  type MachineCommand,
} from '../../workflows/messages';
import { FleetDriver } from '../support/fleet-driver';
import { Harness, simMachine as sim, type HarnessOptions } from '../support/harness';
import { timeSkippingSuite } from '../support/time-skipping';
import { probeCommands, type machineProbeWorkflow } from './fixtures/registry-probe';
import { eventually } from '../support/eventually';
import { budgetedFrameworksFromMemo } from '../../src/temporal/published-state';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const suite = timeSkippingSuite();

let probeBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  probeBundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'fixtures', 'registry-probe.ts'),
    logger: new DefaultLogger('WARN'),
  });
});

/** A stack whose workers also run the probe; frameworks are subscribed by each test itself. */
function probeHarness(options: HarnessOptions = {}): Harness {
  return new Harness(suite.env(), probeBundle, { frameworks: {}, ...options });
}

// ---- helpers -----------------------------------------------------------------------------------------------------


const probeId = (n: number) => `probe/${sim(n).hostname}`;

async function startProbe(h: Harness, n: number): Promise<void> {
  await h.env.client.workflow.start<typeof machineProbeWorkflow>('machineProbeWorkflow', {
    workflowId: probeId(n),
    taskQueue: h.taskQueue,
    args: [],
  });
}

function commandsOf(h: Harness, n: number): Promise<MachineCommand[]> {
  return h.env.client.workflow.getHandle(probeId(n)).query(probeCommands);
}

/** Machine n asks the budgets, as a machine workflow does before its hard drain. */
function ask(h: Harness, n: number, tasksByFramework: Record<string, number>, workflowId = probeId(n)) {
  return registry(h).signal(requestDisruption, {
    machineKey: machineKey(sim(n)),
    workflowId,
    label: sim(n).hostname!,
    tasksByFramework,
  });
}

const release = (h: Harness, n: number) => registry(h).signal(releaseDisruption, { machineKey: machineKey(sim(n)) });
const registry = (h: Harness) => h.env.client.workflow.getHandle<typeof frameworksWorkflow>(h.ids.frameworks);

/** Machine n as a machine workflow reports it; odd machines share one unavailability, even ones another. */
function state(n: number, mode: MachineUnavailability['mode'] = 'DRAINING'): MachineUnavailability {
  const machine = sim(n);
  const startMs = Date.UTC(2026, 11, 1, 12 + (n % 2));
  return {
    key: machineKey(machine),
    machine,
    agentId: `agent-${machine.hostname}`,
    mode,
    ...(mode === 'UP' ? {} : { unavailability: { startMs, durationMs: HOUR } }),
  };
}

const report = (h: Harness, n: number, mode?: MachineUnavailability['mode']) =>
  registry(h).signal(machineUnavailability, state(n, mode));

const granted: MachineCommand = { type: 'disruption-granted' };
const held = (why: string): MachineCommand => ({ type: 'disruption-held', why });

/** Every event a framework's mailbox holds, oldest first (read from the start: seq 0). */
async function eventsOf(h: Harness, frameworkId: string) {
  return (await h.frameworks.events(frameworkId, { afterSeq: 0 })).events;
}

/** The unavailability notices a framework's mailbox holds, oldest first. */
async function unavailabilityNotices(h: Harness, frameworkId: string) {
  return (await eventsOf(h, frameworkId))
    .map((e) => e.notice)
    .filter((n): n is Extract<FrameworkNotice, { kind: 'unavailability' }> => n.kind === 'unavailability');
}

const hostnames = (machines: MachineUnavailability[]) => machines.map((m) => m.machine.hostname);

/** No webhook: the mailbox keeps the events for pull (nothing here depends on webhook delivery). */
const pullOnly = { webhookUrl: undefined };

// ---- disruption budgets, the registry alone ------------------------------------------------------------------------

describe('disruption budgets', () => {
  test('the registry publishes which frameworks have a budget in its memo, as subscriptions come and go', async () => {
    const h = probeHarness();
    await h.run(async () => {
      expect(await h.frameworks.budgeted()).toEqual([]); // no registry yet
      await h.subscribe('mover', { ...pullOnly });
      await h.subscribe('decliner', { ...pullOnly, budget: { maxTasksKilled: 2 } });
      const memo = async () => budgetedFrameworksFromMemo((await registry(h).describe()).memo);
      expect(await memo()).toEqual(['decliner']);
      await h.subscribe('mover', { ...pullOnly, budget: { maxMachinesDown: 1 } }); // subscribing again changes it
      expect(await memo()).toEqual(['decliner', 'mover']);
      expect(await h.frameworks.budgeted()).toEqual(['decliner', 'mover']);
      await h.frameworks.unsubscribe('decliner');
      expect(await h.frameworks.budgeted()).toEqual(['mover']);
    });
  });

  test('machines are held while a budget is used up and granted in order as machines are released', async () => {
    const h = probeHarness();
    await h.run(async () => {
      await h.subscribe('mover', { ...pullOnly, budget: { maxMachinesDown: 1 } });
      await h.subscribe('decliner', { ...pullOnly, budget: { maxTasksKilled: 2 } });
      for (const n of [1, 2, 3, 4]) await startProbe(h, n);

      await ask(h, 1, { mover: 1 });
      await ask(h, 2, { mover: 1, decliner: 1 });
      await ask(h, 3, { silent: 3 }); // no budget: never held
      await ask(h, 4, { decliner: 2 }); // would fit now, but sim-02 is ahead of it on decliner's budget
      await eventually(async () => (await Promise.all([1, 2, 3, 4].map((n) => commandsOf(h, n)))).every((c) => c.length === 1), 'an answer to each');
      expect(await commandsOf(h, 1)).toEqual([granted]);
      expect(await commandsOf(h, 2)).toEqual([held('disruption budget of mover: 1 of 1 machines hosting it down (sim-01)')]);
      expect(await commandsOf(h, 3)).toEqual([granted]);
      expect(await commandsOf(h, 4)).toEqual([held('disruption budget of decliner: waiting behind sim-02')]);
      expect(await h.frameworks.budgets()).toEqual([
        { frameworkId: 'mover', budget: { maxMachinesDown: 1 }, tasksKilled: 1, machinesDown: ['sim-01'], waiting: ['sim-02'] },
        { frameworkId: 'decliner', budget: { maxTasksKilled: 2 }, tasksKilled: 0, machinesDown: [], waiting: ['sim-02', 'sim-04'] },
      ]);

      await release(h, 1); // sim-01 is UP again
      await eventually(async () => (await commandsOf(h, 4)).length === 2, 'sim-04 told its new reason');
      expect(await commandsOf(h, 2)).toEqual([held('disruption budget of mover: 1 of 1 machines hosting it down (sim-01)'), granted]);
      expect((await commandsOf(h, 4))[1]).toEqual(
        held('disruption budget of decliner: 1 of 2 tasks killed (sim-02); sim-04 would kill 2 more'),
      );

      await release(h, 2);
      await eventually(async () => (await commandsOf(h, 4)).length === 3, 'sim-04 granted');
      expect((await commandsOf(h, 4))[2]).toEqual(granted);
      expect(await commandsOf(h, 1)).toEqual([granted]); // nothing more for the machines already let go

      await release(h, 3);
      await release(h, 4);
      await eventually(async () => (await h.frameworks.budgets()).every((b) => b.tasksKilled === 0 && b.waiting.length === 0), 'all free');
    });
  });

  test('a held machine is told again only when the reason changes', async () => {
    const h = probeHarness();
    await h.run(async () => {
      await h.subscribe('mover', { ...pullOnly, budget: { maxMachinesDown: 2 } });
      for (const n of [1, 2, 3, 4]) await startProbe(h, n);
      await ask(h, 1, { mover: 1 });
      await ask(h, 2, { mover: 1 });
      await ask(h, 3, { mover: 1 });
      await ask(h, 4, { mover: 1 });
      await eventually(async () => (await commandsOf(h, 4)).length === 1, 'sim-04 held');
      await ask(h, 3, { mover: 1 }); // asked again (a retried signal): keeps its place, no repeat of the same reason
      await release(h, 1);
      await eventually(async () => (await commandsOf(h, 3)).length === 2, 'sim-03 granted');
      await eventually(async () => (await commandsOf(h, 4)).length === 2, 'sim-04 told its new reason');
      expect(await commandsOf(h, 3)).toEqual([held('disruption budget of mover: 2 of 2 machines hosting it down (sim-01, sim-02)'), granted]);
      expect(await commandsOf(h, 4)).toEqual([
        held('disruption budget of mover: waiting behind sim-03'),
        held('disruption budget of mover: 2 of 2 machines hosting it down (sim-02, sim-03)'),
      ]);
    });
  });

  test('a machine reported UP, or whose workflow is gone, holds nothing any more', async () => {
    const h = probeHarness();
    await h.run(async () => {
      await h.subscribe('mover', { ...pullOnly, budget: { maxMachinesDown: 1 } });
      await startProbe(h, 2);
      await startProbe(h, 3);
      await ask(h, 1, { mover: 1 }, 'no-such-workflow'); // granted, but nobody takes the answer
      await ask(h, 2, { mover: 1 });
      await eventually(async () => (await commandsOf(h, 2)).at(-1)?.type === 'disruption-granted', 'sim-02 granted');
      await ask(h, 3, { mover: 1 });
      await eventually(async () => (await commandsOf(h, 3)).length === 1, 'sim-03 held');
      await report(h, 2, 'UP'); // UP again: its release may be lost (e.g. its workflow terminated by hand)
      await eventually(async () => (await commandsOf(h, 3)).at(-1)?.type === 'disruption-granted', 'sim-03 granted');
    });
  });

  test('only the principal that subscribed a framework may unsubscribe it; its budget then holds nothing', async () => {
    const h = probeHarness();
    await h.run(async () => {
      await h.subscribe('mover', { ...pullOnly, budget: { maxMachinesDown: 1 } }, 'alice');
      await startProbe(h, 1);
      await startProbe(h, 2);
      await ask(h, 1, { mover: 1 });
      await ask(h, 2, { mover: 1 });
      await eventually(async () => (await commandsOf(h, 2)).length === 1, 'sim-02 held');

      const refused = await registry(h)
        .executeUpdate(unsubscribeFramework, { args: [{ frameworkId: 'mover', principal: 'bob' }] })
        .catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('FORBIDDEN');
      expect((await registry(h).query(frameworksView)).map((f) => f.frameworkId)).toEqual(['mover']);

      await registry(h).executeUpdate(unsubscribeFramework, { args: [{ frameworkId: 'mover', principal: 'alice' }] });
      expect(await registry(h).query(frameworksView)).toEqual([]);
      await eventually(async () => (await commandsOf(h, 2)).at(-1)?.type === 'disruption-granted', 'sim-02 granted');
    });
  });
});

// ---- unavailability fan-out ------------------------------------------------------------------------------------------

describe('unavailability', () => {
  test("every change reaches every subscribed framework's mailbox, and only theirs; a new subscriber gets all at once", async () => {
    const h = probeHarness();
    await h.run(async () => {
      await h.subscribe('a', pullOnly);
      await h.subscribe('b', pullOnly);
      await h.configureMailbox('c', { webhook: false }); // a mailbox, but not a subscriber of the registry

      // Their snapshots at subscribe were empty: nothing in maintenance yet, nothing to tell.
      await report(h, 1);
      await eventually(async () => (await unavailabilityNotices(h, 'a')).length === 1, 'a told of sim-01');
      await eventually(async () => (await unavailabilityNotices(h, 'b')).length === 1, 'b told of sim-01');
      const [change] = await unavailabilityNotices(h, 'a');
      expect(change.full).toBeUndefined();
      expect(change.machines).toEqual([state(1)]);
      expect(await unavailabilityNotices(h, 'c')).toEqual([]);

      await report(h, 2);
      await eventually(async () => (await unavailabilityNotices(h, 'a')).length === 2, 'a told of sim-02');
      await h.subscribe('d', pullOnly);
      await eventually(async () => (await unavailabilityNotices(h, 'd')).length === 1, 'd given the snapshot');
      const [full] = await unavailabilityNotices(h, 'd');
      expect(full.full).toBe(true);
      expect(hostnames(full.machines)).toEqual(['sim-01', 'sim-02']);

      await h.frameworks.unsubscribe('b');
      expect((await registry(h).query(frameworksView)).map((f) => f.frameworkId)).toEqual(['a', 'd']);
      await report(h, 1, 'UP');
      await eventually(async () => (await unavailabilityNotices(h, 'd')).length === 2, 'd told sim-01 is UP');
      const up = (await unavailabilityNotices(h, 'd'))[1];
      expect(up.machines).toEqual([{ key: machineKey(sim(1)), machine: sim(1), agentId: 'agent-sim-01', mode: 'UP' }]);
      await eventually(async () => (await unavailabilityNotices(h, 'a')).length === 3, 'a told sim-01 is UP');
      expect(hostnames((await unavailabilityNotices(h, 'b')).flatMap((n) => n.machines))).toEqual(['sim-01', 'sim-02']);
      expect(await unavailabilityNotices(h, 'c')).toEqual([]);
      expect(hostnames(await registry(h).query(unavailabilityView))).toEqual(['sim-02']);
    });
  });

  test('changes that come together are told together, at most once a second', async () => {
    const h = probeHarness();
    await h.run(async () => {
      await h.subscribe('a', pullOnly);
      await report(h, 1); // told at once
      await eventually(async () => (await unavailabilityNotices(h, 'a')).length === 1, 'sim-01');
      // Within the second after: held back, then told together.
      await Promise.all([report(h, 2), report(h, 3), report(h, 4)]);
      await eventually(async () => (await unavailabilityNotices(h, 'a')).flatMap((n) => n.machines).length === 4, 'all four');
      const events = (await eventsOf(h, 'a')).filter((e) => e.notice.kind === 'unavailability');
      expect(events.length).toBeLessThan(4);
      for (let i = 1; i < events.length; i++) expect(events[i].atMs - events[i - 1].atMs).toBeGreaterThanOrEqual(1_000);
    });
  });
});

// ---- continue-as-new -----------------------------------------------------------------------------------------------

test('the registry continues as new with its subscriptions, machines, budgets and queue', async () => {
  const h = probeHarness();
  await h.run(async () => {
    const first = await h.env.client.workflow.start<typeof frameworksWorkflow>('frameworksWorkflow', {
      workflowId: h.ids.frameworks,
      taskQueue: h.taskQueue,
      args: [{ maxHistoryEvents: 40 }],
    });
    await h.subscribe('mover', { ...pullOnly, budget: { maxMachinesDown: 1 } });
    for (const n of [1, 2]) await startProbe(h, n);
    await ask(h, 1, { mover: 1 });
    await ask(h, 2, { mover: 1 });
    await eventually(async () => (await commandsOf(h, 2)).length === 1, 'sim-02 held');
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) await report(h, n);
    await eventually(
      async () => (await h.env.client.workflow.getHandle(h.ids.frameworks).describe()).runId !== first.firstExecutionRunId,
      'a new run',
    );
    expect((await registry(h).query(frameworksView)).map((f) => f.frameworkId)).toEqual(['mover']);
    await report(h, 3, 'DOWN');
    await report(h, 8, 'UP');
    await eventually(async () => (await registry(h).query(unavailabilityView)).length === 7, 'seven machines');
    expect(await registry(h).query(unavailabilityView)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => state(n, n === 3 ? 'DOWN' : 'DRAINING')));
    // Placement asks only about its candidates (all of them would not fit a query answer at 10,000 machines): a
    // candidate by hostname only, or with another spelling of the hostname, still finds its machine.
    const asked = await registry(h).query(unavailabilityView, { machines: [{ hostname: 'SIM-03' }, { ip: '192.0.2.5' }, { hostname: 'elsewhere' }] });
    expect(hostnames(asked)).toEqual(['sim-03', 'sim-05']);
    expect(await h.frameworks.budgets()).toEqual([
      { frameworkId: 'mover', budget: { maxMachinesDown: 1 }, tasksKilled: 1, machinesDown: ['sim-01'], waiting: ['sim-02'] },
    ]);
    await release(h, 1);
    await eventually(async () => (await commandsOf(h, 2)).length === 2, 'sim-02 granted by the new run');
    expect(await commandsOf(h, 2)).toEqual([held('disruption budget of mover: 1 of 1 machines hosting it down (sim-01)'), granted]);
    await eventually(async () => (await unavailabilityNotices(h, 'mover')).flatMap((n) => n.machines).length >= 10, 'every change told');
  });
});

// ---- real machines and agents --------------------------------------------------------------------------------------

describe('with real machine workflows', () => {
  test("a framework's budget holds the second machine's hard drain until the first is UP again", async () => {
    // mover never answers here, so its task is left on both machines at the deadline; one machine down at a time.
    const h = suite.harness({ frameworks: { mover: 'silent' }, subscriptions: { mover: { budget: { maxMachinesDown: 1 } } } });
    await h.run(async () => {
      const window = await h.open([sim(1), sim(3)], { durationMs: HOUR });
      const result = await h.windowResult(window.id);
      expect(result.machineModes.map((m) => m.mode)).toEqual(['UP', 'UP']);

      const views = await Promise.all([sim(1), sim(3)].map((m) => h.env.client.workflow.getHandle(h.ids.machine(m)).query(machineView)));
      const at = (v: (typeof views)[number], what: string) => v.history.find((e) => e.what === what)?.atMs;
      const [second, first] = views.some((v, i) => i === 0 && v.history.some((e) => e.what === 'held by disruption budgets'))
        ? views
        : [views[1], views[0]];
      const heldEntry = second.history.find((e) => e.what === 'held by disruption budgets');
      expect(heldEntry?.detail).toBe(`disruption budget of mover: 1 of 1 machines hosting it down (${labelOf(first.id)})`);
      expect(first.history.some((e) => e.what === 'held by disruption budgets')).toBe(false);
      expect(at(second, 'DOWN')!).toBeGreaterThanOrEqual(at(first, 'UP')!);
      // Held back, it still gets its whole hour down.
      expect(at(second, 'UP')! - at(second, 'DOWN')!).toBeGreaterThanOrEqual(HOUR);
      // Held about an hour, it looked at its machine a few times, not once a check interval (a minute here): looks
      // that find nothing new come further apart, up to eight intervals, while the registry's answer is awaited.
      const secondHistory = await h.env.client.workflow.getHandle(h.ids.machine(second.id)).fetchHistory();
      const looksWhileHeld = activitiesRun(secondHistory.events!).filter((a) => a.type === 'inspectMachine' && a.atMs >= heldEntry!.atMs);
      const heldMs = at(second, 'DOWN')! - heldEntry!.atMs;
      expect(heldMs).toBeGreaterThan(50 * 60_000);
      expect(looksWhileHeld.length).toBeGreaterThan(0); // it does look: a machine emptied meanwhile needs no budget
      expect(looksWhileHeld.length).toBeLessThan(4 + heldMs / (8 * 60_000) + 1);

      const notices = (await eventsOf(h, 'mover')).map((e) => e.notice);
      const killed = notices.filter((n) => n.kind === 'tasks-killed');
      expect(killed.map((n) => n.kind === 'tasks-killed' && [n.machine.hostname, n.gone, n.cause, n.tasks.length])).toEqual(
        expect.arrayContaining([
          ['sim-01', true, 'hard-drain', 1],
          ['sim-03', true, 'hard-drain', 1],
        ]),
      );
      expect(notices.filter((n) => n.kind === 'machine-up').length).toBe(2);
      expect(notices.filter((n) => n.kind === 'inverse-offers').length).toBe(2);
      await eventually(async () => (await h.frameworks.budgets())[0]?.machinesDown.length === 0, 'the budget free again');
      expect(await registry(h).query(unavailabilityView)).toEqual([]);
    });
  });

  test('with no budget on any framework of the machine, the hard drain goes ahead without asking the registry', async () => {
    // sim-06 runs tasks of mover, decliner and silent, all subscribed, none with a budget; none answers, so the
    // deadline's hard drain kills them.
    const h = suite.harness({ frameworks: { mover: 'silent', decliner: 'silent', silent: 'silent' } });
    await h.run(async () => {
      const window = await h.open([sim(6)], { durationMs: HOUR });
      const result = await h.windowResult(window.id);
      expect(result.machineModes.map((m) => m.mode)).toEqual(['UP']);
      const view = await h.env.client.workflow.getHandle(h.ids.machine(sim(6))).query(machineView);
      const whats = view.history.map((e) => e.what);
      expect(whats).toContain('disruption budgets not asked');
      expect(whats).not.toContain('waiting for disruption budgets');
      expect(whats.indexOf('disruption budgets not asked')).toBeLessThan(whats.indexOf('hard drain'));
      const history = await h.env.client.workflow.getHandle(h.ids.machine(sim(6))).fetchHistory();
      const signalled = sentSignals(history.events!).map((sent) => sent.name);
      expect(signalled).toContain('machineProgress'); // the reading sees the machine's signals at all
      expect(signalled).not.toContain('requestDisruption');
      expect(signalled).not.toContain('releaseDisruption');
      expect(view.killed.length).toBeGreaterThan(0); // the hard drain did kill
    });
  });

  test('an agent drain tells each framework which of its tasks it killed, with their volumes', async () => {
    const h = suite.harness({ frameworks: { mover: 'silent', decliner: 'silent' } });
    await h.run(async () => {
      const agents = new AgentService(h.schedule, new FleetDriver(h.fleet));
      const agentId = h.fleet.describe(sim(2)).agentId;
      await agents.drain(agentId, { markGone: true }, { drain: true, markGone: true });
      await h.env.client.workflow.getHandle<typeof agentWorkflow>(h.ids.agent(agentId)).result();
      const killedOf = async (frameworkId: string) =>
        (await eventsOf(h, frameworkId)).map((e) => e.notice).filter((n) => n.kind === 'tasks-killed');
      await eventually(async () => (await killedOf('decliner')).length === 1, 'decliner told');
      const [decliner] = await killedOf('decliner');
      expect(decliner).toMatchObject({ kind: 'tasks-killed', machine: sim(2), agentId, gone: true, cause: 'agent-drain' });
      expect(decliner.kind === 'tasks-killed' && decliner.tasks.map((t) => t.volumes)).toEqual([['sim-02/decliner-data']]);
      expect(await killedOf('mover')).toHaveLength(1);
    });
  });
});

function labelOf(id: MachineId): string {
  return `${id.hostname} (${id.ip})`;
}
