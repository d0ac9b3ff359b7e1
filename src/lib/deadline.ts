// Reads that answer by a deadline: what has not come by then is answered another way, by the caller.

/**
 * `read`'s value, or undefined if it has not settled by `atMs`. A failure before then is thrown; one after it is
 * ignored, as is a late value (the caller has answered without it).
 */
export function byDeadline<T>(read: Promise<T>, atMs: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    // No deadline (Infinity): the read's own outcome, whenever it comes.
    const timer = Number.isFinite(atMs) ? setTimeout(() => resolve(undefined), Math.max(0, atMs - Date.now())) : undefined;
    timer?.unref();
    read.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
