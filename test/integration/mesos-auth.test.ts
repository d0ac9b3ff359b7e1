// Mesos' maintenance and agent endpoints with authentication and ACLs, as whole sequences over HTTP (worker, API and
// simulated fleet as processes), written from ../shared/docs/mesos-maintenance.md §2, §3, §3.1 and §4:
// authenticate (401, before the body) → parse and validate (400) → authorise (403, empty body) → apply;
// down/up check each machine in list order (unknown, wrong mode, not authorised); a schedule with no machines needs
// no permission; a denied GET answers 200 with what the principal may see.
import { stringifyJson } from '../../src/lib/json';
import { securityEnv } from '../support/security';
import { Stack } from '../support/stack';

let stack: Stack;
const SECRETS = { ops: 'ops-secret', viewer: 'viewer-secret', nobody: 'nobody-secret' };
type Who = keyof typeof SECRETS;

const opsOnly = { principals: { values: ['ops'] } };
const both = { principals: { values: ['ops', 'viewer'] } };
const ANY = { type: 'ANY' };

beforeAll(async () => {
  const env = securityEnv(
    SECRETS,
    {
      permissive: false,
      get_maintenance_schedules: [{ ...both, machines: ANY }],
      get_maintenance_statuses: [{ ...both, machines: ANY }],
      update_maintenance_schedules: [{ ...opsOnly, machines: ANY }],
      start_maintenances: [{ ...opsOnly, machines: ANY }],
      stop_maintenances: [{ ...opsOnly, machines: ANY }],
      drain_agents: [{ ...opsOnly, agents: ANY }],
      deactivate_agents: [{ ...opsOnly, agents: ANY }],
      reactivate_agents: [{ ...opsOnly, agents: ANY }],
      mark_agents_gone: [{ principals: { type: 'ANY' }, agents: { type: 'NONE' } }],
    },
  );
  stack = await Stack.start({
    machines: 6,
    taskGrace: '200ms',
    env,
  });
}, 120_000);

afterAll(() => stack?.stop());

// Each sequence starts from an empty schedule with every machine UP, even when the one before failed half-way.
afterEach(async () => {
  if (!stack) return;
  const down = (await as('ops', 'GET', '/master/maintenance/status')).json?.down_machines;
  if (down?.length) await as('ops', 'POST', '/master/machine/up', down);
  await as('ops', 'POST', '/master/maintenance/schedule', {});
});

const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

/** A Mesos request as `who` (a principal, or raw Authorization header values for the 401 cases). */
function as(who: Who, method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}) {
  return stack.mesos(method, pathname, body, { Authorization: basic(who, SECRETS[who]), ...headers });
}

/** A v1 operator call as `who`. */
function v1(who: Who, call: unknown) {
  return as(who, 'POST', '/api/v1', call, { Accept: 'application/json' });
}

const START = 1443830400000000000n;
const HOUR_NS = 3_600_000_000_000n;
const m1 = { hostname: 'sim-01', ip: '192.0.2.1' };
const m2 = { hostname: 'sim-02', ip: '192.0.2.2' };
const m3 = { hostname: 'sim-03', ip: '192.0.2.3' };
const unknown = { hostname: 'nowhere', ip: '10.0.0.99' };
const UNKNOWN_TEXT = `Machine '{"hostname":"nowhere","ip":"10.0.0.99"}' is not part of a maintenance schedule`;
const id = (m: { hostname: string; ip: string }) => `{"hostname":"${m.hostname}","ip":"${m.ip}"}`;

function schedule(...windows: { machines: object[]; start?: bigint; duration?: bigint }[]) {
  return {
    windows: windows.map((w) => ({
      machine_ids: w.machines,
      unavailability: {
        start: { nanoseconds: w.start ?? START },
        ...(w.duration === undefined ? {} : { duration: { nanoseconds: w.duration } }),
      },
    })),
  };
}

const FORBIDDEN = { status: 403, text: '' };
const OK = { status: 200, text: '' };

async function scheduleText(): Promise<string> {
  const res = await as('ops', 'GET', '/master/maintenance/schedule');
  expect(res.status).toBe(200);
  return res.text;
}

