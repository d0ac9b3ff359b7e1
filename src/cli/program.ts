// The whole command line of the `maint` binary: maint's processes (up, worker, api, sim) and the operators' verbs,
// which talk to maint's API. Returns the exit code instead of exiting, so tests can run it in process.
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_URL, makeContext, processIo, type GlobalOptions, type Io } from './context';
import { describeFailure } from './errors';
import { EXIT_CODE_HELP, ExitCode } from './exit-codes';
import { machineCommands } from './machines';
import { scheduleCommands } from './schedule';
import { statusCommand } from './status';
import type { Act } from './verb';
import { windowCommands } from './windows';

export type ProcessName = 'up' | 'worker' | 'api' | 'sim';

/** maint's own processes, as main.ts runs them: they end the process themselves. */
export type Processes = Record<ProcessName, { description: string; run(): Promise<void> }>;


const VERBS_HELP = `Verbs:
  maint windows create --machines sim-01,sim-02=192.0.2.2 --deadline 1h [--duration 30m] [--watch]
  maint windows list | show <id> [--watch] | extend <id> --by 30m | cancel <id>
  maint machines down <machine...> | up <machine...> | show <machine>
  maint schedule get [--file schedule.json] | apply <file|->
  maint status [--watch]
maint's processes:
  maint up | worker | api | sim

Environment: MAINT_URL (--url), MAINT_PRINCIPAL (--principal), MAINT_SECRET_FILE (--secret-file) or MAINT_SECRET.`;

export interface CliDeps {
  processes: Processes;
  io?: Io;
  env?: NodeJS.ProcessEnv;
}

export function buildProgram(deps: CliDeps, onExit: (code: number) => void): Command {
  const io = deps.io ?? processIo();
  const env = deps.env ?? process.env;
  const program = new Command('maint')
    .description('durable maintenance and drain orchestration: the operators’ CLI and maint’s processes')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.write(s),
      writeErr: (s) => io.error(s),
      outputError: (s, write) => write(`maint: ${s.replace(/^error: /, '').trimEnd()}\n`),
    })
    // Environment fallbacks are read by makeContext from deps.env (commander's .env() reads process.env only).
    .option('--url <url>', `maint's API (env: MAINT_URL, default: ${DEFAULT_URL})`)
    .option('--principal <name>', 'HTTP Basic principal, as in the API’s MAINT_CREDENTIALS (env: MAINT_PRINCIPAL)')
    .option('--secret-file <path>', "a file holding the principal's secret (env: MAINT_SECRET_FILE; or the secret in MAINT_SECRET)")
    .addOption(new Option('-o, --output <format>', 'table for people, json for scripts').choices(['table', 'json']).default('table'))
    .option('--no-color', 'no colours (also NO_COLOR, or when output is not a terminal)')
    .option('--timeout <duration>', 'give up on a request after this long', '30s')
    .addHelpText('after', `\n${VERBS_HELP}\n\n${EXIT_CODE_HELP}\n\nFull reference: docs/cli.md`);

  let interrupts: AbortController | undefined;
  const onInterrupt = (): AbortSignal => {
    if (!interrupts) {
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      interrupts = controller;
    }
    return interrupts.signal;
  };

  const act: Act = async (cmd, verb) => {
    try {
      const ctx = makeContext(cmd.optsWithGlobals<GlobalOptions>(), env, io, onInterrupt);
      onExit((await verb.run(ctx)) ?? ExitCode.OK);
    } catch (err) {
      const failure = describeFailure(err, verb.what, verb.flags);
      io.error(`${failure.line}\n`);
      onExit(failure.code);
    }
  };

  windowCommands(program, act);
  machineCommands(program, act);
  scheduleCommands(program, act);
  statusCommand(program, act);

  for (const [name, proc] of Object.entries(deps.processes) as [ProcessName, Processes[ProcessName]][]) {
    program
      .command(name)
      .description(proc.description)
      .action(() => proc.run());
  }
  return program;
}

/** Parses argv (node, script, ...args) and runs what it names; resolves to the exit code. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let code: number = ExitCode.OK;
  const program = buildProgram(deps, (c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are successes; everything else commander refuses (and a group without its verb) is usage.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? ExitCode.OK : ExitCode.USAGE;
    }
    const failure = describeFailure(err, 'maint');
    (deps.io ?? processIo()).error(`${failure.line}\n`);
    return failure.code;
  }
  return code;
}
