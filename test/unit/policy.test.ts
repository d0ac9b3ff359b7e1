// The window policy, the native API's request schemas, and how errors become HTTP answers that name the field.
import { ZodError, type ZodType } from 'zod';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { errorBody, jsonErrors } from '../../src/api/errors';
import { CreateWindowSchema, ExtendSchema } from '../../src/api/native/schemas';
import { ErrorCode, MaintError } from '../../src/domain/errors';
import { DEFAULT_POLICY, killGracePeriodMs } from '../../src/domain/policy';

const MACHINES = [{ hostname: 'sim-01', ip: '192.0.2.1' }];
const HOUR = 3_600_000;

/** The HTTP answer a body would get from a schema: the parsed value, or errorBody's mapping of the ZodError. */
function rejection(schema: ZodType, body: unknown) {
  const result = schema.safeParse(body);
  if (result.success) throw new Error(`expected a rejection, parsed ${JSON.stringify(result.data)}`);
  expect(result.error).toBeInstanceOf(ZodError);
  return errorBody(result.error);
}

describe('DEFAULT_POLICY', () => {
  test('escalates with a hard drain at the deadline', () => {
    expect(DEFAULT_POLICY.escalation).toBe('hard-drain');
  });

  test('takes a machine down as soon as it is drained', () => {
    expect(DEFAULT_POLICY.downWhenDrained).toBe(true);
  });

  test('brings machines back up when their unavailability ends', () => {
    expect(DEFAULT_POLICY.autoUp).toBe(true);
  });

  test('sets no pacing and no grace cap', () => {
    expect(DEFAULT_POLICY.maxParallel).toBeUndefined();
    expect(DEFAULT_POLICY.maxGracePeriodMs).toBeUndefined();
  });

  test('cannot be changed by accident', () => {
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
  });
});

describe('killGracePeriodMs = min(task grace, max_grace_period)', () => {
  test('without a cap the task keeps its own grace period', () => {
    expect(killGracePeriodMs(30_000, undefined)).toBe(30_000);
  });

  test('a cap shorter than the task grace wins', () => {
    expect(killGracePeriodMs(30_000, 10_000)).toBe(10_000);
  });

  test('a cap longer than the task grace does not lengthen it', () => {
    expect(killGracePeriodMs(5_000, 10_000)).toBe(5_000);
  });

  test('a zero cap kills at once', () => {
    expect(killGracePeriodMs(30_000, 0)).toBe(0);
  });
});

describe('CreateWindowSchema: accepted bodies', () => {
  test('machines and drainWithin, with the default policy filled in', () => {
    const parsed = CreateWindowSchema.parse({ machines: MACHINES, drainWithin: '1h' });
    expect(parsed).toEqual({
      machines: MACHINES,
      drainWithin: HOUR,
      policy: { escalation: 'hard-drain', downWhenDrained: true, autoUp: true },
    });
  });

  test('start, duration and a partial policy, with the rest of the policy defaulted', () => {
    const parsed = CreateWindowSchema.parse({
      machines: MACHINES,
      start: '2026-12-01T10:00:00Z',
      duration: '4h',
      policy: { escalation: 'notify', maxParallel: 2, maxGracePeriod: '30s' },
    });
    expect(parsed).toEqual({
      machines: MACHINES,
      start: Date.UTC(2026, 11, 1, 10),
      duration: 4 * HOUR,
      policy: { escalation: 'notify', downWhenDrained: true, autoUp: true, maxParallel: 2, maxGracePeriod: 30_000 },
    });
  });

  test('a start with an offset is read as that instant', () => {
    const parsed = CreateWindowSchema.parse({ machines: MACHINES, start: '2026-12-01T12:00:00+02:00' });
    expect(parsed.start).toBe(Date.UTC(2026, 11, 1, 10));
  });

  test('a machine named by hostname only, or by ip only', () => {
    const machines = [{ hostname: 'sim-01' }, { ip: '192.0.2.2' }];
    expect(CreateWindowSchema.parse({ machines, drainWithin: '30m' }).machines).toEqual(machines);
  });
});

