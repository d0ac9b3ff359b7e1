// exploratory
import { Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ machines: 20, checkInterval: '1s', taskGrace: '500ms' });
}, 60_000);
afterAll(() => stack?.stop());

async function raw(method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${stack.apiUrl}${path}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text };
}

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });
const J = { 'Content-Type': 'application/json' };

test('explore', async () => {
  const post = (body: unknown) => raw('POST', '/api/v1/windows', { body: JSON.stringify(body), headers: J });
  const risky: unknown[] = [
    { machines: [{ hostname: 'h'.repeat(1100) }], drainWithin: '1h' },
    { machines: [{ hostname: 'h'.repeat(300) }], drainWithin: '1h' },
    { machines: [{ hostname: 'a"b' }], drainWithin: '1h' },
    { machines: [sim(18)], drainWithin: '1h', duration: '100000000d' },
    { machines: [sim(17)], drainWithin: '1h', policy: { maxGracePeriod: '100000000d' } },
    { machines: [sim(16)], start: '2000-01-01T00:00:00Z' },
    { machines: [sim(15)], drainWithin: '0s', duration: '0s' },
  ];
  let n = 10;
  for (const body of risky) {
    const t = Date.now();
    const r = await post(body);
    console.log('risky', JSON.stringify(body).slice(0, 100), r.status, r.text.slice(0, 400), Date.now() - t, 'ms');
    const ok = await post({ machines: [sim(n++)], drainWithin: '1h' });
    console.log('normal after', ok.status, ok.text.slice(0, 100));
    if (r.status === 201) {
      const id = JSON.parse(r.text).id;
      await new Promise((res) => setTimeout(res, 3000));
      const g = await raw('GET', `/api/v1/windows/${id}`);
      console.log('get', g.status, g.text.slice(0, 600));
    }
  }
  const r = await raw('GET', '/api/v1/windows');
  console.log(r.status, r.text.slice(0, 3000));
}, 120_000);
