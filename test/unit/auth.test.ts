// Mesos credentials and ACLs: parsing, HTTP Basic, and the local authorizer's match/allow rules.
import { authorized, parseAcls } from '../../src/auth/acls';
import { authenticate, parseCredentials } from '../../src/auth/credentials';

const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

describe('credentials', () => {
  const creds = parseCredentials('{"credentials":[{"principal":"ops","secret":"s3cret"},{"principal":"ro","secret":"x:y"}]}');

  test('the right secret proves the principal', () => {
    expect(authenticate(creds, basic('ops', 's3cret'))).toBe('ops');
    expect(authenticate(creds, basic('ro', 'x:y'))).toBe('ro'); // a secret may contain ':'
  });

  test.each([
    ['no header', undefined],
    ['a wrong secret', basic('ops', 'nope')],
    ['an unknown principal', basic('eve', 's3cret')],
    ['a secret prefix', basic('ops', 's3cre')],
    ['another scheme', 'Bearer abc'],
    ['no colon', `Basic ${Buffer.from('ops').toString('base64')}`],
  ])('%s proves nobody', (_name, header) => {
    expect(authenticate(creds, header)).toBeUndefined();
  });

  test('a malformed file is refused with a message that names the problem and no secret', () => {
    expect(() => parseCredentials('{"credentials":[{"secret":"hunter2"}]}', 'c.json')).toThrow(/^c\.json: credentials\.0\.principal/);
    expect(() => parseCredentials('{"credentials":[{"secret":"hunter2"}]}')).not.toThrow(/hunter2/);
    expect(() => parseCredentials('not json', 'c.json')).toThrow(/^c\.json: not JSON/);
    expect(() => parseCredentials('{"credentials":[]}')).toThrow(/credentials/);
  });
});

describe('ACLs, as Mesos\' local authorizer evaluates them', () => {
  const acls = parseAcls(
    JSON.stringify({
      permissive: false,
      update_maintenance_schedules: [
        { principals: { values: ['ops'] }, machines: { type: 'ANY' } },
        { principals: { values: ['intern'] }, machines: { type: 'NONE' } },
      ],
      start_maintenances: [{ principals: { type: 'ANY' }, machines: { type: 'ANY' } }],
      stop_maintenances: [{ principals: { type: 'NONE' }, machines: { type: 'ANY' } }],
      run_tasks: [{ principals: { type: 'ANY' }, users: { type: 'ANY' } }], // other actions are left alone
    }),
  );

  test('the first ACL whose principals match decides', () => {
    expect(authorized(acls, 'update_maintenance_schedules', 'ops')).toBe(true);
    expect(authorized(acls, 'update_maintenance_schedules', 'intern')).toBe(false); // machines NONE
  });

  test('no matching ACL: permissive decides', () => {
    expect(authorized(acls, 'update_maintenance_schedules', 'eve')).toBe(false);
    expect(authorized(acls, 'get_maintenance_schedules', 'eve')).toBe(false);
    const open = parseAcls('{"update_maintenance_schedules":[{"principals":{"values":["ops"]},"machines":{"type":"NONE"}}]}');
    expect(open.permissive).toBe(true);
    expect(authorized(open, 'update_maintenance_schedules', 'eve')).toBe(true);
    expect(authorized(open, 'update_maintenance_schedules', 'ops')).toBe(false);
  });

  test('ANY principals allow everyone, NONE principals match everyone and allow nobody', () => {
    expect(authorized(acls, 'start_maintenances', 'anyone')).toBe(true);
    expect(authorized(acls, 'start_maintenances', undefined)).toBe(true);
    expect(authorized(acls, 'stop_maintenances', 'ops')).toBe(false);
  });

  test('an unauthenticated caller (ANY) is not matched by a SOME list', () => {
    expect(authorized(acls, 'update_maintenance_schedules', undefined)).toBe(false);
  });

  test('an entity without type or values is SOME of nobody, as in Mesos\' proto', () => {
    const empty = parseAcls('{"permissive":true,"stop_maintenances":[{"principals":{},"machines":{"type":"NONE"}}]}');
    expect(authorized(empty, 'stop_maintenances', 'ops')).toBe(true); // not matched: permissive
  });

  test('machines may only be ANY or NONE, and a bad file names the field', () => {
    expect(() =>
      parseAcls('{"start_maintenances":[{"principals":{"type":"ANY"},"machines":{"values":["m1"]}}]}', 'a.json'),
    ).toThrow(/^a\.json: start_maintenances\.0\.machines: machines may only be/);
    expect(() => parseAcls('{"permissive":"yes"}', 'a.json')).toThrow(/^a\.json: permissive/);
  });
});
