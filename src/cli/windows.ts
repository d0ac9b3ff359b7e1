// maint windows create | list | show | extend | cancel: the native API's windows.
import { Command, Option } from 'commander';
import type { MachineId } from '../domain/machine';
import { parseDuration } from '../domain/time';
import { durationArg, machineListArg, positiveIntArg, whenArg, type When } from './args';
import type { Context } from './context';
import { UsageError } from './errors';
import { json, windowList, windowView } from './render';
import { follow, watchOptions, type Act } from './verb';
import type { WindowJson, WindowSummaryJson } from './views';

/** Which flag sets each field of the create body. */
const CREATE_FLAGS = {
  machines: '--machines',
  drainWithin: '--deadline',
  start: '--deadline',
  duration: '--duration',
  'policy.escalation': '--escalation',
  'policy.maxParallel': '--max-parallel',
  'policy.maxGracePeriod': '--max-grace-period',
  policy: 'the policy flags',
};

interface CreateOptions {
  machines: MachineId[];
  deadline: When;
  duration?: string;
  escalation?: string;
  downWhenDrained: boolean;
  autoUp: boolean;
  maxParallel?: number;
  maxGracePeriod?: string;
  watch?: boolean;
  interval: string;
}

/** The native API's create body, from the flags: only what the operator gave, the API's defaults for the rest. */
export function createBody(o: CreateOptions): Record<string, unknown> {
  const policy: Record<string, unknown> = {};
  if (o.escalation !== undefined) policy.escalation = o.escalation;
  if (!o.downWhenDrained) policy.downWhenDrained = false;
  if (!o.autoUp) policy.autoUp = false;
  if (o.maxParallel !== undefined) policy.maxParallel = o.maxParallel;
  if (o.maxGracePeriod !== undefined) policy.maxGracePeriod = o.maxGracePeriod;
  return {
    machines: o.machines,
    ...('in' in o.deadline ? { drainWithin: o.deadline.in } : { start: o.deadline.at }),
    ...(o.duration === undefined ? {} : { duration: o.duration }),
    ...(Object.keys(policy).length ? { policy } : {}),
  };
}

/** The extend body: `--by 30m`, or `--deadline` as an instant or a duration from now. */
export function extendBody(o: { by?: string; deadline?: When }, nowMs: number): Record<string, string> {
  if ((o.by === undefined) === (o.deadline === undefined)) {
    throw new UsageError('windows extend: give exactly one of --by <duration> or --deadline <instant|duration from now>');
  }
  if (o.by !== undefined) return { by: o.by };
  const d = o.deadline!;
  if ('at' in d) return { deadline: d.at };
  return { deadline: new Date(nowMs + (parseDuration(d.in) ?? 0)).toISOString() };
}

const windowPath = (id: string) => `/api/v1/windows/${encodeURIComponent(id)}`;

function showWindow(ctx: Context, w: WindowJson, heading?: string): void {
  if (ctx.format === 'json') return ctx.io.write(`${json(w)}\n`);
  ctx.io.write(`${heading ? `${heading}\n` : ''}${windowView(w, ctx.style, ctx.now())}\n`);
}

function followWindow(ctx: Context, id: string, interval: string) {
  return follow(ctx, interval, {
    read: async () => (await ctx.client.call('GET', windowPath(id))) as WindowJson,
    render: (w, now) => windowView(w, ctx.style, now),
    finished: (w) => w.state !== 'ACTIVE',
  });
}

export function windowCommands(program: Command, act: Act): void {
  const windows = program.command('windows').description('maintenance windows: create, list, show, extend, cancel');

  watchOptions(
    windows
      .command('create')
      .description('drain machines by a deadline, keep them down for a duration')
      .requiredOption('-m, --machines <list>', 'machines: hostname, hostname=ip or ip, comma-separated (repeatable)', machineListArg)
      .requiredOption('-d, --deadline <when>', 'drain within a duration (1h) or by an instant (2026-11-27T14:00:00Z)', whenArg('--deadline'))
      .option('--duration <duration>', 'how long the machines stay down; without it, until `maint machines up`', durationArg('--duration'))
      .addOption(new Option('--escalation <what>', 'at the deadline: kill what is left, tell operators, or nothing').choices(['hard-drain', 'notify', 'none']))
      .option('--no-down-when-drained', 'keep an emptied machine DRAINING until the deadline')
      .option('--no-auto-up', 'leave machines DOWN after the duration until `maint machines up`')
      .option('--max-parallel <n>', 'at most n machines of the window past DRAINING at once', positiveIntArg('--max-parallel'))
      .option('--max-grace-period <duration>', "cap each task's kill grace period", durationArg('--max-grace-period')),
  ).action((opts: CreateOptions, cmd: Command) =>
    act(cmd, {
      what: 'create window',
      flags: CREATE_FLAGS,
      run: async (ctx) => {
        const w = (await ctx.client.call('POST', '/api/v1/windows', { json: createBody(opts) })) as WindowJson;
        if (!opts.watch) return showWindow(ctx, w, `created window ${w.id}`);
        if (ctx.format === 'table' && !ctx.io.isTTY) ctx.io.write(`created window ${w.id}\n`);
        return followWindow(ctx, w.id, opts.interval);
      },
    }),
  );

  windows
    .command('list')
    .description('windows, newest first')
    .option('--limit <n>', 'at most n windows', positiveIntArg('--limit'), 100)
    .action((opts: { limit: number }, cmd: Command) =>
      act(cmd, {
        what: 'list windows',
        run: async (ctx) => {
          const body = (await ctx.client.call('GET', `/api/v1/windows?limit=${opts.limit}`)) as { windows: WindowSummaryJson[] };
          ctx.io.write(`${ctx.format === 'json' ? json(body) : windowList(body.windows, ctx.style, ctx.now())}\n`);
        },
      }),
    );

  watchOptions(windows.command('show').description('a window and each of its machines').argument('<id>', 'window id, e.g. w-3')).action(
    (id: string, opts: { watch?: boolean; interval: string }, cmd: Command) =>
      act(cmd, {
        what: `show window ${id}`,
        flags: { id: '<id>' },
        run: async (ctx) => {
          if (opts.watch) return followWindow(ctx, id, opts.interval);
          showWindow(ctx, (await ctx.client.call('GET', windowPath(id))) as WindowJson);
        },
      }),
  );

  windows
    .command('extend')
    .description("move a window's deadline (and its unavailability) later")
    .argument('<id>', 'window id')
    .option('--by <duration>', 'later by this much', durationArg('--by'))
    .option('--deadline <when>', 'the new deadline: an instant, or a duration from now', whenArg('--deadline'))
    .action((id: string, opts: { by?: string; deadline?: When }, cmd: Command) =>
      act(cmd, {
        what: `extend window ${id}`,
        flags: { id: '<id>', by: '--by', deadline: '--deadline' },
        run: async (ctx) => {
          const body = extendBody(opts, ctx.now());
          showWindow(ctx, (await ctx.client.call('POST', `${windowPath(id)}/extend`, { json: body })) as WindowJson, `extended window ${id}`);
        },
      }),
    );

  windows
    .command('cancel')
    .description('DRAINING machines go back UP, nothing is killed; DOWN machines stay DOWN until up')
    .argument('<id>', 'window id')
    .action((id: string, _opts: unknown, cmd: Command) =>
      act(cmd, {
        what: `cancel window ${id}`,
        flags: { id: '<id>' },
        run: async (ctx) => showWindow(ctx, (await ctx.client.call('POST', `${windowPath(id)}/cancel`)) as WindowJson, `cancelled window ${id}`),
      }),
    );
}
