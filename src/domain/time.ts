// Durations and Mesos time. Pure: workflows import it.
//
// Inside maint, instants and durations are milliseconds (what Temporal timers take). Mesos speaks int64 nanoseconds,
// which exceed 2^53: they are carried as BigInt at the edges and never pass through a float.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration maint takes: a century. Past it instants stop being dates (JavaScript ends at year 275760). */
export const MAX_DURATION_MS = 36_500 * UNIT_MS.d;

/** True for an epoch-millisecond instant a JavaScript Date can represent. */
export function isRepresentableInstant(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

/**
 * Parses an operator duration: Go style with whole units, compounds allowed ("90s", "30m", "1h30m", "2d", "500ms").
 * Returns milliseconds, or undefined when the text is not a duration. Kept strict on purpose: "1.5h" or "1 hour"
 * would be guesses, and a guessed maintenance window is worse than a 400.
 */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit];
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The shortest Go-style text of a duration in milliseconds: 5_400_000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.abs(ms);
  let out = ms < 0 ? '-' : '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/**
 * A duration as an operator reads it in a summary: at most two units, whole seconds once it is a second or more
 * ("30s", "5m", "1h30m", "1d2h", "250ms"). Rounded down: "look again in 9s" is never later than said.
 */
export function formatDurationShort(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < UNIT_MS.s) return formatDuration(ms);
  let rest = Math.floor(abs / UNIT_MS.s) * UNIT_MS.s;
  let out = ms < 0 ? '-' : '';
  let units = 0;
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNIT_MS[unit];
    if (rest >= size && units < 2) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
      units++;
    } else if (units > 0) {
      units = 2; // "1h5s" would skip a unit: stop at the first gap
    }
  }
  return out;
}

/**
 * An instant in a one-line summary: "14:00 UTC", with seconds when it has some ("14:00:30 UTC"), and the date when
 * it is not on `nowMs`'s UTC day ("2026-11-27 14:00 UTC").
 */
export function formatUtcClock(ms: number, nowMs: number): string {
  const iso = new Date(ms).toISOString();
  const clock = iso.slice(17, 19) === '00' ? iso.slice(11, 16) : iso.slice(11, 19);
  const day = iso.slice(0, 10);
  return day === new Date(nowMs).toISOString().slice(0, 10) ? `${clock} UTC` : `${day} ${clock} UTC`;
}

export const INT64_MAX = 9_223_372_036_854_775_807n;
export const INT64_MIN = -9_223_372_036_854_775_808n;
const NANOS_PER_MS = 1_000_000n;

/** Mesos int64 nanoseconds from a JSON number (already lossless), a numeric string, or a BigInt. */
export function parseNanos(value: unknown): bigint | undefined {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = BigInt(value.trim());
  else return undefined;
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

/** Milliseconds to nanoseconds, exactly. */
export function msToNanos(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * NANOS_PER_MS;
}

/** Nanoseconds to whole milliseconds, rounding toward negative infinity (a start never moves later). */
export function nanosToMs(nanos: bigint): number {
  let q = nanos / NANOS_PER_MS;
  if (nanos % NANOS_PER_MS < 0n) q -= 1n;
  return Number(q);
}