async function statusJson(): Promise<any> {
  const res = await as('ops', 'GET', '/master/maintenance/status');
  expect(res.status).toBe(200);
  return res.json;
}

async function clear(): Promise<void> {
  expect(await as('ops', 'POST', '/master/maintenance/schedule', {})).toMatchObject(OK);
  expect(await scheduleText()).toBe('{}');
}

const ENDPOINTS: [string, string][] = [
  ['GET', '/master/maintenance/schedule'],
  ['POST', '/master/maintenance/schedule'],
  ['GET', '/master/maintenance/status'],
  ['POST', '/master/machine/down'],
  ['POST', '/master/machine/up'],
  ['GET', '/maintenance/schedule'],
  ['POST', '/maintenance/schedule'],
  ['GET', '/maintenance/status'],
  ['POST', '/machine/down'],
  ['POST', '/machine/up'],
  ['POST', '/api/v1'],
];

test('401 without credentials or with wrong ones, on every Mesos endpoint and /api/v1, before the body is read', async () => {
  const wrong: (Record<string, string> | undefined)[] = [
    undefined, // no Authorization at all
    { Authorization: basic('ops', 'not-the-secret') },
    { Authorization: basic('mallory', 'ops-secret') },
    { Authorization: 'Basic !!!not-base64' },
    { Authorization: `Bearer ${SECRETS.ops}` },
  ];
  for (const headers of wrong) {
    for (const [method, pathname] of ENDPOINTS) {
      // A malformed body (and, for /api/v1, a Content-Type it would refuse): 401 all the same.
      const body = method === 'POST' ? '{not json' : undefined;
      const extra: Record<string, string> = pathname === '/api/v1' ? { 'Content-Type': 'text/html' } : {};
      const res = await stack.mesos(method, pathname, body, { ...headers, ...extra });
      expect({ method, pathname, auth: headers?.Authorization, status: res.status }).toEqual({
        method,
        pathname,
        auth: headers?.Authorization,
        status: 401,
      });
    }
    // A wrong method is not looked at before the credentials either.
    expect((await stack.mesos('DELETE', '/master/maintenance/schedule', undefined, headers)).status).toBe(401);
  }

  // Valid bodies without credentials change nothing.
  const posted = schedule({ machines: [m1], duration: HOUR_NS });
  expect((await stack.mesos('POST', '/master/maintenance/schedule', posted)).status).toBe(401);
  const update = { type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule: posted } };
  expect((await stack.mesos('POST', '/api/v1', update, { Authorization: basic('ops', 'nope') })).status).toBe(401);
  expect(await scheduleText()).toBe('{}');
  expect((await as('ops', 'GET', '/master/maintenance/status')).text).toBe('{}');
}, 60_000);

test('ops posts a schedule, viewer reads the same; viewer may not change it, whatever the path', async () => {
  const posted = schedule({ machines: [m1, m2], duration: HOUR_NS });
  expect(await as('ops', 'POST', '/master/maintenance/schedule', posted)).toMatchObject(OK);
  const opsView = await as('ops', 'GET', '/master/maintenance/schedule');
  expect(opsView.text).toBe(stringifyJson(posted));

  for (const pathname of ['/master/maintenance/schedule', '/maintenance/schedule']) {
    const seen = await as('viewer', 'GET', pathname);
    expect(seen.status).toBe(200);
    expect(seen.text).toBe(opsView.text);
  }

  // A new machine, the same machines with another unavailability, a mix: each names a machine, so 403.
  for (const attempt of [
    schedule({ machines: [m3] }),
    schedule({ machines: [m1, m2], duration: 2n * HOUR_NS }),
    schedule({ machines: [m1, m2], duration: HOUR_NS }, { machines: [m3] }),
  ]) {
    expect(await as('viewer', 'POST', '/master/maintenance/schedule', attempt)).toMatchObject(FORBIDDEN);
    expect(await as('viewer', 'POST', '/maintenance/schedule', attempt)).toMatchObject(FORBIDDEN);
  }
  expect(await scheduleText()).toBe(opsView.text);
  const status = await statusJson();
  expect(status.draining_machines.map((m: any) => m.id)).toEqual([m1, m2]);
  expect(status.down_machines).toBeUndefined();

  // Viewer reads the status too (get_maintenance_statuses), the same as ops.
  const viewerStatus = await as('viewer', 'GET', '/master/maintenance/status');
  expect(viewerStatus.status).toBe(200);
  expect(viewerStatus.json.draining_machines.map((m: any) => m.id)).toEqual([m1, m2]);

  await clear();
}, 60_000);

