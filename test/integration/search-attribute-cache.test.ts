// The dev server maint starts keeps its search-attribute cache (system.forceSearchAttributesCacheRefreshOnRead=false in
// maint's server settings), as production servers do: without it the dev server reads the cluster's metadata from its
// store at every search-attribute lookup, half of its store reads at 1,000 machines (docs/performance.md). Read from the
// server's own metrics, both ways, so the measure is shown to tell them apart; and maint's attributes, registered at
// start, work at once with the cache on.
import { spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { parsePrometheusText, growthBy } from '../../scripts/bench-measure-support';
import { temporalCliPath } from '../../src/temporal/binaries';
import { devServerArgs, isServing, type DevServerOptions } from '../../src/temporal/dev-server';
import { MODE, WINDOW } from '../../src/temporal/search-attributes';
import { eventually } from '../support/eventually';
import { freePort } from '../support/ports';

const SETTING = 'system.forceSearchAttributesCacheRefreshOnRead';
const STARTS = 40;

/**
 * Starts a dev server with maint's arguments (the setting given as `refreshOnRead`), starts STARTS workflows with
 * maint's search attributes and lists them by one, and returns how many times the server read its cluster metadata
 * from the store meanwhile.
 */
async function clusterMetadataReads(refreshOnRead: boolean): Promise<number> {
  const o: DevServerOptions = { port: await freePort(), metricsPort: await freePort(), namespace: 'default' };
  const args = devServerArgs(o);
  const at = args.indexOf(`${SETTING}=false`);
  expect(at).toBeGreaterThan(0); // maint's own arguments carry the setting
  args[at] = `${SETTING}=${refreshOnRead}`;
  const server = spawn(temporalCliPath(), args, { stdio: 'ignore' });
  const address = `127.0.0.1:${o.port}`;
  try {
    await eventually(() => isServing(address, o.namespace), 'the dev server answers', 60_000);
    const metrics = async () => parsePrometheusText(await (await fetch(`http://127.0.0.1:${o.metricsPort}/metrics`)).text());
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection });
      const before = await metrics();
      for (let i = 0; i < STARTS; i++) {
        await client.workflow.start('noWorkerRunsThis', {
          taskQueue: 'nobody',
          workflowId: `w-${i}`,
          typedSearchAttributes: [{ key: MODE, value: 'DRAINING' }, { key: WINDOW, value: 'w' }],
        });
      }
      await eventually(async () => {
        let listed = 0;
        for await (const _ of client.workflow.list({ query: `${MODE.name} = "DRAINING"` })) listed++;
        return listed === STARTS;
      }, `every workflow listed by ${MODE.name}`);
      // The server's metrics reach its page at an interval: wait until they show the starts.
      let reads = 0;
      await eventually(async () => {
        const grown = growthBy(before, await metrics(), 'persistence_requests');
        reads = grown.get('GetCurrentClusterMetadata') ?? 0;
        return (grown.get('CreateWorkflowExecution') ?? 0) >= STARTS;
      }, "the server's metrics show every start");
      return reads;
    } finally {
      await connection.close();
    }
  } finally {
    server.kill('SIGKILL');
  }
}

test("maint's dev server reads its search attributes from its cache, not from the store at each start", async () => {
  const refreshing = await clusterMetadataReads(true);
  const cached = await clusterMetadataReads(false);
  expect(refreshing).toBeGreaterThanOrEqual(STARTS); // at least one store read per start, without the cache
  // With it: each of the server's services fills its cache once, maybe after the first scrape (the server publishes
  // its metrics at an interval), and refreshes it every 60 s.
  expect(cached).toBeLessThanOrEqual(STARTS / 8);
});
