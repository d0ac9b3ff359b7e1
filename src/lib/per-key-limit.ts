// Calls that share a key run at most `limit` at a time; the rest wait their turn, in arrival order.

/** A runner: `run(key, call)` starts `call` once fewer than `limit` calls of `key` are running. */
export function perKeyLimit(limit: number): <T>(key: string, call: () => Promise<T>) => Promise<T> {
  const lanes = new Map<string, { running: number; waiting: (() => void)[] }>();
  return async (key, call) => {
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { running: 0, waiting: [] }));
    const own = lane;
    // A call that ends hands its place to the first waiting one, so `running` counts places taken.
    if (own.running < limit) own.running++;
    else await new Promise<void>((resolve) => own.waiting.push(resolve));
    try {
      return await call();
    } finally {
      const next = own.waiting.shift();
      if (next) next();
      else if (--own.running === 0) lanes.delete(key);
    }
  };
}
