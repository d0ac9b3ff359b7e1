import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Ports this process handed out: the kernel may give a port just closed again, and two roles must not share one. */
const handedOut = new Set<number>();

/**
 * A TCP port free right now on 127.0.0.1, and not one this process handed out before.
 *
 * Taken below the kernel's ephemeral range, where nothing is given a port unasked: a Temporal dev server takes
 * ephemeral ports for its own services (history, matching, membership) when it starts, and `maint up`'s simulator once
 * found the port it had been given taken that way (EADDRINUSE) between the test's choice and its listen. Each jest
 * worker takes from its own slice of that range, so two test files running at once do not choose the same port.
 */
export async function freePort(): Promise<number> {
  if (!slice) return anyFreePort();
  for (let tries = 0; tries < 200; tries++) {
    const port = slice.from + Math.floor(Math.random() * slice.size);
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  return anyFreePort();
}

/** First port below the ephemeral range that tests use, and how many slices it is cut into (jest workers, and one for the rest). */
const FIRST_PORT = 20_000;
const SLICES = 17;

/** This process's ports: its jest worker's slice (JEST_WORKER_ID 1..16), slice 0 outside jest; undefined off Linux. */
const slice = portSlice();

function portSlice(): { from: number; size: number } | undefined {
  let ephemeralFrom: number;
  try {
    ephemeralFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
  const size = Math.floor((ephemeralFrom - FIRST_PORT) / SLICES);
  if (!Number.isInteger(size) || size < 50) return undefined;
  const index = Number(process.env.JEST_WORKER_ID ?? 0) % SLICES;
  return { from: FIRST_PORT + index * size, size };
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function anyFreePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
