// The dev server gets maint's server settings in the form the Temporal CLI takes them (KEY=JSON); the compose
// file's copy is checked in compose.test.ts.
import { devServerArgs } from '../../src/temporal/dev-server';
import { SERVER_DYNAMIC_CONFIG } from '../../src/temporal/server-settings';

test('every server setting reaches the dev server as --dynamic-config-value KEY=JSON', () => {
  const args = devServerArgs({ port: 7233, namespace: 'default' });
  const values = args.flatMap((arg, i) => (args[i - 1] === '--dynamic-config-value' ? [arg] : []));
  const given = Object.fromEntries(values.map((v) => v.split(/=(.*)/s).slice(0, 2)).map(([k, json]) => [k, JSON.parse(json)]));
  expect(given).toEqual(SERVER_DYNAMIC_CONFIG);
  expect(values).toContain('history.cacheNonUserContextLockTimeout="5s"');
});
