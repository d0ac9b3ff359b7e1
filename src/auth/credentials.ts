// Mesos' credentials file ({"credentials":[{"principal","secret"}]}) and HTTP Basic authentication against it.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseJsonWith } from '../lib/json-file';

const CredentialsFile = z.object({
  credentials: z.array(z.object({ principal: z.string().min(1), secret: z.string() }).loose()).min(1),
});

export type Credentials = ReadonlyMap<string, string>;

/** Parses Mesos' credentials JSON; the error names the file and the problem, never a secret. */
export function parseCredentials(text: string, source = 'credentials'): Credentials {
  const file = parseJsonWith(CredentialsFile, text, source);
  return new Map(file.credentials.map((c) => [c.principal, c.secret]));
}

export function loadCredentials(file: string): Credentials {
  return parseCredentials(readFileSync(file, 'utf8'), file);
}

/**
 * The principal an `Authorization: Basic …` header proves, or undefined when the header is missing, malformed or
 * wrong. Secrets are compared in constant time.
 */
export function authenticate(credentials: Credentials, header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const principal = decoded.slice(0, colon);
  const expected = credentials.get(principal);
  if (expected === undefined) return undefined;
  const given = Buffer.from(decoded.slice(colon + 1));
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted) ? principal : undefined;
}
