// `maint up` (npm start) as a user runs it: its own dev server with the Web UI and maint's search attributes, the
// worker, the simulated fleet and the API; it prints where they are and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { projectRoot } from '../../src/temporal/binaries';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { freePort } from '../support/ports';

test('maint up starts everything, answers /healthz, and stops cleanly on SIGTERM', async () => {
  const [temporalPort, uiPort, apiPort, simPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maint-up-'));
  const { TEMPORAL_ADDRESS: _ignored, ...env } = process.env; // embedded mode: maint starts its own server
  const up = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'src', 'main.js'), 'up'], {
    env: {
      ...env,
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      PORT: String(apiPort),
      SIM_PORT: String(simPort),
      METRICS_PORT: String(metricsPort),
      MAINT_DATA_DIR: dataDir,
      MAINT_INSTANCE: 'up-test',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  up.stdout.on('data', (d) => (output += d));
  up.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));

  try {
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const status = await fetch(`${apiUrl}/healthz`).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`not healthy in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(output).toContain(`API        ${apiUrl}`);
    expect(output).toContain(`Web UI: http://127.0.0.1:${uiPort}`);
    expect(output).toContain(`simulator  http://127.0.0.1:${simPort}`);
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${simPort}/machines/sim-20`)).status).toBe(200);
    expect(output).toContain(`worker http://127.0.0.1:${metricsPort}/metrics`);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${apiUrl}/metrics`)).text()).toContain('maint_machines');

    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    await connection.close();
    for (const key of ALL_SEARCH_ATTRIBUTES) expect(Object.keys(customAttributes ?? {})).toContain(key.name);
  } finally {
    up.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  // Everything it started is gone: the ports are free again.
  for (const port of [temporalPort, apiPort, simPort, metricsPort]) {
    expect(await fetch(`http://127.0.0.1:${port}/`).then(() => 'open', () => 'closed')).toBe('closed');
  }
});
