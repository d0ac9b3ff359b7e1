import { perKeyLimit } from '../../src/lib/per-key-limit';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A call that runs until released, recording how many of its key run at once. */
function gate() {
  const running = new Map<string, number>();
  const most = new Map<string, number>();
  const releases: (() => void)[] = [];
  const order: string[] = [];
  const call = (key: string, name: string) => async () => {
    order.push(name);
    running.set(key, (running.get(key) ?? 0) + 1);
    most.set(key, Math.max(most.get(key) ?? 0, running.get(key)!));
    await new Promise<void>((resolve) => releases.push(resolve));
    running.set(key, running.get(key)! - 1);
    return name;
  };
  return { call, most, releases, order };
}

test('at most `limit` calls of one key run at once; the rest start in arrival order as places free', async () => {
  const run = perKeyLimit(2);
  const g = gate();
  const results = ['a1', 'a2', 'a3', 'a4', 'a5'].map((name) => run('a', g.call('a', name)));
  await tick();
  expect(g.order).toEqual(['a1', 'a2']);
  while (g.releases.length > 0) {
    g.releases.shift()!();
    await tick();
    await tick();
  }
  expect(await Promise.all(results)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  expect(g.order).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  expect(g.most.get('a')).toBe(2);
});

test('keys do not wait for each other', async () => {
  const run = perKeyLimit(1);
  const g = gate();
  void run('a', g.call('a', 'a1'));
  void run('a', g.call('a', 'a2'));
  void run('b', g.call('b', 'b1'));
  await tick();
  expect(g.order).toEqual(['a1', 'b1']);
});

test('a failing call frees its place and its failure reaches its caller only', async () => {
  const run = perKeyLimit(1);
  const failing = run('a', () => Promise.reject(new Error('refused')));
  const next = run('a', () => Promise.resolve('next'));
  await expect(failing).rejects.toThrow('refused');
  await expect(next).resolves.toBe('next');
});
