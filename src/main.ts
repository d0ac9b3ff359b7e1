#!/usr/bin/env node
// maint's one binary, as reference-app-orders-go's: the processes (`up`, `worker`, `api`, `sim`; src/processes.ts)
// and the operators' CLI (src/cli).
import { runCli, type Processes } from './cli/program';
import type { Command } from './processes';

const DESCRIPTIONS: Record<Command, string> = {
  up: 'everything on one machine: dev server (unless TEMPORAL_ADDRESS is set), worker, simulated fleet, API',
  worker: "a Temporal worker for maint's workflows and activities",
  api: 'the HTTP API: native, Mesos-compatible, scheduler',
  sim: 'the simulated fleet',
};

/** A process as the command line runs it: it ends the process itself, 0 when it stopped cleanly, 1 on failure. */
function asProcess(command: Command) {
  return {
    description: DESCRIPTIONS[command],
    run: () =>
      Promise.resolve()
        .then(async () => {
          const { COMMANDS } = await import('./processes');
          const { loadConfig } = await import('./config');
          await COMMANDS[command](loadConfig());
        })
        .then(() => process.exit(0))
        .catch((err: Error) => {
          console.error(`maint ${command}: ${err.message}`);
          process.exit(1);
        }),
  };
}

if (require.main === module) {
  // The operators' verbs and these processes share one command line (src/cli).
  const processes: Processes = { up: asProcess('up'), worker: asProcess('worker'), api: asProcess('api'), sim: asProcess('sim') };
  void runCli(process.argv, { processes }).then((code) => process.exit(code));
}