test('viewer may clear the schedule with {}: a schedule naming no machine needs no permission', async () => {
  const posted = schedule({ machines: [m1], duration: HOUR_NS }, { machines: [m3] });
  expect(await as('ops', 'POST', '/master/maintenance/schedule', posted)).toMatchObject(OK);
  expect((await statusJson()).draining_machines.map((m: any) => m.id)).toEqual([m1, m3]);

  expect(await as('viewer', 'POST', '/master/maintenance/schedule', {})).toMatchObject(OK);
  expect(await scheduleText()).toBe('{}');
  // Left out of the schedule, the machines are UP again: nothing listed.
  expect((await as('viewer', 'GET', '/master/maintenance/status')).text).toBe('{}');
  expect((await as('ops', 'GET', '/maintenance/status')).text).toBe('{}');

  // The same through the unprefixed path, and with an explicitly empty list of windows.
  expect(await as('ops', 'POST', '/master/maintenance/schedule', posted)).toMatchObject(OK);
  expect(await as('viewer', 'POST', '/maintenance/schedule', { windows: [] })).toMatchObject(OK);
  expect(await scheduleText()).toBe('{}');
}, 60_000);

test('validation comes before authorisation: viewer gets the 400 text, not 403, and nothing changes', async () => {
  const posted = schedule({ machines: [m1], duration: HOUR_NS });
  expect(await as('ops', 'POST', '/master/maintenance/schedule', posted)).toMatchObject(OK);
  const before = await scheduleText();

  const invalid: [unknown, string][] = [
    [schedule({ machines: [] }), 'List of machines in the maintenance window is empty'],
    [schedule({ machines: [m3], duration: -1n }), "Unavailability 'duration' is negative"],
    [schedule({ machines: [{ hostname: '', ip: '' }] }), "Both 'hostname' and 'ip' for a machine are empty"],
    [schedule({ machines: [{ hostname: 'v6', ip: '::1' }] }), 'Failed to parse IPv4: ::1'],
    [schedule({ machines: [m3] }, { machines: [m3] }), `Machine '${id(m3)}' appears more than once in the schedule`],
    [{ windows: [{ machine_ids: [m3] }] }, 'Missing required fields: windows[0].unavailability'],
  ];
  for (const [body, text] of invalid) {
    expect(await as('viewer', 'POST', '/master/maintenance/schedule', body)).toMatchObject({ status: 400, text });
  }
  // Not JSON at all: 400 too.
  expect((await as('viewer', 'POST', '/master/maintenance/schedule', '{not json')).status).toBe(400);

  // Machine lists: the list as a whole is validated before anything else.
  expect(await as('viewer', 'POST', '/master/machine/down', [])).toMatchObject({ status: 400, text: 'List of machines is empty' });
  expect(await as('viewer', 'POST', '/master/machine/up', [m1, m1])).toMatchObject({
    status: 400,
    text: `Machine '${id(m1)}' appears more than once in the schedule`,
  });
  expect(await as('viewer', 'POST', '/master/machine/down', [{ ip: '::1' }])).toMatchObject({
    status: 400,
    text: 'Failed to parse IPv4: ::1',
  });
  expect((await as('viewer', 'POST', '/master/machine/down', '{"hostname":"not an array"}')).status).toBe(400);

  expect(await scheduleText()).toBe(before);
  expect((await statusJson()).draining_machines.map((m: any) => m.id)).toEqual([m1]);
  await clear();
}, 60_000);

