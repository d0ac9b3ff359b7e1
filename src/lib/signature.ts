// Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>` with the secret the framework gave at subscription, as
// Stripe and GitHub sign theirs. maint signs (activities/webhook.ts); frameworks verify (src/scheduler-client).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Maint-Signature';
export const TIMESTAMP_HEADER = 'Maint-Timestamp';
/** Deliveries older (or newer) than this are refused, so a captured delivery cannot be replayed later. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
const SCHEME = 'v1';

export function signature(secret: string, timestamp: number, body: string): string {
  return `${SCHEME}=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The headers that sign one delivery of `body`, timestamped now (seconds since the epoch). */
export function signatureHeaders(secret: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signature(secret, timestamp, body) };
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks a delivery: both headers present, timestamp within the tolerance, and the signature over exactly the body
 * received (the raw text, before any JSON parsing). Header lookup is case-insensitive.
 */
export function verifySignature(
  secret: string,
  headers: Record<string, string | string[] | undefined> | Headers,
  body: string,
  options: { nowMs?: number; toleranceSeconds?: number } = {},
): Verdict {
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : headers[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const timestampText = get(TIMESTAMP_HEADER);
  const given = get(SIGNATURE_HEADER);
  if (!timestampText || !given) return { ok: false, reason: `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER}` };
  const timestamp = Number(timestampText);
  if (!Number.isInteger(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} is not a number of seconds` };
  const skew = Math.abs((options.nowMs ?? Date.now()) / 1000 - timestamp);
  if (skew > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is ${Math.round(skew)} s away from now` };
  }
  const expected = Buffer.from(signature(secret, timestamp, body));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return { ok: false, reason: 'signature does not match the body' };
  }
  return { ok: true };
}