describe('CreateWindowSchema: rejected bodies name the field', () => {
  test('no machines', () => {
    const { status, body } = rejection(CreateWindowSchema, { drainWithin: '1h' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'INVALID', field: 'machines' });
  });

  test('an empty machine list', () => {
    const { body } = rejection(CreateWindowSchema, { machines: [], drainWithin: '1h' });
    expect(body).toMatchObject({ error: 'INVALID', field: 'machines' });
    expect(body.message).toBe('machines: a window needs at least one machine');
  });

  test('a machine with neither hostname nor ip, with Mesos text', () => {
    const { body } = rejection(CreateWindowSchema, { machines: [MACHINES[0], {}], drainWithin: '1h' });
    expect(body).toMatchObject({
      error: 'INVALID',
      field: 'machines[1]',
      message: "machines[1]: Both 'hostname' and 'ip' for a machine are empty",
    });
  });

  test('an IPv6 ip, with Mesos text', () => {
    const { body } = rejection(CreateWindowSchema, { machines: [{ hostname: 'a', ip: '2001:db8::1' }], drainWithin: '1h' });
    expect(body).toMatchObject({
      error: 'INVALID',
      field: 'machines[0].ip',
      message: 'machines[0].ip: Failed to parse IPv4: 2001:db8::1',
    });
  });

  test('an unknown field in a machine', () => {
    const { body } = rejection(CreateWindowSchema, { machines: [{ hostname: 'a', host: 'b' }], drainWithin: '1h' });
    expect(body.field).toBe('machines[0].host');
    expect(body.message).toContain('"host"');
  });

  test('an unknown top-level field (a typo) is refused and named', () => {
    const { status, body } = rejection(CreateWindowSchema, { machines: MACHINES, drainWIthin: '1h' });
    expect(status).toBe(400);
    expect(body.error).toBe('INVALID');
    expect(body.message).toContain('"drainWIthin"');
  });

  test('both drainWithin and start', () => {
    const { body } = rejection(CreateWindowSchema, {
      machines: MACHINES,
      drainWithin: '1h',
      start: '2026-12-01T10:00:00Z',
    });
    expect(body.field).toBe('start');
    expect(body.message).toContain('exactly one of "drainWithin" or "start"');
  });

  test('neither drainWithin nor start', () => {
    const { body } = rejection(CreateWindowSchema, { machines: MACHINES });
    expect(body.field).toBe('start');
    expect(body.message).toContain('exactly one of "drainWithin" or "start"');
  });

  test('a fractional duration', () => {
    const { body } = rejection(CreateWindowSchema, { machines: MACHINES, drainWithin: '1.5h' });
    expect(body.field).toBe('drainWithin');
    expect(body.message).toContain('"1.5h" is not a duration');
  });

  test('a bad window duration', () => {
    const { body } = rejection(CreateWindowSchema, { machines: MACHINES, drainWithin: '1h', duration: '4 hours' });
    expect(body.field).toBe('duration');
  });

  test('a duration that is not a string', () => {
    const { body } = rejection(CreateWindowSchema, { machines: MACHINES, drainWithin: 3600 });
    expect(body.field).toBe('drainWithin');
  });

  test('an unknown escalation', () => {
    const { body } = rejection(CreateWindowSchema, {
      machines: MACHINES,
      drainWithin: '1h',
      policy: { escalation: 'page-someone' },
    });
    expect(body.field).toBe('policy.escalation');
  });

  test('maxParallel 0', () => {
    const { body } = rejection(CreateWindowSchema, { machines: MACHINES, drainWithin: '1h', policy: { maxParallel: 0 } });
    expect(body.field).toBe('policy.maxParallel');
  });

  test('a fractional maxParallel', () => {
    const { body } = rejection(CreateWindowSchema, { machines: MACHINES, drainWithin: '1h', policy: { maxParallel: 1.5 } });
    expect(body.field).toBe('policy.maxParallel');
  });

  test('a bad maxGracePeriod', () => {
    const { body } = rejection(CreateWindowSchema, {
      machines: MACHINES,
      drainWithin: '1h',
      policy: { maxGracePeriod: '10mins' },
    });
    expect(body.field).toBe('policy.maxGracePeriod');
  });

  test.each([
    ['words', 'tomorrow'],
    ['a date without a time', '2026-12-01'],
    ['a time without an offset', '2026-12-01T10:00:00'],
    ['a day that does not exist', '2026-02-30T10:00:00Z'],
    ['epoch milliseconds', '1796119200000'],
  ])('a start that is not ISO 8601 with an offset: %s', (_why, start) => {
    const { body } = rejection(CreateWindowSchema, { machines: MACHINES, start });
    expect(body.field).toBe('start');
  });

  test('a body that is not an object', () => {
    const { status, body } = rejection(CreateWindowSchema, null);
    expect(status).toBe(400);
    expect(body.field).toBe('body');
  });

  test('every issue is listed, the first one in message and field', () => {
    const { body } = rejection(CreateWindowSchema, {
      machines: [{ ip: '::1' }],
      drainWithin: '1.5h',
      policy: { maxParallel: 0 },
    });
    const fields = body.issues?.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['machines[0].ip', 'drainWithin', 'policy.maxParallel']));
    expect(body.field).toBe(fields?.[0]);
    expect(body.message.startsWith(`${body.field}: `)).toBe(true);
  });
});

