// Reads shared by callers arriving together (src/lib/shared-reads.ts).
import { batchedWhileInFlight, sharedWhileInFlight } from '../../src/lib/shared-reads';

const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms));

test('sharedWhileInFlight: callers during a call share it; the first after it ends calls again', async () => {
  let calls = 0;
  const read = sharedWhileInFlight(async () => (await tick(), ++calls));
  expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
  expect(await read()).toBe(2);
});

test('sharedWhileInFlight: a failure fails the callers sharing it, not the next call', async () => {
  let fail = true;
  const read = sharedWhileInFlight(async () => {
    await tick();
    if (fail) throw new Error('down');
    return 'up';
  });
  await expect(Promise.all([read(), read()])).rejects.toThrow('down');
  fail = false;
  expect(await read()).toBe('up');
});

test('batchedWhileInFlight: one call at a time; callers meanwhile are called together after it, even if it failed', async () => {
  const calls: number[][] = [];
  const read = batchedWhileInFlight(async (keys: number[]) => {
    calls.push(keys);
    await tick();
    if (keys.includes(0)) throw new Error('key 0 fails');
    return keys.length;
  });
  const first = read([0]);
  const later = [read([1, 2]), read([3])];
  await expect(first).rejects.toThrow('key 0 fails');
  expect(await Promise.all(later)).toEqual([3, 3]);
  expect(calls).toEqual([[0], [1, 2, 3]]);
  expect(await read([4])).toBe(1); // after both ended: a call of its own
  expect(calls).toHaveLength(3);
});
