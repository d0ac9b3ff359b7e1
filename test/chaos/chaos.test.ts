// Chaos: a 200-machine maintenance run while maint's processes, its Temporal server and a framework's webhook fail
// under it, then the invariants that must hold whatever happened. The only randomness is when things fail: a seeded
// schedule (the seed is printed; CHAOS_SEED=<seed> replays it). Everything else waits with generous timeouts.
//
// Injected: the worker SIGKILLed at least five times (restarted after a moment each time), the dev server SIGKILLed
// and started again on the same SQLite file and port, a framework's webhook away for a minute, the API SIGKILLed and
// restarted. See docs/reliability.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { projectRoot } from '../../src/temporal/binaries';
import { stringifyJson } from '../../src/lib/json';
import { RestartableDevServer } from '../support/restartable-dev-server';
import { seededRandom, seedFrom } from '../support/seeded-random';
import { Stack } from '../support/stack';
import { TestFramework } from '../support/framework';
import { freePort } from '../support/ports';
import {
  killedAtMostOnce,
  modesAsPolicyImplies,
  machinesClosedAt,
  noAnswerLost,
  noDuplicatedWebhookEffect,
  noWorkflowFailedOrStuck,
  remainingKilled,
  type SimFrameworkView,
  type SimMachine,
  type SimStats,
  type Verdict,
  type WindowJson,
  type WindowPlan,
  type WorkflowRow,
} from './invariants';

const SEED = seedFrom(process.env.CHAOS_SEED);
/** Machines in maintenance (four windows); CHAOS_MACHINES makes a smaller run for trying changes out. */
const MACHINES = Number(process.env.CHAOS_MACHINES ?? 200);
/** Machines outside every window, where the mover moves its tasks. */
const SPARE = 20;
const WORKER_KILLS = 6;
const WEBHOOK_AWAY_MS = 60_000;
const SETTLE_TIMEOUT_MS = 10 * 60_000;
/** How long maint may take to answer a window's query again after a fault before the run says it did not. */
const RECOVERY_TIMEOUT_MS = 5 * 60_000;

const random = seededRandom(SEED);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const print = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : 'n/a');

interface WindowSpec {
  name: string;
  policy: Record<string, unknown>;
  drainWithin: string;
  duration: string;
}

// Mixed policies: early down or not, automatic up or not, pacing with a grace cap. Deadlines of a minute or more, so
// that the chaos lands before, at and after them.
const WINDOWS: WindowSpec[] = [
  { name: 'hard drain, early down, auto up', policy: { escalation: 'hard-drain', downWhenDrained: true, autoUp: true }, drainWithin: '75s', duration: '45s' },
  { name: 'hard drain at the deadline only, auto up', policy: { escalation: 'hard-drain', downWhenDrained: false, autoUp: true }, drainWithin: '90s', duration: '30s' },
  { name: 'hard drain, stays DOWN', policy: { escalation: 'hard-drain', downWhenDrained: true, autoUp: false }, drainWithin: '60s', duration: '30s' },
  { name: 'paced (10 at once), grace ≤ 2s, auto up', policy: { escalation: 'hard-drain', maxParallel: 10, maxGracePeriod: '2s', autoUp: true }, drainWithin: '80s', duration: '20s' },
];

type ChaosKind = 'worker' | 'server' | 'api';
interface ChaosEvent {
  kind: ChaosKind;
  atMs: number;
  /** How long the process (or server) stays away. */
  awayMs: number;
}

/** When things fail, relative to the windows' creation; the seed decides. */
function chaosSchedule(): { events: ChaosEvent[]; webhookAwayAtMs: number } {
  const events: ChaosEvent[] = [];
  for (let i = 0; i < WORKER_KILLS; i++) {
    events.push({ kind: 'worker', atMs: Math.round(random.between(5_000, 180_000)), awayMs: Math.round(random.between(500, 3_000)) });
  }
  events.push({ kind: 'server', atMs: Math.round(random.between(30_000, 120_000)), awayMs: 3_000 });
  events.push({ kind: 'api', atMs: Math.round(random.between(15_000, 150_000)), awayMs: 2_000 });
  events.sort((a, b) => a.atMs - b.atMs);
  return { events, webhookAwayAtMs: Math.round(random.between(5_000, 30_000)) };
}

let server: RestartableDevServer | undefined;
let stack: Stack | undefined;
let ext: TestFramework | undefined;
let connection: Connection | undefined;

afterAll(async () => {
  await ext?.stop();
  await stack?.stop();
  await connection?.close();
  await server?.stop();
});

