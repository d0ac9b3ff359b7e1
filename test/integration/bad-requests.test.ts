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
  const a = await post({ machines: [sim(5)], drainWithin: '1s', duration: '100000000d' });
  console.log('a', a.status, a.text.slice(0, 200));
  const b = await post({ machines: [sim(6)], drainWithin: '1h' });
  console.log('b', b.status, b.text.slice(0, 200));
  const bid = JSON.parse(b.text).id;
  const e = await raw('POST', `/api/v1/windows/${bid}/extend`, { body: JSON.stringify({ by: '100000000d' }), headers: J });
  console.log('extend', e.status, e.text.slice(0, 300));
  await new Promise((res) => setTimeout(res, 5000));
  for (const p of [`/api/v1/windows/${JSON.parse(a.text).id}`, '/api/v1/machines/sim-05', `/api/v1/windows/${bid}`, '/api/v1/machines/sim-06']) {
    const g = await raw('GET', p);
    console.log(p, g.status, g.text.slice(0, 300));
  }
  const e2 = await raw('POST', `/api/v1/windows/${bid}/extend`, { body: JSON.stringify({ by: '1h' }), headers: J });
  console.log('extend2', e2.status, e2.text.slice(0, 300));
  const c = await raw('POST', `/api/v1/windows/${bid}/cancel`);
  console.log('cancel', c.status, c.text.slice(0, 300));
}, 120_000);
