// Secrets that must pass through Temporal (a webhook's HMAC key) are sealed first: AES-256-GCM with maint's own key
// (MAINT_SECRET_KEY), so histories, queries and the Web UI only ever show ciphertext.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'sealed.v1.';

/** Reads MAINT_SECRET_KEY: 32 bytes as 64 hex digits or base64. Throws a message naming the variable. */
export function parseSecretKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('MAINT_SECRET_KEY must be 32 bytes: 64 hex digits or base64');
  return key;
}

export function newSecretKey(): string {
  return randomBytes(32).toString('hex');
}

export function seal(key: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
}

/** The secret, or an Error when it was sealed with another key or altered. */
export function unseal(key: Buffer, sealed: string): string {
  if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed secret');
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('the sealed secret does not open with MAINT_SECRET_KEY (sealed with another key?)');
  }
}
