// The framework directory activities use (webhooks for notices, budgets for looks): one cached list, shared refreshes,
// and a budget answer that never waits long on a busy registry.
import type { FrameworkSubscription } from '../../src/domain/framework';
import { frameworkDirectory, type FrameworkService } from '../../src/service/frameworks';

const sub = (frameworkId: string, budget?: FrameworkSubscription['budget']): FrameworkSubscription => ({
  frameworkId,
  name: frameworkId,
  subscribedAtMs: 0,
  ...(budget ? { budget } : {}),
});

/** A registry whose list() answers what `answer` gives, counting calls. */
function registry(answer: () => Promise<FrameworkSubscription[]>) {
  const calls = { n: 0 };
  const service = { list: () => (calls.n++, answer()) } as unknown as FrameworkService;
  return { service, calls };
}

test('withBudgets names the frameworks subscribed with a budget', async () => {
  const { service } = registry(async () => [sub('mover'), sub('db', { maxMachinesDown: 1 }), sub('batch', { maxTasksKilled: 3 })]);
  expect([...(await frameworkDirectory(service).withBudgets())!].sort()).toEqual(['batch', 'db']);
});

test('one list serves lookups and budgets within the cache time, and callers during a refresh share it', async () => {
  const { service, calls } = registry(async () => [sub('mover'), sub('db', { maxMachinesDown: 1 })]);
  const directory = frameworkDirectory(service, 60_000);
  const [budgets, mover] = await Promise.all([directory.withBudgets(), directory.lookup('mover'), directory.lookup('db')]);
  expect(calls.n).toBe(1);
  expect([...budgets!]).toEqual(['db']);
  expect(mover?.frameworkId).toBe('mover');
  await directory.withBudgets();
  expect(calls.n).toBe(1);
});

test('a registry that does not answer in time, or fails, gives "cannot tell", never a slow look', async () => {
  const slow = registry(() => new Promise<FrameworkSubscription[]>(() => undefined));
  const started = Date.now();
  expect(await frameworkDirectory(slow.service, 2_000, 50).withBudgets()).toBeUndefined();
  expect(Date.now() - started).toBeLessThan(1_000);
  const failing = registry(async () => {
    throw new Error('registry unavailable');
  });
  expect(await frameworkDirectory(failing.service).withBudgets()).toBeUndefined();
  // A lookup for a webhook still reports the failure (the notice activity retries).
  await expect(frameworkDirectory(failing.service).lookup('mover')).rejects.toThrow('registry unavailable');
});
