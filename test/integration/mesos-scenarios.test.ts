// Whole Mesos sequences against the running service over HTTP (worker, API and simulated fleet as processes),
// written from the behaviour rules of ../shared/docs/mesos-maintenance.md §1.3, §2 and §4.
import { stringifyJson } from '../../src/lib/json';
import { Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start({ machines: 6 });
}, 120_000);

afterAll(() => stack?.stop());

const HOUR_NS = 3_600_000_000_000n;
const m1 = { hostname: 'sim-01', ip: '192.0.2.1' };
const m2 = { hostname: 'sim-02', ip: '192.0.2.2' };
const m3 = { hostname: 'sim-03', ip: '192.0.2.3' };

function schedule(...windows: { machines: object[]; start: bigint; duration?: bigint }[]) {
  return {
    windows: windows.map((w) => ({
      machine_ids: w.machines,
      unavailability: { start: { nanoseconds: w.start }, ...(w.duration === undefined ? {} : { duration: { nanoseconds: w.duration } }) },
    })),
  };
}

test('schedule, status, down, up: the Mesos lifecycle, int64 exact, over both paths', async () => {
  const start = 1443830400000000000n; // > 2^53: any float rounding would show
  const posted = schedule({ machines: [m1, m2], start, duration: HOUR_NS });
  const post = await stack.mesos('POST', '/master/maintenance/schedule', posted);
  expect(post).toMatchObject({ status: 200, text: '' });

  const read = await stack.mesos('GET', '/maintenance/schedule');
  expect(read.status).toBe(200);
  expect(read.text).toBe(
    '{"windows":[{"machine_ids":[{"hostname":"sim-01","ip":"192.0.2.1"},{"hostname":"sim-02","ip":"192.0.2.2"}],' +
      '"unavailability":{"start":{"nanoseconds":1443830400000000000},"duration":{"nanoseconds":3600000000000}}}]}',
  );

  // DRAINING at once, whatever the start time; nothing DOWN yet.
  const status = await stack.mesos('GET', '/master/maintenance/status');
  expect(status.json.down_machines).toBeUndefined();
  expect(status.json.draining_machines.map((m: any) => m.id)).toEqual([m1, m2]);

  // The Mesos window shows among the native windows.
  const mesosWindow = await stack.eventually('the Mesos window among the native windows', async () => {
    const list = await stack.api('GET', '/api/v1/windows');
    return list.body.windows.find((w: any) => w.origin === 'mesos');
  });
  expect(mesosWindow.machines.map((m: any) => m.id)).toEqual([m1, m2]);


  // Frameworks answer inverse offers: statuses appear (mover accepts, decliner declines).
  const answered = await stack.eventually('inverse offer statuses', async () => {
    const s = await stack.mesos('GET', '/master/maintenance/status');
    const first = s.json.draining_machines?.find((m: any) => m.id.hostname === 'sim-02');
    return first?.statuses?.length >= 2 ? first.statuses : undefined;
  });
  expect(answered.map((s: any) => s.status).sort()).toEqual(['ACCEPT', 'DECLINE']);
  expect(typeof answered[0].timestamp.nanoseconds).toBe('bigint');

  // Down: only DRAINING machines; the mode is DOWN at once.
  expect((await stack.mesos('POST', '/master/machine/down', [m1])).status).toBe(200);
  const afterDown = await stack.mesos('GET', '/master/maintenance/status');
  expect(afterDown.json.down_machines).toEqual([m1]);
  expect(afterDown.json.draining_machines.map((m: any) => m.id)).toEqual([m2]);
  // The machine really goes down in the cluster.
  await stack.eventually('sim-01 down in the cluster', async () => {
    const m = await stack.sim('/machines/sim-01');
    return m.down ? m : undefined;
  });

  // A DOWN machine cannot leave the schedule through a POST.
  const drop = await stack.mesos('POST', '/master/maintenance/schedule', schedule({ machines: [m2], start }));
  expect(drop.status).toBe(400);
  expect(drop.text).toBe(`Machine '{"hostname":"sim-01","ip":"192.0.2.1"}' is deactivated and cannot be removed from the schedule`);

  // Up: DOWN machines only; it leaves the schedule.
  const upDraining = await stack.mesos('POST', '/master/machine/up', [m2]);
  expect(upDraining).toMatchObject({ status: 400, text: `Machine '{"hostname":"sim-02","ip":"192.0.2.2"}' is not in DOWN mode and cannot be brought up` });
  expect((await stack.mesos('POST', '/master/machine/up', [m1])).status).toBe(200);
  const afterUp = await stack.mesos('GET', '/master/maintenance/schedule');
  expect(afterUp.json.windows[0].machine_ids).toEqual([m2]);
  await stack.eventually('sim-01 up in the cluster', async () => {
    const m = await stack.sim('/machines/sim-01');
    return m.down ? undefined : m;
  });

  // The master still knows sim-01 (UP): down says "not in DRAINING mode"; a never-seen machine is "not part".
  const again = await stack.mesos('POST', '/master/machine/down', [m1]);
  expect(again.text).toBe(`Machine '{"hostname":"sim-01","ip":"192.0.2.1"}' is not in DRAINING mode and cannot be brought down`);
  const never = await stack.mesos('POST', '/master/machine/down', [{ hostname: 'nowhere' }]);
  expect(never.text).toBe(`Machine '{"hostname":"nowhere"}' is not part of a maintenance schedule`);

  // Left out of a new schedule, a DRAINING machine goes back to UP; `{}` clears the schedule.
  expect((await stack.mesos('POST', '/maintenance/schedule', {})).status).toBe(200);
  expect((await stack.mesos('GET', '/maintenance/schedule')).text).toBe('{}');
  expect((await stack.mesos('GET', '/maintenance/status')).text).toBe('{}');

  // A window created natively is a window of the Mesos schedule, and its machines are DRAINING there.
  const native = await stack.api('POST', '/api/v1/windows', { machines: [m3], drainWithin: '1h', duration: '30m' });
  expect(native.status).toBe(201);
  const both = await stack.mesos('GET', '/master/maintenance/schedule');
  const startNs = BigInt(Date.parse(native.body.unavailability.start)) * 1_000_000n;
  expect(both.text).toBe(stringifyJson(schedule({ machines: [m3], start: startNs, duration: 1_800_000_000_000n })));
  expect((await stack.mesos('GET', '/master/maintenance/status')).json.draining_machines[0].id).toEqual(m3);
  expect((await stack.api('POST', `/api/v1/windows/${native.body.id}/cancel`)).status).toBe(200);
  await stack.eventually('the cancelled window to leave the schedule', async () => {
    const s = await stack.mesos('GET', '/master/maintenance/schedule');
    return s.text === '{}' ? true : undefined;
  });
}, 120_000);

