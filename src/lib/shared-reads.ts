// Reads that callers arriving together share, so that a burst of them is one call to a busy server, not one each.

/** `read`, shared by every caller that arrives while a call is in flight; the first caller after it ends reads again. */
export function sharedWhileInFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () =>
    (inFlight ??= read().finally(() => {
      inFlight = undefined;
    }));
}

/**
 * `read` of some keys, one call at a time: callers arriving while a call is in flight wait for it to end, then are read
 * together, in one call with all their keys; each picks its own out of the answer. Unlike sharing the call in flight,
 * no caller gets an answer to keys other than its own and those of the callers read with it, so the answer stays as
 * small as the keys asked (a read of everything can exceed what the server may answer).
 */
export function batchedWhileInFlight<K, T>(read: (keys: K[]) => Promise<T>): (keys: readonly K[]) => Promise<T> {
  let inFlight: Promise<T> | undefined;
  let next: { keys: K[]; result: Promise<T> } | undefined;
  const run = (keys: K[]): Promise<T> => {
    const result = read(keys);
    inFlight = result;
    const done = () => {
      if (inFlight === result) inFlight = undefined;
    };
    result.then(done, done);
    return result;
  };
  return (keys) => {
    if (!inFlight) return run([...keys]);
    if (!next) {
      const batch: { keys: K[]; result?: Promise<T> } = { keys: [] };
      const ended = inFlight.then(
        () => undefined,
        () => undefined,
      );
      batch.result = ended.then(() => {
        next = undefined;
        return run(batch.keys);
      });
      next = batch as { keys: K[]; result: Promise<T> };
    }
    next.keys.push(...keys);
    return next.result;
  };
}
