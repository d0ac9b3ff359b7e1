// The HTTP client of maint's API, as the CLI uses it: HTTP Basic credentials as the API's MAINT_CREDENTIALS file
// knows them, lossless JSON both ways (Mesos' int64 nanoseconds stay exact), and errors that carry the API's words.
import { parseJson, stringifyJson } from '../lib/json';

export interface Credentials {
  principal: string;
  secret: string;
}

export interface ClientOptions {
  url: string;
  credentials?: Credentials;
  timeoutMs: number;
}

/** The API answered with an error status; `message` and `field` are the API's own. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** No answer at all: connection refused, DNS, TLS, or the timeout. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(reason);
  }
}

export type Body = { json: unknown } | { text: string };

export class MaintClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /** A JSON request; the answer parsed losslessly (undefined for an empty body, as Mesos' POSTs answer). */
  async call(method: 'GET' | 'POST', path: string, body?: Body): Promise<unknown> {
    const text = await this.send(method, path, body);
    if (!text) return undefined;
    try {
      return parseJson(text);
    } catch {
      throw new ApiError(200, `${method} ${path} answered something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** The answer's body exactly as sent, for callers that pass it on unchanged. */
  async text(method: 'GET' | 'POST', path: string, body?: Body): Promise<string> {
    return this.send(method, path, body);
  }

  private async send(method: string, path: string, body?: Body): Promise<string> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.options.credentials) {
      const { principal, secret } = this.options.credentials;
      headers.Authorization = `Basic ${Buffer.from(`${principal}:${secret}`).toString('base64')}`;
    }
    let payload: string | undefined;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = 'text' in body ? body.text : stringifyJson(body.json);
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new UnreachableError(this.base, reason(err, this.options.timeoutMs));
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new UnreachableError(this.base, reason(err, this.options.timeoutMs));
    }
    if (!res.ok) throw errorFrom(res.status, text);
    return text;
  }
}

/** The native API answers `{"error","message","field"}`; the Mesos endpoints plain text (a 403 with none). */
function errorFrom(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { message?: unknown; field?: unknown };
    if (typeof body?.message === 'string') {
      return new ApiError(status, body.message, typeof body.field === 'string' ? body.field : undefined);
    }
  } catch {
    // not JSON: Mesos' plain-text errors
  }
  // Mesos answers a 403 with no body at all: the caller says what it means.
  return new ApiError(status, text.trim());
}

function reason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000}s`;
  const cause = e?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? e?.message ?? String(err);
}