test('the v1 operator API answers the same state in its envelopes', async () => {
  const call = (body: unknown) => stack.mesos('POST', '/api/v1', body, { Accept: 'application/json' });
  const start = 1500000000123456789n;
  const update = await call({
    type: 'UPDATE_MAINTENANCE_SCHEDULE',
    update_maintenance_schedule: { schedule: schedule({ machines: [m3], start: start }) },
  });
  expect(update).toMatchObject({ status: 200, text: '' });
  const got = await call({ type: 'GET_MAINTENANCE_SCHEDULE' });
  expect(got.text).toBe(
    '{"type":"GET_MAINTENANCE_SCHEDULE","get_maintenance_schedule":{"schedule":{"windows":[{"machine_ids":' +
      '[{"hostname":"sim-03","ip":"192.0.2.3"}],"unavailability":{"start":{"nanoseconds":1500000000123456789}}}]}}}',
  );
  expect((await call({ type: 'START_MAINTENANCE', start_maintenance: { machines: [m3] } })).status).toBe(200);
  const status = await call({ type: 'GET_MAINTENANCE_STATUS' });
  expect(status.json).toEqual({ type: 'GET_MAINTENANCE_STATUS', get_maintenance_status: { status: { down_machines: [m3] } } });
  expect((await call({ type: 'STOP_MAINTENANCE', stop_maintenance: { machines: [m3] } })).status).toBe(200);
  expect((await call({ type: 'GET_MAINTENANCE_STATUS' })).json.get_maintenance_status).toEqual({ status: {} });
}, 60_000);

test('status lists a machine with the spelling it was first scheduled with; the schedule as last posted', async () => {
  const start = 1443830400000000000n;
  const upper = { hostname: 'SIM-04', ip: '192.0.2.4' };
  const lower = { hostname: 'sim-04', ip: '192.0.2.4' };
  expect((await stack.mesos('POST', '/master/maintenance/schedule', schedule({ machines: [upper], start }))).status).toBe(200);
  expect((await stack.mesos('POST', '/master/maintenance/schedule', schedule({ machines: [lower], start }))).status).toBe(200);
  expect((await stack.mesos('GET', '/master/maintenance/schedule')).json.windows[0].machine_ids).toEqual([lower]);
  expect((await stack.mesos('GET', '/master/maintenance/status')).json.draining_machines.map((m: any) => m.id)).toEqual([upper]);
  expect((await stack.mesos('POST', '/master/maintenance/schedule', {})).status).toBe(200);
}, 60_000);
