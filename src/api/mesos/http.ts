// Mesos' HTTP conventions, for the Mesos-compatible endpoints: errors are plain text with Mesos' exact words,
// successful POSTs answer 200 with an empty body, a wrong method gets libprocess' 405.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import express from 'express';
import { ErrorCode, MaintError } from '../../domain/errors';
import { sendJson as sendJsonWithStatus } from '../../lib/json-response';
import { loggableError } from '../../logger';
import { toMaintError } from '../../temporal/client';

/** The largest body the Mesos endpoints read (Mesos has no limit; a schedule of 10,000 machines is about 0.6 MB). */
export const MESOS_BODY_LIMIT = 64 * 1024 * 1024;

/**
 * Bodies are read as bytes whatever their Content-Type and charset (Mesos parses them itself), so int64 stays exact,
 * and decoded as UTF-8 with a byte order mark kept: picojson refuses one, and so must maint.
 */
export const rawBody = express.raw({ type: () => true, limit: MESOS_BODY_LIMIT });
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export function bodyText(body: unknown): string {
  return Buffer.isBuffer(body) ? utf8.decode(body) : '';
}

/** A Mesos error: `status` with `text` as a plain-text body (403 has none, as in Mesos). */
export class MesosError extends Error {
  constructor(
    readonly status: number,
    text: string,
  ) {
    super(text);
  }
}

export const badRequest = (text: string) => new MesosError(400, text);

export function sendJson(res: Response, value: unknown): void {
  sendJsonWithStatus(res, 200, value);
}

export function sendOk(res: Response): void {
  res.status(200).end();
}

/** libprocess' MethodNotAllowed. */
export function onlyMethods(...methods: string[]): RequestHandler {
  return (req, res, next) => {
    if (methods.includes(req.method) || (req.method === 'HEAD' && methods.includes('GET'))) return next();
    res
      .status(405)
      .set('Allow', methods.join(', '))
      .type('text/plain')
      .send(`Expecting one of { ${methods.map((m) => `'${m}'`).join(', ')} }, but received '${req.method}'`);
  };
}

const STATUS: Record<ErrorCode, number> = { INVALID: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, UNAVAILABLE: 503 };

/** Errors on the Mesos endpoints, in Mesos' form. */
export function mesosErrors(log: { error(obj: object, msg: string): void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof MesosError) return void reply(res, err.status, err.message);
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.too.large') {
      return void reply(res, 413, `Request body is larger than the ${MESOS_BODY_LIMIT / 1024 / 1024} MiB maint accepts`);
    }
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return void reply(res, 400, e.message ?? 'Bad request');
    const mapped = toMaintError(err);
    if (mapped instanceof MaintError) return void reply(res, STATUS[mapped.code], mapped.code === ErrorCode.FORBIDDEN ? '' : mapped.message);
    log.error({ err: loggableError(err), method: req.method, path: req.path }, 'request failed');
    reply(res, 500, 'Internal error; see the API log');
  };
}

function reply(res: Response, status: number, text: string): void {
  res.status(status);
  if (text) res.type('text/plain').send(text);
  else res.end();
}
