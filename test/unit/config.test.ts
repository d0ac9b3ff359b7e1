// loadConfig: the one reader of the environment.
import { loadConfig } from '../../src/config';

describe('MAINT_MESOS_POLICY: what windows posted the Mesos way do on their own', () => {
  test('unset: nothing (Mesos never changes a mode by itself)', () => {
    expect(loadConfig({}).mesosPolicy).toBeUndefined();
  });

  test('a policy in the native API’s JSON, with its defaults and durations', () => {
    expect(loadConfig({ MAINT_MESOS_POLICY: '{"escalation":"hard-drain","maxGracePeriod":"30s","maxParallel":5}' }).mesosPolicy).toEqual({
      escalation: 'hard-drain',
      downWhenDrained: true,
      autoUp: true,
      maxParallel: 5,
      maxGracePeriodMs: 30_000,
    });
  });

  test.each([
    ['not JSON', 'hard-drain', /MAINT_MESOS_POLICY: not JSON/],
    ['an unknown escalation', '{"escalation":"explode"}', /MAINT_MESOS_POLICY: escalation:/],
    ['an unknown key', '{"autoup":true}', /MAINT_MESOS_POLICY: .*autoup/],
  ])('%s stops start-up, naming the variable', (_what, value, message) => {
    expect(() => loadConfig({ MAINT_MESOS_POLICY: value })).toThrow(message);
  });
});
