// How a verb plugs into the command line: commander parses, `act` builds the context from the global options, runs
// the verb and turns whatever it throws into one line on stderr and an exit code.
import type { Command } from 'commander';
import type { Context } from './context';
import { ExitCode } from './exit-codes';
import { watch, type WatchSource } from './watch';
import { durationArg } from './args';
import { parseDuration } from '../domain/time';

export interface Verb {
  /** What is being done, for error lines: "create window", "show window w-3". */
  what: string;
  /** The flag behind each field of the request body, so that a refusal names what the operator typed. */
  flags?: Record<string, string>;
  run(ctx: Context): Promise<ExitCode | void>;
}

export type Act = (cmd: Command, verb: Verb) => Promise<void>;

/** `--watch` and `--interval` for a command that can follow its state. */
export function watchOptions(cmd: Command): Command {
  return cmd
    .option('-w, --watch', 'keep showing progress until it is finished (Ctrl-C stops)')
    .option('--interval <duration>', 'how often --watch reads again', durationArg('--interval'), '1s');
}

/** Follows a source until it is finished (exit 0) or Ctrl-C (exit 130). */
export async function follow<T>(ctx: Context, intervalText: string, source: WatchSource<T>): Promise<ExitCode> {
  const end = await watch(
    source,
    { format: ctx.format, intervalMs: parseDuration(intervalText) ?? 1_000, now: ctx.now, signal: ctx.interrupts() },
    ctx.io,
  );
  return end === 'finished' ? ExitCode.OK : ExitCode.INTERRUPTED;
}
