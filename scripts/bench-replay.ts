// How much CPU maint's workflow code costs a worker, without a server: every recorded history (test/replay/histories)
// replayed several times, once with workflows' stack traces recorded (the SDK's promise hook) and once without
// (MAINT_WORKFLOW_STACK_TRACES=off, maint's default; README, "Patched dependencies"). Each way runs in a process of its
// own, since the hook is installed once per thread. A change to workflow code can be weighed here in seconds.
//
//   npm run bench:replay                       # 5 rounds of every history, each way
//   BENCH_REPLAY_ROUNDS=10 npm run bench:replay
//
// Prints a table, then one JSON line.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { projectRoot } from '../src/temporal/binaries';
import { quietSinks, WORKFLOW_STACK_TRACES_ENV, WORKFLOWS_PATH } from '../src/temporal/worker';

const HISTORIES = path.join(projectRoot(), 'test', 'replay', 'histories');
const ROUNDS = Number(process.env.BENCH_REPLAY_ROUNDS ?? 5);

interface Figures {
  stackTraces: 'on' | 'off';
  replays: number;
  events: number;
  failed: number;
  cpuMs: number;
  wallMs: number;
}

/** One way, in this process: every history ROUNDS times, after bundling (not counted). */
async function replayAll(stackTraces: 'on' | 'off'): Promise<Figures> {
  process.env[WORKFLOW_STACK_TRACES_ENV] = stackTraces; // before the replay worker installs its hooks
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
  const recorded = readdirSync(HISTORIES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: f, history: JSON.parse(readFileSync(path.join(HISTORIES, f), 'utf8')) }));
  const all = Array.from({ length: ROUNDS }, (_, round) => recorded.map((r) => ({ workflowId: `${r.name}#${round}`, history: r.history }))).flat();
  const events = all.reduce((n, r) => n + (r.history.events?.length ?? 0), 0);
  const cpu = process.cpuUsage();
  const started = Date.now();
  let failed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'bench-replay', sinks: quietSinks() }, all)) {
    if (result.error) failed++;
  }
  const used = process.cpuUsage(cpu);
  return { stackTraces, replays: all.length, events, failed, cpuMs: Math.round((used.user + used.system) / 1000), wallMs: Date.now() - started };
}

function main(): void {
  const child = process.argv[2];
  if (child === 'on' || child === 'off') {
    void replayAll(child).then((figures) => console.log(JSON.stringify(figures)));
    return;
  }
  const run = (way: 'on' | 'off'): Figures => {
    const out = execFileSync(process.execPath, [__filename, way], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop()!) as Figures;
  };
  const on = run('on');
  const off = run('off');
  if (on.failed || off.failed) throw new Error(`replays failed: ${on.failed} with stack traces, ${off.failed} without (npx jest --selectProjects replay says why)`);
  const perEvent = (f: Figures) => Math.round((f.cpuMs * 1000) / f.events);
  console.log(`| stack traces | replays | events | CPU | wall | CPU per event |`);
  console.log(`| --- | --- | --- | --- | --- | --- |`);
  for (const f of [on, off]) console.log(`| ${f.stackTraces} | ${f.replays} | ${f.events} | ${f.cpuMs} ms | ${f.wallMs} ms | ${perEvent(f)} µs |`);
  console.log(
    JSON.stringify({
      rounds: ROUNDS,
      replays: on.replays,
      events: on.events,
      cpuMsWithStackTraces: on.cpuMs,
      cpuMsWithout: off.cpuMs,
      saved: Math.round((1 - off.cpuMs / on.cpuMs) * 1000) / 1000,
    }),
  );
}

main();
