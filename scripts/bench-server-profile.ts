// BENCH_SERVER_PROFILE=<dir>: where the Temporal dev server's CPU goes during maint's side of bench:fleet. The server
// is a Go binary, stripped of its ELF symbols but not of Go's own function table: Linux `perf` samples its stacks,
// `go tool addr2line` names the frames. Both are developer tools, not maint's dependencies; without them the
// benchmark says so and runs on.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Samples a second: a prime, so that sampling does not beat in step with the server's own timers. */
const FREQUENCY_HZ = 299;

/**
 * What the server's CPU went to, as the share of samples with such a frame on the stack (a sample may count in
 * more than one row: a signal's delivery writes to the store). The frames are the server's entry points for each
 * kind of work, so the rows read as "what maint asked of it".
 */
export const SERVER_WORK: readonly { what: string; frames: readonly RegExp[] }[] = [
  { what: 'signals: delivered, received, their dedup entry removed', frames: [/processSignalExecution$/, /_HistoryService_SignalWorkflowExecution_Handler$/, /_HistoryService_RemoveSignalMutableState_Handler$/] },
  { what: 'workflow tasks: started, completed, polled', frames: [/_HistoryService_RecordWorkflowTaskStarted_Handler$/, /_HistoryService_RespondWorkflowTaskCompleted_Handler$/, /_MatchingService_PollWorkflowTaskQueue_Handler$/] },
  { what: 'activity tasks: started, completed, polled', frames: [/_HistoryService_RecordActivityTaskStarted_Handler$/, /_HistoryService_RespondActivityTaskCompleted_Handler$/, /_MatchingService_PollActivityTaskQueue_Handler$/] },
  { what: 'updates (frameworks\' answers, operators\' commands)', frames: [/_HistoryService_UpdateWorkflowExecution_Handler$/, /_HistoryService_PollWorkflowExecutionUpdate_Handler$/] },
  { what: 'visibility writes (memo, search attributes, start, close)', frames: [/visibilityQueueTaskExecutor\)\.Execute$/] },
  { what: 'reads: describe, list, query, history', frames: [/_WorkflowService_(DescribeWorkflowExecution|ListWorkflowExecutions|CountWorkflowExecutions|QueryWorkflow|GetWorkflowExecutionHistory)_Handler$/] },
  { what: 'timers and task timeouts', frames: [/timerQueueActiveTaskExecutor\)\.Execute$/] },
  { what: 'children started and closed', frames: [/processStartChildExecution$/, /_HistoryService_RecordChildExecutionCompleted_Handler$/] },
  { what: 'SQLite (the store, all of the above)', frames: [/^modernc\.org\/sqlite/] },
  { what: 'garbage collection', frames: [/^runtime\.gcBgMarkWorker$/] },
];

export interface ServerProfileSummary {
  samples: number;
  cpuSeconds: number;
  /** Share of samples (0–1) for each SERVER_WORK row. */
  work: { what: string; share: number }[];
  /** The functions most samples were in (self time), with their share. */
  hottest: { frame: string; share: number }[];
}

export interface ServerProfile {
  /** Stops sampling and reads the profile; undefined when it could not be taken (the reason was printed). */
  stop(): Promise<ServerProfileSummary | undefined>;
}

export function startServerProfile(pid: number, binary: string, dir: string): ServerProfile {
  const file = path.join(dir, 'temporal-server.perf');
  const missing = ['perf', 'go'].filter((tool) => spawnSync(tool, ['version'], { stdio: 'ignore' }).error);
  if (missing.length) {
    console.log(`BENCH_SERVER_PROFILE: ${missing.join(' and ')} not found; the server is not profiled (apt-get install linux-perf; Go)`);
    return { stop: async () => undefined };
  }
  const perf = spawn('perf', ['record', '-F', String(FREQUENCY_HZ), '-g', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  perf.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-2_000)));
  const startedAt = performance.now();
  return {
    async stop() {
      const seconds = (performance.now() - startedAt) / 1000;
      if (!(await stopped(perf))) {
        console.log(`BENCH_SERVER_PROFILE: perf failed: ${errors.trim()}`);
        return undefined;
      }
      const summary = await summarise(file, binary);
      console.log(`BENCH_SERVER_PROFILE: ${summary.samples} samples over ${seconds.toFixed(1)} s in ${file}`);
      return summary;
    },
  };
}

