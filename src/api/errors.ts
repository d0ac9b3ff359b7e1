// One mapper from errors to HTTP: a 4xx JSON body that names the field, never a 500 for a bad request.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { ErrorCode, MaintError } from '../domain/errors';
import { loggableError } from '../logger';
import { toMaintError } from '../temporal/client';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: ErrorCode | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'METHOD_NOT_ALLOWED' | 'INTERNAL';
  message: string;
  field?: string;
  issues?: { field: string; message: string }[];
}

export function zodPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
}

export function errorBody(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({
      // An unknown key is named itself ("drainWIthin"), not the object around it.
      field: zodPath(i.code === 'unrecognized_keys' ? [...i.path, i.keys[0]] : i.path) || 'body',
      message: i.message,
    }));
    const first = issues[0];
    return {
      status: 400,
      body: { error: 'INVALID', message: `${first.field}: ${first.message}`, field: first.field, issues },
    };
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') {
    return { status: 400, body: { error: 'INVALID', message: `body: not valid JSON: ${e.message}`, field: 'body' } };
  }
  if (e?.type === 'entity.too.large') {
    const limit = typeof (e as { limit?: unknown }).limit === 'number' ? ` (${bytes((e as { limit: number }).limit)})` : '';
    const message = `body: larger than the API accepts${limit}; send less, e.g. fewer machines per request`;
    return { status: 413, body: { error: 'PAYLOAD_TOO_LARGE', message, field: 'body' } };
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    const message = `body: ${e.message ?? 'unsupported encoding'}`;
    return { status: 415, body: { error: 'UNSUPPORTED_MEDIA_TYPE', message, field: 'body' } };
  }
  // Anything else Express or body-parser refused as the client's fault (a path that is not valid percent-encoding,
  // a body whose gzip does not inflate) is a 400, never a 500.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const field = err instanceof URIError ? 'path' : 'body';
    return { status: 400, body: { error: 'INVALID', message: `${field}: ${e.message ?? 'malformed request'}`, field } };
  }
  const mapped = toMaintError(err);
  if (mapped instanceof MaintError) {
    const body: ErrorBody = { error: mapped.code, message: mapped.message };
    if (mapped.field) body.field = mapped.field;
    return { status: HTTP_STATUS[mapped.code], body };
  }
  return { status: 500, body: { error: 'INTERNAL', message: 'internal error; see the API log' } };
}

function bytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : `${n} bytes`;
}

/** How long a caller refused with 503 should wait before calling again. */
const RETRY_AFTER_SECONDS = 1;

export function jsonErrors(log: { error(obj: object, msg: string): void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, body } = errorBody(err);
    if (status >= 500) log.error({ err: loggableError(err), method: req.method, path: req.path }, 'request failed');
    // Busy or unreachable Temporal: the call may be made again, after a moment (the scheduler client honours it).
    if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(status).json(body);
  };
}

/** A body that is not JSON is refused as such, instead of reading as a missing body. */
export const jsonBodiesOnly: RequestHandler = (req, res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || req.is('application/json')) return next();
  res.status(415).json({
    error: 'UNSUPPORTED_MEDIA_TYPE',
    message: `body: send JSON with Content-Type: application/json, not ${req.headers['content-type'] ?? 'no content type'}`,
    field: 'body',
  });
};

/** For `router.route(path)....all(methodNotAllowed)`: a known path asked with another method. */
export const methodNotAllowed: RequestHandler = (req, res) => {
  const allowed = Object.keys((req.route as { methods: Record<string, boolean> }).methods)
    .filter((m) => m !== '_all')
    .map((m) => m.toUpperCase());
  res
    .status(405)
    .set('Allow', allowed.join(', '))
    .json({ error: 'METHOD_NOT_ALLOWED', message: `${req.method} ${req.path}: use ${allowed.join(' or ')}` });
};

export const unknownRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: ErrorCode.NOT_FOUND, message: `no route for ${req.method} ${req.path}` });
};
