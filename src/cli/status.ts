// maint status: every machine in maintenance, with Mesos' modes and framework answers (GET
// /master/maintenance/status) and maint's phase and window (the windows list). --watch follows it until no machine
// is in maintenance.
import type { Command } from 'commander';
import type { Context } from './context';
import { json, statusRows, statusView, type StatusRow } from './render';
import { follow, watchOptions, type Act } from './verb';
import type { MesosClusterStatus, WindowSummaryJson } from './views';

export interface Status {
  machines: StatusRow[];
  /** Mesos' ClusterStatus as the API gave it (int64 timestamps exact). */
  mesos: MesosClusterStatus;
}

async function readStatus(ctx: Context): Promise<Status> {
  const [mesos, list] = await Promise.all([
    ctx.client.call('GET', '/master/maintenance/status') as Promise<MesosClusterStatus>,
    ctx.client.call('GET', '/api/v1/windows?limit=1000') as Promise<{ windows: WindowSummaryJson[] }>,
  ]);
  return { machines: statusRows(mesos ?? {}, list.windows), mesos: mesos ?? {} };
}

export function statusCommand(program: Command, act: Act): void {
  watchOptions(program.command('status').description('machines in maintenance: mode, phase, window, answers')).action(
    (opts: { watch?: boolean; interval: string }, cmd: Command) =>
      act(cmd, {
        what: 'status',
        run: async (ctx) => {
          if (opts.watch) {
            return follow(ctx, opts.interval, {
              read: () => readStatus(ctx),
              render: (s) => statusView(s.machines, ctx.style),
              finished: (s) => s.machines.length === 0,
            });
          }
          const s = await readStatus(ctx);
          ctx.io.write(`${ctx.format === 'json' ? json(s) : statusView(s.machines, ctx.style)}\n`);
        },
      }),
  );
}
