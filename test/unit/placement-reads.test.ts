// Placement advice under load: one read of the registry at a time; requests arriving meanwhile are read together.
import type { Client } from '@temporalio/client';
import type { MachineUnavailability } from '../../src/domain/framework';
import { FrameworkService } from '../../src/service/frameworks';
import { WorkflowIds } from '../../src/temporal/ids';

const HOUR = 3_600_000;
const entry = (hostname: string, ip?: string): MachineUnavailability => ({
  key: hostname,
  machine: { hostname, ...(ip ? { ip } : {}) },
  mode: 'DRAINING',
  unavailability: { startMs: HOUR, durationMs: HOUR },
});

/** A client whose registry answers queries with `view()` after `delayMs`, counting them (no server: a unit). */
function registryClient(view: () => MachineUnavailability[], delayMs = 20) {
  const queries: unknown[][] = [];
  const handle = {
    client: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    query: async (_def: unknown, ...args: unknown[]) => {
      queries.push(args);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return view();
    },
  };
  const client = { workflow: { getHandle: () => handle } } as unknown as Client;
  return { client, queries };
}

test('requests arriving during a read are read together after it, with their candidates, each answered for its own', async () => {
  const { client, queries } = registryClient(() => [entry('a'), entry('b', '10.0.0.2'), entry('c')]);
  const service = new FrameworkService(client, 'q', new WorkflowIds('test'));
  const [forA, forB, forNone, forC] = await Promise.all([
    service.unavailability([{ hostname: 'A' }]), // hostnames compare as Mesos does, lowercased
    service.unavailability([{ ip: '10.0.0.2' }, { hostname: 'z' }]),
    service.unavailability([{ hostname: 'z' }]),
    service.unavailability([{ hostname: 'c' }, { hostname: 'z' }]),
  ]);
  // The first alone; the three that came while it ran, in one query with their candidates (z once), never all.
  expect(queries).toEqual([
    [{ machines: [{ hostname: 'A' }] }],
    [{ machines: [{ ip: '10.0.0.2' }, { hostname: 'z' }, { hostname: 'c' }] }],
  ]);
  expect(forA.map((m) => m.machine.hostname)).toEqual(['a']);
  expect(forB.map((m) => m.machine.hostname)).toEqual(['b']);
  expect(forNone).toEqual([]);
  expect(forC.map((m) => m.machine.hostname)).toEqual(['c']);
});

test('a request after the shared read ended reads again: a machine reported meanwhile counts', async () => {
  let view = [entry('a')];
  const { client, queries } = registryClient(() => view);
  const service = new FrameworkService(client, 'q', new WorkflowIds('test'));
  expect(await service.unavailability([{ hostname: 'b' }])).toEqual([]);
  view = [entry('a'), entry('b')];
  expect((await service.unavailability([{ hostname: 'b' }])).map((m) => m.machine.hostname)).toEqual(['b']);
  expect(queries).toHaveLength(2);
});

test('a failed read fails its request, and the next request reads again', async () => {
  let fail = true;
  const { client, queries } = registryClient(() => {
    if (fail) throw new Error('registry unavailable');
    return [entry('a')];
  });
  const service = new FrameworkService(client, 'q', new WorkflowIds('test'));
  await expect(service.unavailability([{ hostname: 'a' }])).rejects.toThrow('registry unavailable');
  fail = false;
  expect(await service.unavailability([{ hostname: 'a' }])).toHaveLength(1);
  expect(queries).toHaveLength(2);
});
