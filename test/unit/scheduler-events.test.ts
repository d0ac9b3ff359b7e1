// Notices rendered as Mesos v1 scheduler events: every kind, as a Mesos framework parses them, int64 exact.
import type { FrameworkNotice, MachineUnavailability, OfferNotice } from '../../src/domain/framework';
import {
  HEARTBEAT_EVENT,
  resourcesJson,
  subscribedEvent,
  toSchedulerEvent,
  toSchedulerEvents,
  unavailabilityJson,
} from '../../src/domain/scheduler-events';
import { parseJson, stringifyJson } from '../../src/lib/json';

const SIM_07 = { hostname: 'sim-07', ip: '192.0.2.7' };
const START_MS = Date.UTC(2026, 10, 25, 14, 0, 0);
const HOUR = 3_600_000;

const offer = (over: Partial<OfferNotice> = {}): OfferNotice => ({
  offerId: 'maint/machine/h=sim-07;i=192.0.2.7/o-1',
  agentId: 'agent-sim-07',
  unavailability: { startMs: START_MS, durationMs: HOUR },
  ...over,
});

describe('inverse-offers', () => {
  test('one INVERSE_OFFERS event with every offer: ids, framework, agent, unavailability in nanoseconds, machine', () => {
    const second = offer({ offerId: 'maint/machine/h=sim-08/o-2', agentId: 'agent-sim-08', machine: { hostname: 'sim-08' } });
    const events = toSchedulerEvents('fw', { kind: 'inverse-offers', offers: [offer({ machine: SIM_07 }), second] }, { partitionAware: false });
    expect(events).toEqual([
      {
        type: 'INVERSE_OFFERS',
        inverse_offers: {
          inverse_offers: [
            {
              id: { value: 'maint/machine/h=sim-07;i=192.0.2.7/o-1' },
              framework_id: { value: 'fw' },
              agent_id: { value: 'agent-sim-07' },
              unavailability: {
                start: { nanoseconds: BigInt(START_MS) * 1_000_000n },
                duration: { nanoseconds: 3_600_000_000_000n },
              },
              resources: [],
              machine_id: SIM_07,
            },
            expect.objectContaining({ id: { value: 'maint/machine/h=sim-08/o-2' }, machine_id: { hostname: 'sim-08' } }),
          ],
        },
      },
    ]);
  });

  test('an offer from a notice recorded before the scheduler API has no machine_id and no resources', () => {
    const [event] = toSchedulerEvents('fw', { kind: 'inverse-offers', offers: [offer()] }, { partitionAware: false });
    const rendered = (event as Extract<typeof event, { type: 'INVERSE_OFFERS' }>).inverse_offers.inverse_offers[0]!;
    expect(rendered).not.toHaveProperty('machine_id');
    expect(rendered.resources).toEqual([]);
  });

  test('an unavailability posted in nanoseconds is rendered exactly as posted, and survives the JSON text', () => {
    const exact = { startNs: '1443830400000000001', durationNs: '3600000000001' };
    const events = toSchedulerEvents(
      'fw',
      { kind: 'inverse-offers', offers: [offer({ unavailability: { startMs: 1443830400000, durationMs: HOUR, exact } })] },
      { partitionAware: false },
    );
    const text = stringifyJson(events[0]);
    expect(text).toContain('"start":{"nanoseconds":1443830400000000001}');
    expect(text).toContain('"duration":{"nanoseconds":3600000000001}');
    const back = parseJson(text) as any;
    expect(back.inverse_offers.inverse_offers[0].unavailability.start.nanoseconds).toBe(1443830400000000001n);
  });

  test('an unavailability without a duration has no duration', () => {
    expect(unavailabilityJson({ startMs: START_MS })).toEqual({ start: { nanoseconds: BigInt(START_MS) * 1_000_000n } });
  });

  test("resources: each task's scalars summed by name in first-seen order, then one disk per persistent volume", () => {
    const events = toSchedulerEvents(
      'fw',
      {
        kind: 'inverse-offers',
        offers: [
          offer({
            resources: [
              { name: 'cpus', scalar: 0.1 },
              { name: 'mem', scalar: 512 },
              { name: 'cpus', scalar: 0.2 },
              { name: 'mem', scalar: 256 },
            ],
            volumes: ['vol-a', 'vol-b'],
          }),
        ],
      },
      { partitionAware: false },
    );
    const resources = (events[0] as any).inverse_offers.inverse_offers[0].resources;
    expect(resources).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.3 } }, // Mesos' fixed point: not 0.30000000000000004
      { name: 'mem', type: 'SCALAR', scalar: { value: 768 } },
      {
        name: 'disk',
        type: 'SCALAR',
        scalar: { value: 0 },
        disk: { persistence: { id: 'vol-a' }, volume: { container_path: 'vol-a', mode: 'RW' } },
      },
      {
        name: 'disk',
        type: 'SCALAR',
        scalar: { value: 0 },
        disk: { persistence: { id: 'vol-b' }, volume: { container_path: 'vol-b', mode: 'RW' } },
      },
    ]);
  });

  test('a volume two tasks share is one resource', () => {
    expect(resourcesJson([], ['v', 'v'])).toHaveLength(1);
  });
});