test(`chaos: ${MACHINES} machines in maintenance while the worker, the server, the API and a webhook fail`, async () => {
  const runStarted = Date.now();
  const runDir = path.join(projectRoot(), 'test-output', 'chaos', `seed-${SEED}-${runStarted}`);
  mkdirSync(runDir, { recursive: true });
  const schedule = chaosSchedule();
  print(`chaos: seed ${SEED} (replay: CHAOS_SEED=${SEED} npm run test:chaos); ${MACHINES} machines; logs in ${runDir}`);
  print(`chaos: schedule ${schedule.events.map((e) => `${e.kind}@${seconds(e.atMs)}`).join(', ')}, webhook away @${seconds(schedule.webhookAwayAtMs)} for ${seconds(WEBHOOK_AWAY_MS)}`);

  // Its own dev server on a SQLite file, so that it can be killed and started again on the same state and port.
  server = await RestartableDevServer.start(await freePort(), runDir);
  process.env.TEMPORAL_ADDRESS = server.address; // Stack's processes connect there
  process.env.MAINT_TEST_DIR = runDir;
  stack = await Stack.start({ machines: MACHINES + SPARE, checkInterval: '10s', taskGrace: '3s' });
  const s = stack;
  connection = await Connection.connect({ address: server.address });
  const temporal = new Client({ connection, namespace: 'default' });

  // A framework in this process with a webhook that honours idempotency keys, and a task on every fifth machine.
  ext = new TestFramework({ frameworkId: 'ext', maintUrl: s.apiUrl });
  const framework = ext;
  await framework.listen();
  await framework.subscribe();
  const all: { id: { hostname: string; ip: string } }[] = await s.sim('/machines');
  const inMaintenance = all.slice(0, MACHINES).map((m) => m.id);
  for (const [i, machine] of inMaintenance.entries()) {
    if (i % 5 !== 4) continue;
    const res = await fetch(`${s.simUrl}/tasks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ frameworkId: 'ext', machine: machine.hostname, gracePeriodMs: 2_000 }),
    });
    expect(res.status).toBe(201);
  }
  // The simulated frameworks subscribe in the background: wait for them, so every machine's offers reach them.
  await s.eventually('the simulated frameworks subscribed', async () => {
    const views: { subscribed: boolean }[] = await s.sim('/frameworks');
    return views.every((f) => f.subscribed) ? true : undefined;
  });

  const hosts = new Set(inMaintenance.map((m) => m.hostname));
  const tasksAtStart: { taskId: string; frameworkId: string; hostname: string }[] = await s.sim('/tasks');
  // Nobody moves these: they are still there at the deadline and must be killed then.
  const mustDie = tasksAtStart.filter((t) => hosts.has(t.hostname) && t.frameworkId !== 'mover').map((t) => t.taskId);

  const per = Math.ceil(MACHINES / WINDOWS.length);
  const plans: WindowPlan[] = [];
  for (const [i, spec] of WINDOWS.entries()) {
    const machines = inMaintenance.slice(i * per, (i + 1) * per);
    const created = await s.api('POST', '/api/v1/windows', { machines, drainWithin: spec.drainWithin, duration: spec.duration, policy: spec.policy });
    expect(created.status).toBe(201);
    plans.push({ id: created.body.id, autoUp: spec.policy.autoUp !== false });
    print(`chaos: window ${created.body.id}: ${machines.length} machines, ${spec.name}, drain within ${spec.drainWithin}, down for ${spec.duration}`);
  }
  const t0 = Date.now();
  const at = () => seconds(Date.now() - t0);

  // The webhook goes away for a minute, on its own clock.
  const figures = {
    /** Worker restarted → its /healthz answers 200 (the Temporal Worker is RUNNING). */
    workerRecoveryMs: [] as number[],
    /** Worker restarted → a window's query is answered again (a worker took a task); measured in the background. */
    workerQueryMs: [] as number[],
    serverStartMs: 0,
    /** Server started again → a window's query is answered (worker and API reconnected by themselves). */
    serverRecoveryMs: 0,
    apiRecoveryMs: 0,
    webhookCatchUpMs: 0,
  };
  // One machine's query (GET /api/v1/machines/:machine): answered only once a worker took the task. A whole window's
  // GET queries its 50 machines, which on a loaded machine can take longer than a probe should.
  const probeMachine = inMaintenance[0].hostname;
  // How long until maint answers again after a fault, measured without holding the next fault back.
  const recoveries: Promise<void>[] = [];
  const unrecovered: string[] = [];
  const timeToQueries = (what: string, since: number, record: (ms: number) => void) => {
    recoveries.push(
      s.eventually(what, answersQueries, RECOVERY_TIMEOUT_MS).then(
        () => {
          record(Date.now() - since);
          print(`chaos: +${at()} ${what} after ${seconds(Date.now() - since)}`);
        },
        () => {
          unrecovered.push(what);
          print(`chaos: +${at()} NOT ${what} within ${seconds(RECOVERY_TIMEOUT_MS)}`);
        },
      ),
    );
  };
  const answersQueries = async (): Promise<true | undefined> => {
    try {
      const res = await fetch(`${s.apiUrl}/api/v1/machines/${probeMachine}`, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      return res.status === 200 ? true : undefined;
    } catch {
      return undefined;
    }
  };
  const webhook = (async () => {
    await sleep(Math.max(0, t0 + schedule.webhookAwayAtMs - Date.now()));
    await framework.close();
    print(`chaos: +${at()} the ext framework's webhook is away`);
    await sleep(WEBHOOK_AWAY_MS);
    const before = framework.deliveries.length;
    const back = Date.now();
    await framework.listen();
    print(`chaos: +${at()} the ext framework's webhook is back on the same port`);
    await s.eventually('a delivery after the webhook came back', async () => (framework.deliveries.length > before ? true : undefined), 5 * 60_000);
    figures.webhookCatchUpMs = Date.now() - back;
  })();

  let workerKills = 0;
  for (const event of schedule.events) {
    await sleep(Math.max(0, t0 + event.atMs - Date.now()));
    if (event.kind === 'worker') {
      await s.kill('worker', 'SIGKILL');
      workerKills++;
      await sleep(event.awayMs);
      const restarted = Date.now();
      s.spawn('worker');
      await s.eventually('the restarted worker healthy', () => workerHealthy(s), 120_000);
      const healthyMs = Date.now() - restarted;
      figures.workerRecoveryMs.push(healthyMs);
      print(`chaos: +${at()} worker SIGKILLed (#${workerKills}), restarted after ${seconds(event.awayMs)}, healthy ${seconds(healthyMs)} later`);
      timeToQueries(`queries answered after worker restart #${workerKills}`, restarted, (ms) => figures.workerQueryMs.push(ms));
    } else if (event.kind === 'server') {
      const { startMs } = await server.restart('SIGKILL', event.awayMs);
      const started = Date.now();
      await s.waitHealthy(180_000);
      figures.serverStartMs = startMs;
      timeToQueries('queries answered after the dev server restart', started, (ms) => (figures.serverRecoveryMs = ms));
      const alive = (['worker', 'api'] as const).every((role) => s.processes.get(role)?.exitCode === null);
      print(`chaos: +${at()} dev server SIGKILLed, started again on the same file in ${seconds(startMs)}, API healthy ${seconds(Date.now() - started)} later; worker and API ${alive ? 'survived' : 'DIED'}`);
      expect(alive).toBe(true);
    } else {
      await s.kill('api', 'SIGKILL');
      await sleep(event.awayMs);
      const restarted = Date.now();
      s.spawn('api');
      await s.waitHealthy(120_000);
      figures.apiRecoveryMs = Date.now() - restarted;
      print(`chaos: +${at()} API SIGKILLed, restarted after ${seconds(event.awayMs)}, healthy ${seconds(figures.apiRecoveryMs)} later`);
    }
  }
  expect(workerKills).toBeGreaterThanOrEqual(5);
  await webhook;
  await Promise.all(recoveries);

  // Let everything settle: windows with autoUp complete, the others hold their machines DOWN.
  // Bounded: when it does not get there, the invariants below say what is wrong rather than a bare timeout.
  let windows: WindowJson[] = [];
  const unreadable: string[] = [];
  for (const deadline = Date.now() + SETTLE_TIMEOUT_MS; ; ) {
    windows = [];
    unreadable.length = 0;
    let settled = true;
    for (const plan of plans) {
      const res = await s.api<WindowJson & { message?: string }>('GET', `/api/v1/windows/${plan.id}`).catch((err: Error) => ({ status: 0, body: { message: err.message } as WindowJson & { message?: string } }));
      if (res.status !== 200) {
        unreadable.push(`GET /api/v1/windows/${plan.id}: ${res.status} ${res.body?.message ?? ''}`);
        settled = false;
        continue;
      }
      windows.push(res.body);
      if (plan.autoUp ? res.body.state !== 'COMPLETED' : !res.body.machines.every((m) => m.mode === 'DOWN')) settled = false;
    }
    if (settled || Date.now() > deadline) break;
    await sleep(1_000);
  }
  const settledMs = Date.now() - t0;
  // Nothing died on its own: only the kills above ended a process.
  for (const role of ['worker', 'api', 'sim'] as const) expect([role, s.processes.get(role)?.exitCode]).toEqual([role, null]);
  print(`chaos: +${at()} ${unreadable.length === 0 ? 'windows read' : `windows unreadable: ${unreadable.join('; ')}`}`);

  // Every event of the ext framework's mailbox reached its webhook.
  const page = await framework.client.pull();
  const lastEventId = page.last_event_id;
  const firstEventId = page.resync ? undefined : page.events[0]?.id;
  // Bounded too: a missing event is what the webhook invariant reports.
  await s
    .eventually(`the ext framework's webhook to reach event ${lastEventId}`, async () =>
      framework.deliveries.some((d) => d.seq >= lastEventId) ? true : undefined, 5 * 60_000)
    .catch(() => undefined);
  await sleep(2_000); // answers in flight land

  const stayDownHosts = new Set(windows.filter((w) => !plans.find((p) => p.id === w.id)!.autoUp).flatMap((w) => w.machines.map((m) => m.id.hostname)));
  // Visibility is a moment behind: wait (bounded) for closed workflows to show as closed.
  let rows: WorkflowRow[] = [];
  const instance = String(s.env.MAINT_INSTANCE);
  const listed = Date.now();
  for (;;) {
    rows = [];
    for await (const wf of temporal.workflow.list()) rows.push({ workflowId: wf.workflowId, type: wf.type, status: wf.status.name, ...(wf.closeTime ? { closedAtMs: wf.closeTime.getTime() } : {}) });
    if (noWorkflowFailedOrStuck(rows, plans, instance, stayDownHosts).ok || Date.now() - listed > 60_000) break;
    await sleep(2_000);
  }

  const [simMachines, stats, simFrameworks] = await Promise.all([
    s.sim<SimMachine[]>('/machines'),
    s.sim<SimStats>('/stats'),
    s.sim<SimFrameworkView[]>('/frameworks'),
  ]);
  const verdicts: Verdict[] = [
    {
      name: 'maint answers again after every fault',
      ok: unrecovered.length === 0 && unreadable.length === 0,
      numbers: `${figures.workerQueryMs.length + (figures.serverRecoveryMs ? 1 : 0)} recoveries measured, ${unrecovered.length} not within ${seconds(RECOVERY_TIMEOUT_MS)}`,
      problems: [...unrecovered, ...unreadable],
    },
    modesAsPolicyImplies(plans, windows, simMachines),
    killedAtMostOnce(stats, windows),
    remainingKilled(mustDie, stats),
    noAnswerLost(simFrameworks, windows, machinesClosedAt(rows)),
    noWorkflowFailedOrStuck(rows, plans, instance, stayDownHosts),
    noDuplicatedWebhookEffect(
      'ext',
      framework.deliveries.map((d) => ({ idempotencyKey: d.idempotencyKey, seq: d.seq, body: stringifyJson(d.event) })),
      { first: firstEventId, last: lastEventId },
      simFrameworks,
    ),
  ];
  for (const v of verdicts) print(`invariant: ${v.name}: ${v.ok ? 'PASS' : 'FAIL'} (${v.numbers})`);
  for (const v of verdicts.filter((x) => !x.ok)) for (const p of v.problems) print(`  ${v.name}: ${p}`);

  const report = {
    seed: SEED,
    machines: MACHINES,
    runMs: Date.now() - runStarted,
    windowsSettledMs: settledMs,
    workerKills,
    ...figures,
    tasksKilled: Object.keys(stats.kills).length,
    verdicts,
  };
  writeFileSync(path.join(runDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
  print(
    `chaos: figures: run ${seconds(report.runMs)} (windows settled ${seconds(settledMs)} after creation); ${workerKills} worker kills, ` +
      `worker healthy after restart median ${seconds(median(figures.workerRecoveryMs))}, max ${seconds(max(figures.workerRecoveryMs))}, ` +
      `answering queries median ${seconds(median(figures.workerQueryMs))}, max ${seconds(max(figures.workerQueryMs))}; ` +
      `dev server start ${seconds(figures.serverStartMs)}, queries answered ${seconds(figures.serverRecoveryMs)} after it; ` +
      `API healthy ${seconds(figures.apiRecoveryMs)} after its restart; webhook's first delivery ${seconds(figures.webhookCatchUpMs)} after it came back`,
  );
  expect(verdicts.filter((v) => !v.ok).map((v) => `${v.name}: ${v.problems.join('; ')}`)).toEqual([]);
}, 40 * 60_000);

async function workerHealthy(stack: Stack): Promise<true | undefined> {
  try {
    const res = await fetch(`${stack.workerMetricsUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200 ? true : undefined;
  } catch {
    return undefined;
  }
}
