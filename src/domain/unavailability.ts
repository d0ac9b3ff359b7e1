// An unavailability in both of its units: epoch milliseconds for timers, Mesos' int64 nanoseconds for the wire.
// Pure: workflows import it.
import { msToNanos, nanosToMs } from './time';
import type { Unavailability } from './window';

export interface NanoUnavailability {
  start: bigint;
  duration?: bigint;
}

/** Exactly what was posted when it came from Mesos; otherwise the milliseconds, scaled. */
export function toNanos(u: Unavailability): NanoUnavailability {
  if (u.exact) {
    const start = BigInt(u.exact.startNs);
    return u.exact.durationNs === undefined ? { start } : { start, duration: BigInt(u.exact.durationNs) };
  }
  return u.durationMs === undefined ? { start: msToNanos(u.startMs) } : { start: msToNanos(u.startMs), duration: msToNanos(u.durationMs) };
}

/** A Mesos unavailability for maint's timers, keeping the exact nanoseconds beside them. */
export function fromNanos(n: NanoUnavailability): Unavailability {
  const startMs = nanosToMs(n.start);
  if (n.duration === undefined) return { startMs, exact: { startNs: n.start.toString() } };
  // The end rounds up: a machine never comes back before the posted end.
  const endMs = -nanosToMs(-(n.start + n.duration));
  const durationMs = endMs - startMs;
  return { startMs, durationMs, exact: { startNs: n.start.toString(), durationNs: n.duration.toString() } };
}

/** Moved to a new start, keeping its duration (an extension); the exact form follows. */
export function withStart(u: Unavailability, startMs: number): Unavailability {
  const moved: Unavailability = { ...u, startMs };
  if (u.exact) {
    const delta = msToNanos(startMs - u.startMs);
    moved.exact = { ...u.exact, startNs: (BigInt(u.exact.startNs) + delta).toString() };
  }
  return moved;
}