test('rescind-inverse-offer: RESCIND_INVERSE_OFFER with the offer id', () => {
  expect(toSchedulerEvents('fw', { kind: 'rescind-inverse-offer', offerId: 'o-9' }, { partitionAware: true })).toEqual([
    { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: 'o-9' } } },
  ]);
});

describe('tasks-killed', () => {
  const killed = (gone: boolean, cause: 'hard-drain' | 'agent-drain' = 'hard-drain'): FrameworkNotice => ({
    kind: 'tasks-killed',
    machine: SIM_07,
    agentId: 'agent-sim-07',
    tasks: [
      { taskId: 't-1', volumes: [] },
      { taskId: 't-2', volumes: ['vol'] },
    ],
    gone,
    cause,
  });
  const AT_MS = START_MS + 1_234;

  test('one UPDATE per task: TASK_KILLED, REASON_SLAVE_DRAINING, SOURCE_MASTER, agent, timestamp in seconds', () => {
    const events = toSchedulerEvents('fw', killed(false), { partitionAware: true, atMs: AT_MS });
    expect(events).toEqual(
      ['t-1', 't-2'].map((task) => ({
        type: 'UPDATE',
        update: {
          status: {
            task_id: { value: task },
            state: 'TASK_KILLED',
            reason: 'REASON_SLAVE_DRAINING',
            source: 'SOURCE_MASTER',
            agent_id: { value: 'agent-sim-07' },
            message: 'killed by the hard drain of sim-07 (192.0.2.7) for maintenance',
            timestamp: AT_MS / 1000,
          },
        },
      })),
    );
  });

  test('gone, to a PARTITION_AWARE framework: TASK_GONE_BY_OPERATOR', () => {
    const events = toSchedulerEvents('fw', killed(true), { partitionAware: true, atMs: AT_MS });
    expect(events.map((e: any) => e.update.status.state)).toEqual(['TASK_GONE_BY_OPERATOR', 'TASK_GONE_BY_OPERATOR']);
    expect((events[0] as any).update.status.message).toContain('gone');
  });

  test('gone, to a framework that is not PARTITION_AWARE: TASK_KILLED (it would not know the newer state)', () => {
    const events = toSchedulerEvents('fw', killed(true), { partitionAware: false, atMs: AT_MS });
    expect(events.map((e: any) => e.update.status.state)).toEqual(['TASK_KILLED', 'TASK_KILLED']);
  });

  test('an agent drain says so; without an agent id the status has none', () => {
    const notice = { ...killed(false, 'agent-drain'), agentId: undefined } as FrameworkNotice;
    const [event] = toSchedulerEvents('fw', notice, { partitionAware: false, atMs: AT_MS }) as any[];
    expect(event.update.status.message).toBe('killed by the drain of agent sim-07 (192.0.2.7)');
    expect(event.update.status).not.toHaveProperty('agent_id');
  });

  test('no task, no event', () => {
    const notice: FrameworkNotice = { ...(killed(false) as any), tasks: [] };
    expect(toSchedulerEvents('fw', notice, { partitionAware: false })).toEqual([]);
  });

  test('without atMs the timestamp is now, in seconds', () => {
    const before = Date.now() / 1000;
    const [event] = toSchedulerEvents('fw', killed(false), { partitionAware: false }) as any[];
    expect(event.update.status.timestamp).toBeGreaterThanOrEqual(before);
    expect(event.update.status.timestamp).toBeLessThanOrEqual(Date.now() / 1000);
  });
});

