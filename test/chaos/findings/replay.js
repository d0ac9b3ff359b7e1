// Replays machine histories the chaos run found non-replayable, against today's workflow code (the built bundle):
//   npm run build && node test/chaos/findings/replay.js test/chaos/findings/*.json
// Each prints OK or FAIL with the nondeterminism error. Not a test: they fail today (see docs/reliability.md).
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode, DefaultLogger, Runtime, Worker } = require('@temporalio/worker');
const { quietSinks, WORKFLOWS_PATH } = require(path.join(__dirname, '..', '..', '..', 'dist', 'src', 'temporal', 'worker'));

Runtime.install({ logger: new DefaultLogger('ERROR') });
(async () => {
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    const history = JSON.parse(readFileSync(file, 'utf8'));
    try {
      await Worker.runReplayHistory({ workflowBundle: bundle, sinks: quietSinks() }, history, file);
      console.log(`OK   ${file}`);
    } catch (err) {
      failed++;
      const detail = /Nondeterminism error: [^"]*/.exec(err.message)?.[0] ?? err.message;
      console.log(`FAIL ${file}: ${detail}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
})();
