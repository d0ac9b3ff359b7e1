// Tests' ports come from below the kernel's ephemeral range (test/support/ports.ts): a dev server's own services take
// ephemeral ports when it starts, and once took one a test had chosen for `maint up`'s simulator.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '../support/ports';

test('free ports are below the ephemeral range, each handed out once, and free', async () => {
  const ephemeralFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports: number[] = [];
  for (let i = 0; i < 30; i++) ports.push(await freePort());
  expect(new Set(ports).size).toBe(ports.length);
  for (const port of ports) expect(port).toBeLessThan(ephemeralFrom);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
  await new Promise((resolve) => server.close(resolve));
});