test('down and up: per machine in list order, unknown → wrong mode → not authorised', async () => {
  const posted = schedule({ machines: [m1, m2], duration: HOUR_NS });
  expect(await as('ops', 'POST', '/master/maintenance/schedule', posted)).toMatchObject(OK);

  // m1 is DRAINING: the viewer's refusal on it comes before the unknown machine is looked at.
  expect(await as('viewer', 'POST', '/master/machine/down', [m1, unknown])).toMatchObject(FORBIDDEN);
  expect(await as('viewer', 'POST', '/master/machine/down', [unknown, m1])).toMatchObject({ status: 400, text: UNKNOWN_TEXT });
  expect(await as('viewer', 'POST', '/master/machine/down', [m1])).toMatchObject(FORBIDDEN);
  expect(await as('viewer', 'POST', '/machine/down', [m1, m2])).toMatchObject(FORBIDDEN);
  // Up on a DRAINING machine: the wrong mode is a 400, before authorisation.
  expect(await as('viewer', 'POST', '/master/machine/up', [m1])).toMatchObject({
    status: 400,
    text: `Machine '${id(m1)}' is not in DOWN mode and cannot be brought up`,
  });
  let status = await statusJson();
  expect(status.draining_machines.map((m: any) => m.id)).toEqual([m1, m2]);
  expect(status.down_machines).toBeUndefined();

  // ops brings m1 down.
  expect(await as('ops', 'POST', '/master/machine/down', [m1])).toMatchObject(OK);
  status = await statusJson();
  expect(status.down_machines).toEqual([m1]);
  expect(status.draining_machines.map((m: any) => m.id)).toEqual([m2]);
  const viewerStatus = (await as('viewer', 'GET', '/master/maintenance/status')).json;
  expect(viewerStatus.down_machines).toEqual([m1]);
  expect(viewerStatus.draining_machines.map((m: any) => m.id)).toEqual([m2]);

  // A schedule that drops the DOWN machine is invalid: the viewer gets that 400, not 403.
  expect(await as('viewer', 'POST', '/master/maintenance/schedule', schedule({ machines: [m2] }))).toMatchObject({
    status: 400,
    text: `Machine '${id(m1)}' is deactivated and cannot be removed from the schedule`,
  });

  // Up: viewer refused (m1 is DOWN), in list order again.
  expect(await as('viewer', 'POST', '/master/machine/up', [m1])).toMatchObject(FORBIDDEN);
  expect(await as('viewer', 'POST', '/master/machine/up', [m1, unknown])).toMatchObject(FORBIDDEN);
  expect(await as('viewer', 'POST', '/master/machine/up', [unknown, m1])).toMatchObject({ status: 400, text: UNKNOWN_TEXT });
  expect(await as('viewer', 'POST', '/master/machine/up', [m2, m1])).toMatchObject({
    status: 400,
    text: `Machine '${id(m2)}' is not in DOWN mode and cannot be brought up`,
  });
  expect((await statusJson()).down_machines).toEqual([m1]);

  expect(await as('ops', 'POST', '/master/machine/up', [m1])).toMatchObject(OK);
  status = await statusJson();
  expect(status.down_machines).toBeUndefined();
  expect(status.draining_machines.map((m: any) => m.id)).toEqual([m2]);
  expect(await scheduleText()).toBe(stringifyJson(schedule({ machines: [m2], duration: HOUR_NS })));

  // m1 is known (UP) now: the wrong mode comes before authorisation.
  expect(await as('viewer', 'POST', '/master/machine/down', [m1])).toMatchObject({
    status: 400,
    text: `Machine '${id(m1)}' is not in DRAINING mode and cannot be brought down`,
  });
  await clear();
}, 60_000);

test('a principal denied the GETs gets 200 with nothing in it, never 403', async () => {
  const posted = schedule({ machines: [m3], duration: HOUR_NS });
  expect(await as('ops', 'POST', '/master/maintenance/schedule', posted)).toMatchObject(OK);
  expect((await as('viewer', 'GET', '/master/maintenance/schedule')).text).toBe(stringifyJson(posted));

  for (const pathname of ['/master/maintenance/schedule', '/maintenance/schedule', '/master/maintenance/status', '/maintenance/status']) {
    expect(await as('nobody', 'GET', pathname)).toMatchObject({ status: 200, text: '{}' });
  }
  const getSchedule = await v1('nobody', { type: 'GET_MAINTENANCE_SCHEDULE' });
  expect(getSchedule.status).toBe(200);
  expect(getSchedule.json).toEqual({ type: 'GET_MAINTENANCE_SCHEDULE', get_maintenance_schedule: { schedule: {} } });
  const getStatus = await v1('nobody', { type: 'GET_MAINTENANCE_STATUS' });
  expect(getStatus.status).toBe(200);
  expect(getStatus.json).toEqual({ type: 'GET_MAINTENANCE_STATUS', get_maintenance_status: { status: {} } });

  // Nor may nobody change anything that names a machine.
  expect(await as('nobody', 'POST', '/master/maintenance/schedule', schedule({ machines: [m1] }))).toMatchObject(FORBIDDEN);
  expect(await as('nobody', 'POST', '/master/machine/down', [m3])).toMatchObject(FORBIDDEN);
  expect(await scheduleText()).toBe((await as('viewer', 'GET', '/master/maintenance/schedule')).text);
  expect((await statusJson()).draining_machines.map((m: any) => m.id)).toEqual([m3]);
  await clear();
}, 60_000);

