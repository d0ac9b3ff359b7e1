// A worker's own small HTTP server (METRICS_HOST:METRICS_PORT): GET /metrics for Prometheus, GET /healthz for a
// container's health check (200 only while the Temporal Worker is RUNNING, so a worker that stopped polling is
// restarted). node:http rather than Express: two read-only routes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface WorkerServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** The Worker's state (Worker.getState()): INITIALIZED, RUNNING, DRAINING, STOPPED, FAILED, ... */
  state: () => string;
}

export interface WorkerServer {
  url: string;
  close(): Promise<void>;
}

export async function serveWorkerMetrics(options: WorkerServerOptions): Promise<WorkerServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json' }).end(
        JSON.stringify({ error: 'METHOD_NOT_ALLOWED', message: `${req.method} ${path}: use GET` }),
      );
      return;
    }
    if (path === '/healthz') {
      const state = options.state();
      const ok = state === 'RUNNING';
      res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(ok ? { ok, state } : { ok, state, message: `the worker is ${state}, not RUNNING` }));
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': options.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics failed: ${err.message}`),
      );
      return;
    }
    res
      .writeHead(404, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ error: 'NOT_FOUND', message: `${path}: a worker serves /metrics and /healthz` }));
  });
  await listen(server, options.host, options.port);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? `${host}:${port} is in use (another worker on this machine?): set METRICS_PORT to a free port, or 0 to serve no metrics`
          : `cannot listen on ${host}:${port}: ${err.message} (METRICS_HOST, METRICS_PORT)`;
      reject(new Error(why));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
