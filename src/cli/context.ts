// What every verb gets: a client of the API built from the global options, the output format and where to write.
// Credentials are the principal/secret pairs of the API's MAINT_CREDENTIALS file; the secret never reaches output.
import { readFileSync } from 'node:fs';
import { parseDuration } from '../domain/time';
import { MaintClient, type Credentials } from './client';
import { UsageError } from './errors';
import type { Format, Style } from './render';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The global flags as commander gives them; unset ones fall back to the environment. */
export interface GlobalOptions {
  url?: string;
  principal?: string;
  secretFile?: string;
  output: Format;
  color: boolean;
  timeout: string;
}

/** Where output goes; a test gives its own. */
export interface Io {
  write(text: string): void;
  error(text: string): void;
  isTTY: boolean;
  columns?: number;
}

export interface Context {
  client: MaintClient;
  format: Format;
  style: Style;
  io: Io;
  now(): number;
  /** Aborted by Ctrl-C, from the first call on (a --watch stops and exits 130); before it, Ctrl-C ends the process. */
  interrupts(): AbortSignal;
}

export function processIo(): Io {
  return {
    write: (text) => void process.stdout.write(text),
    error: (text) => void process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns,
  };
}

export function makeContext(opts: GlobalOptions, env: NodeJS.ProcessEnv, io: Io, interrupts: () => AbortSignal): Context {
  const given = opts.url ?? (env.MAINT_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`--url: "${given}" is not a URL; give maint's API like ${DEFAULT_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url: use http:// or https://, not ${url.protocol}`);
  const timeoutMs = parseDuration(opts.timeout);
  if (!timeoutMs) throw new UsageError(`--timeout: "${opts.timeout}" is not a duration above 0 (10s, 1m)`);
  const credentials = credentialsFrom(opts, env);
  return {
    client: new MaintClient({ url: given, timeoutMs, ...(credentials ? { credentials } : {}) }),
    format: opts.output,
    style: { color: opts.color && io.isTTY && !env.NO_COLOR },
    io,
    now: () => Date.now(),
    interrupts,
  };
}

function credentialsFrom(opts: GlobalOptions, env: NodeJS.ProcessEnv): Credentials | undefined {
  let secret: string | undefined;
  const secretFile = opts.secretFile ?? (env.MAINT_SECRET_FILE || undefined);
  if (secretFile !== undefined) {
    try {
      // One line, as `echo secret > file` writes it: the trailing newline is not part of the secret.
      secret = readFileSync(secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new UsageError(`--secret-file: cannot read ${secretFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (env.MAINT_SECRET !== undefined && env.MAINT_SECRET !== '') {
    secret = env.MAINT_SECRET;
  }
  const principal = opts.principal || env.MAINT_PRINCIPAL || undefined;
  if (principal === undefined && secret === undefined) return undefined;
  if (principal === undefined) throw new UsageError('a secret was given without a principal: add --principal (or MAINT_PRINCIPAL)');
  if (secret === undefined) {
    throw new UsageError(`principal ${principal} was given without a secret: add --secret-file (or MAINT_SECRET_FILE, or MAINT_SECRET)`);
  }
  return { principal, secret };
}
