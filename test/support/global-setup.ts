// One Temporal dev server for the integration tests of a run, started by the launcher `maint up` uses.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from './ports';

declare global {
  // eslint-disable-next-line no-var
  var __MAINT_DEV_SERVER__: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'maint-test-'));
  const server = await startDevServer({
    port: await freePort(),
    namespace: 'default',
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
  });
  globalThis.__MAINT_DEV_SERVER__ = server;
  process.env.TEMPORAL_ADDRESS = server.address; // inherited by the test workers
  process.env.MAINT_TEST_DIR = dir;
}
