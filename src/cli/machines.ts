// maint machines down | up | show: machines by hostname or IP. Down and up act through the window each machine is
// in (the native API's window down/up: a down skips pacing and budgets), so an operator need not know the window.
import type { Command } from 'commander';
import type { MachineId } from '../domain/machine';
import type { Context } from './context';
import { RefusedError } from './errors';
import { json, machineName, machineReport, windowView } from './render';
import type { Act } from './verb';
import type { MachineReportJson, WindowJson } from './views';

const machinePath = (name: string) => `/api/v1/machines/${encodeURIComponent(name)}`;

/** Each machine's current window and its id as that window names it, grouped by window, in the order given. */
export async function byWindow(ctx: Context, names: string[], verb: 'down' | 'up'): Promise<Map<string, MachineId[]>> {
  const reports = await Promise.all(names.map(async (name) => ({ name, report: (await ctx.client.call('GET', machinePath(name))) as MachineReportJson })));
  const groups = new Map<string, MachineId[]>();
  for (const { name, report } of reports) {
    if (!report.window || !report.maintenance) {
      throw new RefusedError(
        `${name} is in no maintenance window (it is ${report.mode}), so there is nothing to bring ${verb}; ` +
          (verb === 'down' ? `create a window first: maint windows create --machines ${name} --deadline 0s` : 'it is already in service'),
      );
    }
    groups.set(report.window, [...(groups.get(report.window) ?? []), report.maintenance.id]);
  }
  return groups;
}

async function apply(ctx: Context, names: string[], verb: 'down' | 'up'): Promise<void> {
  const groups = await byWindow(ctx, names, verb);
  const windows: WindowJson[] = [];
  for (const [id, machines] of groups) {
    windows.push((await ctx.client.call('POST', `/api/v1/windows/${encodeURIComponent(id)}/${verb}`, { json: { machines } })) as WindowJson);
  }
  if (ctx.format === 'json') return ctx.io.write(`${json({ windows })}\n`);
  for (const w of windows) {
    const named = groups.get(w.id)!.map(machineName).join(', ');
    ctx.io.write(`${verb} ${named} (window ${w.id})\n${windowView(w, ctx.style, ctx.now())}\n`);
  }
}

export function machineCommands(program: Command, act: Act): void {
  const machines = program.command('machines').description('machines by hostname or IP: down, up, show');

  machines
    .command('down')
    .description('hard drain now and take DOWN (skips the window’s pacing and budgets)')
    .argument('<machine...>', 'hostnames or IPs')
    .action((names: string[], _opts: unknown, cmd: Command) =>
      act(cmd, { what: `down ${names.join(' ')}`, flags: { machines: '<machine...>' }, run: (ctx) => apply(ctx, names, 'down') }),
    );

  machines
    .command('up')
    .description('bring DOWN machines back UP now')
    .argument('<machine...>', 'hostnames or IPs')
    .action((names: string[], _opts: unknown, cmd: Command) =>
      act(cmd, { what: `up ${names.join(' ')}`, flags: { machines: '<machine...>' }, run: (ctx) => apply(ctx, names, 'up') }),
    );

  machines
    .command('show')
    .description("a machine's mode, window, answers and history")
    .argument('<machine>', 'hostname or IP')
    .action((name: string, _opts: unknown, cmd: Command) =>
      act(cmd, {
        what: `show machine ${name}`,
        run: async (ctx) => {
          const report = (await ctx.client.call('GET', machinePath(name))) as MachineReportJson;
          ctx.io.write(`${ctx.format === 'json' ? json(report) : machineReport(report, ctx.style, ctx.now())}\n`);
        },
      }),
    );
}