describe('ExtendSchema', () => {
  test('{"by":"30m"} is 30 minutes', () => {
    expect(ExtendSchema.parse({ by: '30m' })).toEqual({ by: 30 * 60_000 });
  });

  test('{"deadline": ISO} is that instant', () => {
    expect(ExtendSchema.parse({ deadline: '2026-12-01T10:00:00Z' })).toEqual({ deadline: Date.UTC(2026, 11, 1, 10) });
  });

  test('both by and deadline are refused', () => {
    const { status, body } = rejection(ExtendSchema, { by: '30m', deadline: '2026-12-01T10:00:00Z' });
    expect(status).toBe(400);
    expect(body.field).toBe('by');
    expect(body.message).toContain('exactly one of "by" or "deadline"');
  });

  test('neither by nor deadline is refused', () => {
    const { body } = rejection(ExtendSchema, {});
    expect(body.field).toBe('by');
  });

  test('extending by 0s is refused', () => {
    const { body } = rejection(ExtendSchema, { by: '0s' });
    expect(body.field).toBe('by');
    expect(body.message).toBe('by: must be longer than 0s');
  });

  test('a deadline that is not ISO 8601 is refused', () => {
    const { body } = rejection(ExtendSchema, { deadline: 'next week' });
    expect(body.field).toBe('deadline');
  });
});

describe('errorBody', () => {
  test.each([
    [ErrorCode.INVALID, 400],
    [ErrorCode.FORBIDDEN, 403],
    [ErrorCode.NOT_FOUND, 404],
    [ErrorCode.CONFLICT, 409],
    [ErrorCode.UNAVAILABLE, 503],
  ])('a MaintError %s answers %p with its code, message and field', (code, status) => {
    const out = errorBody(new MaintError(code, 'machines[1]: something about it', 'machines[1]'));
    expect(out).toEqual({
      status,
      body: { error: code, message: 'machines[1]: something about it', field: 'machines[1]' },
    });
  });

  test('jsonErrors: a 503 says when to call again (Retry-After); other refusals do not', async () => {
    const app = express();
    app.get('/busy', () => {
      throw new MaintError(ErrorCode.UNAVAILABLE, 'Temporal is busy, try again');
    });
    app.get('/conflict', () => {
      throw new MaintError(ErrorCode.CONFLICT, 'window w-1 is over');
    });
    app.use(jsonErrors({ error: () => undefined }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const busy = await fetch(`${base}/busy`);
      expect([busy.status, busy.headers.get('retry-after')]).toEqual([503, '1']);
      const conflict = await fetch(`${base}/conflict`);
      expect([conflict.status, conflict.headers.get('retry-after')]).toEqual([409, null]);
    } finally {
      server.close();
    }
  });

  test('a MaintError without a field has no field in the body', () => {
    const { body } = errorBody(new MaintError(ErrorCode.NOT_FOUND, 'no window w-9'));
    expect(body).toEqual({ error: 'NOT_FOUND', message: 'no window w-9' });
    expect('field' in body).toBe(false);
  });

  test("express's JSON parse error is a 400 about the body", () => {
    const err = Object.assign(new SyntaxError('Unexpected token } in JSON at position 12'), {
      type: 'entity.parse.failed',
      status: 400,
    });
    const { status, body } = errorBody(err);
    expect(status).toBe(400);
    expect(body.error).toBe('INVALID');
    expect(body.field).toBe('body');
    expect(body.message).toContain('not valid JSON');
  });

  test('a body too large is a 413', () => {
    const { status, body } = errorBody({ type: 'entity.too.large', message: 'request entity too large' });
    expect(status).toBe(413);
    expect(body.error).toBe('PAYLOAD_TOO_LARGE');
  });

  test('an unknown error is a 500 that does not leak its text', () => {
    const { status, body } = errorBody(new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2'));
    expect(status).toBe(500);
    expect(body.error).toBe('INTERNAL');
    expect(body.message).not.toContain('hunter2');
    expect(body.message).not.toContain('ECONNREFUSED');
    expect(body.field).toBeUndefined();
  });

  test('a thrown non-error value is a 500 too', () => {
    expect(errorBody('boom').status).toBe(500);
    expect(errorBody(undefined).status).toBe(500);
  });
});
