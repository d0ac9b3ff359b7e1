// maint schedule get | apply: Mesos' maintenance schedule as Mesos tools read and post it. Apply posts the file
// unchanged (int64 nanoseconds stay exact); get parses without loss.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseJson } from '../lib/json';
import { UsageError } from './errors';
import { json, scheduleView } from './render';
import type { Act } from './verb';
import type { MesosSchedule } from './views';

const SCHEDULE = '/master/maintenance/schedule';

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`schedule apply: cannot read ${file === '-' ? 'standard input' : file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** How many windows and machines a schedule names, if it is JSON at all (the API judges the rest). */
export function scheduleSize(text: string): { windows: number; machines: number } | undefined {
  try {
    const s = parseJson(text) as MesosSchedule;
    const windows = Array.isArray(s?.windows) ? s.windows : [];
    return { windows: windows.length, machines: windows.reduce((n, w) => n + (Array.isArray(w?.machine_ids) ? w.machine_ids.length : 0), 0) };
  } catch {
    return undefined;
  }
}

export function scheduleCommands(program: Command, act: Act): void {
  const schedule = program.command('schedule').description("Mesos' maintenance schedule: get, apply");

  schedule
    .command('get')
    .description('the whole schedule (native windows included), as Mesos JSON with -o json or --file')
    .option('-f, --file <path>', 'write the schedule JSON to a file (for `maint schedule apply`)')
    .action((opts: { file?: string }, cmd: Command) =>
      act(cmd, {
        what: 'get schedule',
        run: async (ctx) => {
          const value = (await ctx.client.call('GET', SCHEDULE)) as MesosSchedule;
          if (opts.file !== undefined) {
            writeFileSync(opts.file, `${json(value)}\n`);
            if (ctx.format === 'table') ctx.io.write(`wrote the schedule (${value.windows?.length ?? 0} windows) to ${opts.file}\n`);
            return;
          }
          ctx.io.write(`${ctx.format === 'json' ? json(value) : scheduleView(value, ctx.style)}\n`);
        },
      }),
    );

  schedule
    .command('apply')
    .description('REPLACE the whole schedule with a file (- reads standard input); machines left out go back UP')
    .argument('<file>', 'a mesos.maintenance.Schedule as JSON, or - for standard input')
    .action((file: string, _opts: unknown, cmd: Command) =>
      act(cmd, {
        what: `apply schedule ${file}`,
        run: async (ctx) => {
          const text = readInput(file);
          await ctx.client.call('POST', SCHEDULE, { text });
          const size = scheduleSize(text) ?? { windows: 0, machines: 0 };
          ctx.io.write(
            ctx.format === 'json'
              ? `${json({ applied: true, ...size })}\n`
              : `applied the schedule: ${size.windows} windows, ${size.machines} machines (it replaces the whole schedule)\n`,
          );
        },
      }),
    );
}