describe('unavailability', () => {
  const draining: MachineUnavailability = {
    key: 'h=sim-07;i=192.0.2.7',
    machine: SIM_07,
    agentId: 'agent-sim-07',
    mode: 'DRAINING',
    unavailability: { startMs: START_MS, durationMs: HOUR },
  };
  const up: MachineUnavailability = { key: 'h=sim-08', machine: { hostname: 'sim-08' }, mode: 'UP' };

  test('UNAVAILABILITY with each machine: id, agent, mode, unavailability (none when out of maintenance)', () => {
    expect(toSchedulerEvents('fw', { kind: 'unavailability', machines: [draining, up] }, { partitionAware: false })).toEqual([
      {
        type: 'UNAVAILABILITY',
        unavailability: {
          full: false,
          machines: [
            {
              machine_id: SIM_07,
              agent_id: { value: 'agent-sim-07' },
              mode: 'DRAINING',
              unavailability: unavailabilityJson(draining.unavailability!),
            },
            { machine_id: { hostname: 'sim-08' }, mode: 'UP' },
          ],
        },
      },
    ]);
  });

  test('a full snapshot says full', () => {
    const [event] = toSchedulerEvents('fw', { kind: 'unavailability', machines: [draining], full: true }, { partitionAware: false }) as any[];
    expect(event.unavailability.full).toBe(true);
  });
});

test('machine-up: MACHINE_UP with the machine, agent and the volumes kept', () => {
  expect(
    toSchedulerEvents('fw', { kind: 'machine-up', machine: SIM_07, agentId: 'agent-sim-07', volumesIntact: ['vol'] }, { partitionAware: false }),
  ).toEqual([
    { type: 'MACHINE_UP', machine_up: { machine_id: SIM_07, agent_id: { value: 'agent-sim-07' }, volumes_intact: ['vol'] } },
  ]);
  const [bare] = toSchedulerEvents('fw', { kind: 'machine-up', machine: { ip: '192.0.2.7' }, volumesIntact: [] }, { partitionAware: false }) as any[];
  expect(bare.machine_up).toEqual({ machine_id: { ip: '192.0.2.7' }, volumes_intact: [] });
});

test('toSchedulerEvent (the old webhook activity) renders an offer or a rescind as its one event, and refuses nothing to render', () => {
  expect(toSchedulerEvent('fw', { kind: 'rescind-inverse-offer', offerId: 'o' }).type).toBe('RESCIND_INVERSE_OFFER');
  expect(toSchedulerEvent('fw', { kind: 'inverse-offers', offers: [offer()] }).type).toBe('INVERSE_OFFERS');
  const empty: FrameworkNotice = { kind: 'tasks-killed', machine: SIM_07, tasks: [], gone: false, cause: 'hard-drain' };
  expect(() => toSchedulerEvent('fw', empty)).toThrow(/renders no event/);
});

test('SUBSCRIBED names the framework and the heartbeat interval; HEARTBEAT is bare', () => {
  expect(subscribedEvent('fw')).toEqual({
    type: 'SUBSCRIBED',
    subscribed: { framework_id: { value: 'fw' }, heartbeat_interval_seconds: 15 },
  });
  expect(HEARTBEAT_EVENT).toEqual({ type: 'HEARTBEAT' });
});
