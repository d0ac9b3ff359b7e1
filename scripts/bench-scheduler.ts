// Benchmark of the scheduler API (issue 4): how fast inverse offers reach frameworks' webhooks, how fast an answer
// turns into a new offer, and what placement advice and a pull cost, with real processes on a dev server.
//
//   npm run bench:scheduler                       # 300 machines, 3 frameworks each holding a task on every machine
//   BENCH_MACHINES=1000 BENCH_FRAMEWORKS=5 npm run bench:scheduler
//
// Prints a table, then one JSON line with the figures.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer } from '../src/temporal/dev-server';
import { simIp } from '../src/sim/fleet';
import { Stack } from '../test/support/stack';
import { TestFramework } from '../test/support/framework';
import { freePort } from '../test/support/ports';
import { percentile } from './bench-measure-support';

const MACHINES = Number(process.env.BENCH_MACHINES ?? 300);
const FRAMEWORKS = Number(process.env.BENCH_FRAMEWORKS ?? 3);
const width = Math.max(2, String(MACHINES).length);
const hostname = (i: number) => `sim-${String(i).padStart(width, '0')}`;
const machine = (i: number) => ({ hostname: hostname(i), ip: simIp(i) });

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'maint-bench-scheduler-'));
  process.env.MAINT_TEST_DIR = dir;
  const server = await startDevServer({ port: await freePort(), namespace: 'default', logFile: path.join(dir, 'temporal.log') });
  process.env.TEMPORAL_ADDRESS = server.address;
  const stack = await Stack.start({ machines: MACHINES, checkInterval: '5s', env: { LOG_LEVEL: 'warn' } });
  const frameworks: TestFramework[] = [];
  try {
    for (let f = 0; f < FRAMEWORKS; f++) {
      const fw = new TestFramework({ frameworkId: `bench-${f}`, maintUrl: stack.apiUrl });
      frameworks.push(fw);
      await fw.listen();
      await fw.subscribe();
      for (let i = 1; i <= MACHINES; i++) {
        const res = await fetch(`${stack.simUrl}/tasks`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ frameworkId: fw.id, machine: hostname(i), volumes: [`${fw.id}-${i}`] }),
        });
        if (res.status !== 201) throw new Error(`launch failed: ${res.status}`);
      }
    }
    const machines = Array.from({ length: MACHINES }, (_, i) => machine(i + 1));
    const offersOf = (fw: TestFramework) => fw.events('INVERSE_OFFERS').flatMap((e) => e.inverse_offers.inverse_offers);

    // 1. One window of every machine: an inverse offer per framework per machine.
    const t0 = performance.now();
    const created = await stack.api('POST', '/api/v1/windows', { machines, drainWithin: '1h', duration: '1h' });
    if (created.status !== 201) throw new Error(`window: ${created.status} ${JSON.stringify(created.body)}`);
    const firstOffersMs: number[] = [];
    await Promise.all(
      frameworks.map(async (fw) => {
        await stack.eventually(`${MACHINES} offers to ${fw.id}`, async () => (offersOf(fw).length >= MACHINES ? true : undefined), 900_000);
        firstOffersMs.push(performance.now() - t0);
      }),
    );
    const allOffersMs = Math.max(...firstOffersMs);
    const offersDelivered = frameworks.reduce((n, fw) => n + offersOf(fw).length, 0);

    // 2. One framework declines every offer with refuse_seconds 0: each machine makes it a new one.
    const fw = frameworks[0]!;
    const before = offersOf(fw).length;
    const t1 = performance.now();
    await fw.client.declineInverseOffers(offersOf(fw).map((o) => o.id.value), { refuseSeconds: 0 });
    const answerMs = performance.now() - t1;
    await stack.eventually('a new offer per machine', async () => (offersOf(fw).length >= before + MACHINES ? true : undefined), 900_000);
    const reofferMs = performance.now() - t1;

    // 3. Placement advice over every machine, and a pull of a page of events.
    const placementMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await fw.client.placement(machines, 3_600);
      placementMs.push(performance.now() - t);
    }
    const pullMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await fw.client.pull(undefined, { limit: 1_000 });
      pullMs.push(performance.now() - t);
    }

    const figures = {
      machines: MACHINES,
      frameworks: FRAMEWORKS,
      offersDelivered,
      allOffersSeconds: round(allOffersMs / 1000),
      offersPerSecond: round(offersDelivered / (allOffersMs / 1000)),
      answerCallMs: round(answerMs),
      reofferAllSeconds: round(reofferMs / 1000),
      placementP50Ms: round(percentile(placementMs, 50)),
      placementP95Ms: round(percentile(placementMs, 95)),
      pullP50Ms: round(percentile(pullMs, 50)),
      badSignatures: frameworks.reduce((n, f) => n + f.rejected.length, 0),
    };
    console.log(
      [
        '',
        `| measure (${MACHINES} machines, ${FRAMEWORKS} frameworks on each) | result |`,
        '|---|---|',
        `| every framework has its ${MACHINES} inverse offers (webhooks) | ${figures.allOffersSeconds} s (${figures.offersPerSecond} offers/s) |`,
        `| DECLINE of ${MACHINES} offers with refuse_seconds 0: the call | ${figures.answerCallMs} ms |`,
        `| … until a new offer from every machine | ${figures.reofferAllSeconds} s |`,
        `| placement advice over ${MACHINES} candidates | p50 ${figures.placementP50Ms} ms, p95 ${figures.placementP95Ms} ms |`,
        `| pull of a page (resync + events) | p50 ${figures.pullP50Ms} ms |`,
        '',
      ].join('\n'),
    );
    console.log(JSON.stringify(figures));
  } finally {
    await Promise.all(frameworks.map((f) => f.stop()));
    await stack.stop();
    await server.stop();
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
