// The framework directory activities use: subscriptions for webhooks (cached), and the frameworks with a budget for a
// machine's look (cached, shared while being read, and never a long wait on a busy server).
import type { FrameworkSubscription } from '../../src/domain/framework';
import { frameworkDirectory, type FrameworkService } from '../../src/service/frameworks';

/** A registry whose budgeted() answers what `answer` gives, counting calls. */
function registry(answer: () => Promise<string[]>, subscriptions: FrameworkSubscription[] = []) {
  const calls = { budgeted: 0, list: 0 };
  const service = {
    budgeted: () => (calls.budgeted++, answer()),
    list: async () => (calls.list++, subscriptions),
  } as unknown as FrameworkService;
  return { service, calls };
}

test('withBudgets names the frameworks subscribed with a budget', async () => {
  const { service } = registry(async () => ['batch', 'db']);
  expect([...(await frameworkDirectory(service).withBudgets())!]).toEqual(['batch', 'db']);
});

test('looks at the same moment share one read; a later look reads again (a budget declared meanwhile counts)', async () => {
  let budgeted = ['db'];
  const { service, calls } = registry(async () => budgeted);
  const directory = frameworkDirectory(service, 60_000);
  const answers = await Promise.all([directory.withBudgets(), directory.withBudgets(), directory.withBudgets()]);
  expect(answers.map((a) => [...a!])).toEqual([['db'], ['db'], ['db']]);
  expect(calls.budgeted).toBe(1);
  budgeted = ['db', 'ext-budget']; // a framework subscribed with a budget
  expect([...(await directory.withBudgets())!]).toEqual(['db', 'ext-budget']);
  expect(calls.budgeted).toBe(2);
  expect(calls.list).toBe(0); // webhooks' subscriptions are another read
});

test('a server that does not answer in time, or fails, gives "cannot tell", never a slow look', async () => {
  const slow = registry(() => new Promise<string[]>(() => undefined));
  const started = Date.now();
  expect(await frameworkDirectory(slow.service, 2_000, 50).withBudgets()).toBeUndefined();
  expect(Date.now() - started).toBeLessThan(1_000);
  const failing = registry(async () => {
    throw new Error('registry unavailable');
  });
  expect(await frameworkDirectory(failing.service).withBudgets()).toBeUndefined();
});

test('lookup finds a subscription for its webhook, and asks again for one it does not know', async () => {
  const mover: FrameworkSubscription = { frameworkId: 'mover', name: 'mover', subscribedAtMs: 0 };
  const { service, calls } = registry(async () => [], [mover]);
  const directory = frameworkDirectory(service, 60_000);
  expect(await directory.lookup('mover')).toEqual(mover);
  expect(await directory.lookup('mover')).toEqual(mover);
  expect(calls.list).toBe(1);
  expect(await directory.lookup('newcomer')).toBeUndefined();
  expect(calls.list).toBe(2);
});

test('lookups arriving together while the subscriptions are read share one read', async () => {
  const mover: FrameworkSubscription = { frameworkId: 'mover', name: 'mover', subscribedAtMs: 0 };
  const { service, calls } = registry(async () => [], [mover]);
  const directory = frameworkDirectory(service, 60_000);
  const found = await Promise.all([directory.lookup('mover'), directory.lookup('mover'), directory.lookup('other')]);
  expect(found).toEqual([mover, mover, undefined]);
  expect(calls.list).toBe(1);
});