async function stopped(perf: ChildProcess): Promise<boolean> {
  if (perf.exitCode !== null) return perf.exitCode === 0;
  const exited = new Promise<number | null>((resolve) => perf.once('exit', (code) => resolve(code)));
  perf.kill('SIGINT'); // perf writes its file on SIGINT
  const code = await exited;
  return code === 0 || code === null || code === 130;
}

/** The samples' stacks, named by the binary's Go function table. */
async function summarise(file: string, binary: string): Promise<ServerProfileSummary> {
  const base = textBase(binary);
  const samples: number[][] = [];
  let stack: number[] = [];
  const script = spawn('perf', ['script', '-F', 'ip', '-i', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  for await (const line of createInterface({ input: script.stdout! })) {
    const text = line.trim();
    if (text === '') {
      if (stack.length) samples.push(stack);
      stack = [];
    } else if (/^[0-9a-f]+$/.test(text.split(/\s/)[0])) {
      // Unnamed frames come as offsets into the binary's file: its first segment maps offset 0 at `base`.
      stack.push(parseInt(text.split(/\s/)[0], 16) + base);
    }
  }
  if (stack.length) samples.push(stack);
  const addresses = [...new Set(samples.flat())];
  const named = spawnSync('go', ['tool', 'addr2line', binary], {
    input: addresses.map((a) => `0x${a.toString(16)}`).join('\n') + '\n',
    maxBuffer: 512 * 1024 * 1024,
  });
  const lines = named.stdout.toString().split('\n');
  const frameOf = new Map(addresses.map((a, i) => [a, lines[2 * i] ?? '?']));
  const selfCounts = new Map<string, number>();
  const workCounts = SERVER_WORK.map(() => 0);
  for (const s of samples) {
    const frames = new Set(s.map((a) => frameOf.get(a)!));
    const leaf = frameOf.get(s[0])!;
    selfCounts.set(leaf, (selfCounts.get(leaf) ?? 0) + 1);
    SERVER_WORK.forEach((row, i) => {
      if ([...frames].some((f) => row.frames.some((re) => re.test(f)))) workCounts[i]++;
    });
  }
  const n = Math.max(samples.length, 1);
  return {
    samples: samples.length,
    cpuSeconds: samples.length / FREQUENCY_HZ,
    work: SERVER_WORK.map((row, i) => ({ what: row.what, share: workCounts[i] / n })),
    hottest: [...selfCounts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([frame, count]) => ({ frame, share: count / n })),
  };
}

/** The address the binary's first loadable segment (file offset 0) is mapped at, from its ELF program headers. */
function textBase(binary: string): number {
  const fd = openSync(binary, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const entry = table.subarray(i * phentsize);
      const PT_LOAD = 1;
      if (entry.readUInt32LE(0) === PT_LOAD && entry.readBigUInt64LE(8) === 0n) return Number(entry.readBigUInt64LE(16));
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

export function serverProfileTable(summary: ServerProfileSummary): string {
  const pct = (share: number) => `${(100 * share).toFixed(1)} %`;
  return [
    `where the dev server's CPU went during maint's side (${summary.samples} samples, ${summary.cpuSeconds.toFixed(1)} CPU-s; a sample can count in several rows):`,
    '| work | share of samples |',
    '| --- | --- |',
    ...summary.work.map((w) => `| ${w.what} | ${pct(w.share)} |`),
    '',
    `hottest functions (self): ${summary.hottest.map((h) => `${h.frame} ${pct(h.share)}`).join(', ')}`,
  ].join('\n');
}
