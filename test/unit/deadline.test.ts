import { byDeadline } from '../../src/lib/deadline';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const failAfter = (ms: number) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late failure')), ms));

test('a read that answers before the deadline gives its value', async () => {
  await expect(byDeadline(after(5, 'fresh'), Date.now() + 200)).resolves.toBe('fresh');
});

test('a read still out at the deadline gives undefined, at the deadline, not when it answers', async () => {
  const started = Date.now();
  await expect(byDeadline(after(500, 'late'), Date.now() + 30)).resolves.toBeUndefined();
  expect(Date.now() - started).toBeLessThan(400);
});

test('a failure before the deadline is thrown; one after it is ignored (no unhandled rejection)', async () => {
  await expect(byDeadline(failAfter(5), Date.now() + 200)).rejects.toThrow('late failure');
  const unhandled = jest.fn();
  process.on('unhandledRejection', unhandled);
  try {
    await expect(byDeadline(failAfter(50), Date.now() + 5)).resolves.toBeUndefined();
    await after(100, undefined);
    expect(unhandled).not.toHaveBeenCalled();
  } finally {
    process.off('unhandledRejection', unhandled);
  }
});

test('a deadline already past answers undefined for a read not yet settled', async () => {
  await expect(byDeadline(after(50, 'x'), Date.now() - 1)).resolves.toBeUndefined();
});

test('no deadline (Infinity): the read is waited for, however long it takes', async () => {
  await expect(byDeadline(after(60, 'late but wanted'), Infinity)).resolves.toBe('late but wanted');
});
