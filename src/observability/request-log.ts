// One log line per API request: request id (X-Request-Id honoured when it looks like one, else made, and returned),
// method, path, status, duration, principal, and the window, machine or framework the route names. Never headers or bodies:
// they carry credentials (Authorization) and webhook secrets.
import { randomUUID } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** A caller's id is kept when it is short and plain (it goes into logs and a response header as is). */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Probes and scrapes come every few seconds: logged at debug only. */
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

export interface RequestLogOptions {
  logger: Logger;
  /** The authenticated principal, known once authentication ran (undefined when it is off or failed). */
  principal: (req: Request) => string | undefined;
}

const REQUEST_ID = Symbol('requestId');

/** The request's id, as the middleware set it (for other log lines about the same request). */
export function requestIdOf(req: Request): string | undefined {
  return (req as Request & { [REQUEST_ID]?: string })[REQUEST_ID];
}

export function requestLog({ logger, principal }: RequestLogOptions): RequestHandler {
  return (req, res, next) => {
    const given = req.get(REQUEST_ID_HEADER);
    const reqId = given !== undefined && ACCEPTABLE_ID.test(given) ? given : randomUUID();
    (req as Request & { [REQUEST_ID]?: string })[REQUEST_ID] = reqId;
    res.setHeader(REQUEST_ID_HEADER, reqId);
    const started = process.hrtime.bigint();
    let logged = false;
    const done = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      const path = req.originalUrl.split('?')[0];
      const who = principal(req);
      const line = {
        reqId,
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(who === undefined ? {} : { principal: who }),
        ...subjectOf(path, res.getHeader('Location')),
        ...(aborted ? { aborted: true } : {}),
      };
      const level = QUIET_PATHS.has(path) ? 'debug' : res.statusCode >= 500 ? 'warn' : 'info';
      logger[level](line, 'request');
    };
    res.once('finish', () => done(false));
    res.once('close', () => done(!res.writableFinished));
    next();
  };
}

/** The window, machine or framework a path (or, for a created window, its Location) names. */
export function subjectOf(path: string, location?: unknown): { windowId?: string; machine?: MachineRef; frameworkId?: string } {
  const window = /^\/api\/v1\/windows\/([^/]+)/.exec(path) ?? (typeof location === 'string' ? /^\/api\/v1\/windows\/([^/]+)$/.exec(location) : null);
  if (window) return { windowId: decode(window[1]) };
  const machine = /^\/api\/v1\/machines\/([^/]+)/.exec(path);
  if (machine) {
    // The same shape as a MachineId elsewhere in the logs, so that log stores index one type under `machine`.
    const name = decode(machine[1]);
    return { machine: isIPv4(name) ? { ip: name } : { hostname: name } };
  }
  const framework = /^\/api\/v1\/scheduler\/frameworks\/([^/]+)/.exec(path);
  if (framework) return { frameworkId: decode(framework[1]) };
  return {};
}

type MachineRef = { hostname: string } | { ip: string };

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