test('the v1 operator API gives the same principals the same outcomes', async () => {
  const posted = schedule({ machines: [m1, m2], duration: HOUR_NS });
  const update = (s: unknown) => ({ type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule: s } });
  expect(await v1('ops', update(posted))).toMatchObject(OK);

  const opsSchedule = await v1('ops', { type: 'GET_MAINTENANCE_SCHEDULE' });
  expect(opsSchedule.text).toBe(
    stringifyJson({ type: 'GET_MAINTENANCE_SCHEDULE', get_maintenance_schedule: { schedule: posted } }),
  );
  const viewerSchedule = await v1('viewer', { type: 'GET_MAINTENANCE_SCHEDULE' });
  expect(viewerSchedule.status).toBe(200);
  expect(viewerSchedule.text).toBe(opsSchedule.text);
  const viewerStatus = await v1('viewer', { type: 'GET_MAINTENANCE_STATUS' });
  expect(viewerStatus.status).toBe(200);
  expect(viewerStatus.json.type).toBe('GET_MAINTENANCE_STATUS');
  expect(viewerStatus.json.get_maintenance_status.status.draining_machines.map((m: any) => m.id)).toEqual([m1, m2]);
  const opsStatus = (await v1('ops', { type: 'GET_MAINTENANCE_STATUS' })).json;
  expect(opsStatus.get_maintenance_status.status.draining_machines.map((m: any) => m.id)).toEqual([m1, m2]);

  // Viewer: 403 for a schedule naming machines, the 400 text for an invalid one.
  expect(await v1('viewer', update(schedule({ machines: [m3] })))).toMatchObject(FORBIDDEN);
  expect(await v1('viewer', update(schedule({ machines: [] })))).toMatchObject({
    status: 400,
    text: 'List of machines in the maintenance window is empty',
  });
  expect((await v1('ops', { type: 'GET_MAINTENANCE_SCHEDULE' })).text).toBe(opsSchedule.text);

  // START/STOP_MAINTENANCE in list order, as /machine/down and /machine/up.
  const start = (machines: object[]) => ({ type: 'START_MAINTENANCE', start_maintenance: { machines } });
  const stop = (machines: object[]) => ({ type: 'STOP_MAINTENANCE', stop_maintenance: { machines } });
  expect(await v1('viewer', start([m1, unknown]))).toMatchObject(FORBIDDEN);
  expect(await v1('viewer', start([unknown, m1]))).toMatchObject({ status: 400, text: UNKNOWN_TEXT });
  expect(await v1('viewer', start([]))).toMatchObject({ status: 400, text: 'List of machines is empty' });
  expect(await v1('ops', start([m1]))).toMatchObject(OK);
  const down = await v1('viewer', { type: 'GET_MAINTENANCE_STATUS' });
  expect(down.json.get_maintenance_status.status.down_machines).toEqual([m1]);
  expect(await v1('viewer', stop([m1]))).toMatchObject(FORBIDDEN);
  expect(await v1('viewer', stop([unknown, m1]))).toMatchObject({ status: 400, text: UNKNOWN_TEXT });
  expect((await statusJson()).down_machines).toEqual([m1]);
  expect(await v1('ops', stop([m1]))).toMatchObject(OK);
  expect((await statusJson()).down_machines).toBeUndefined();

  // An empty schedule needs no permission here either.
  expect(await v1('viewer', update({}))).toMatchObject(OK);
  expect((await v1('viewer', { type: 'GET_MAINTENANCE_SCHEDULE' })).json).toEqual({
    type: 'GET_MAINTENANCE_SCHEDULE',
    get_maintenance_schedule: { schedule: {} },
  });
  expect(await scheduleText()).toBe('{}');
}, 60_000);

test('agent calls: drain, deactivate and reactivate need their ACLs; mark_gone needs mark_agents_gone', async () => {
  const agentId = 'agent-sim-06';
  const drain = (agent: string, extra: object = {}) => ({
    type: 'DRAIN_AGENT',
    drain_agent: { agent_id: { value: agent }, ...extra },
  });
  const deactivate = (agent: string) => ({ type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: agent } } });
  const reactivate = (agent: string) => ({ type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: agent } } });
  const agent = async () => {
    const res = await v1('ops', { type: 'GET_AGENTS' });
    expect(res.status).toBe(200);
    return res.json.get_agents.agents.find((a: any) => a.agent_info.id.value === agentId);
  };

  // Viewer has none of the agent permissions; the refusal comes before "Unknown agent" / "not deactivated".
  expect(await v1('viewer', drain(agentId))).toMatchObject(FORBIDDEN);
  expect(await v1('viewer', drain('agent-nowhere'))).toMatchObject(FORBIDDEN);
  expect(await v1('viewer', deactivate(agentId))).toMatchObject(FORBIDDEN);
  expect(await v1('viewer', deactivate('agent-nowhere'))).toMatchObject(FORBIDDEN);
  expect(await v1('viewer', reactivate(agentId))).toMatchObject(FORBIDDEN);

  // Nobody may mark agents gone, ops included.
  expect(await v1('ops', drain(agentId, { mark_gone: true }))).toMatchObject(FORBIDDEN);
  expect(await v1('ops', drain(agentId, { mark_gone: true, max_grace_period: { seconds: 1 } }))).toMatchObject(FORBIDDEN);
  const untouched = await agent();
  expect(untouched).toMatchObject({ active: true, deactivated: false });
  expect(untouched.drain_info).toBeUndefined();
  expect(await stack.sim(`/agents/${agentId}`)).toMatchObject({ deactivated: false, gone: false });

  // ops: an unknown agent is a 400 once authorised.
  expect(await v1('ops', drain('agent-nowhere'))).toMatchObject({ status: 400, text: 'Unknown agent' });
  expect(await v1('ops', deactivate('agent-nowhere'))).toMatchObject({ status: 400, text: 'Unknown agent' });
  expect(await v1('ops', reactivate(agentId))).toMatchObject({ status: 400, text: 'Agent is not deactivated' });

  // ops drains without mark_gone.
  expect(await v1('ops', drain(agentId, { mark_gone: false }))).toMatchObject(OK);
  const draining = await agent();
  expect(draining.deactivated).toBe(true);
  expect(draining.active).toBe(false);
  expect(draining.drain_info.config).toEqual({ mark_gone: false });
  const drained = await stack.eventually('agent-sim-06 DRAINED', async () => {
    const a = await agent();
    return a?.drain_info?.state === 'DRAINED' ? a : undefined;
  });
  expect(drained.drain_info).toEqual({ state: 'DRAINED', config: { mark_gone: false } });
  // Viewer still may not reactivate it; ops may.
  expect(await v1('viewer', reactivate(agentId))).toMatchObject(FORBIDDEN);
  expect((await agent()).deactivated).toBe(true);
  expect(await v1('ops', reactivate(agentId))).toMatchObject(OK);
  const back = await agent();
  expect(back).toMatchObject({ active: true, deactivated: false });
  expect(back.drain_info).toBeUndefined();

  // ops deactivates and reactivates; viewer cannot undo either.
  expect(await v1('ops', deactivate(agentId))).toMatchObject(OK);
  expect(await v1('viewer', reactivate(agentId))).toMatchObject(FORBIDDEN);
  expect((await agent()).deactivated).toBe(true);
  expect(await v1('ops', reactivate(agentId))).toMatchObject(OK);
  expect((await agent()).deactivated).toBe(false);
}, 90_000);
