// The Temporal Web UI shows maint's progress: Debian's Chromium (playwright-core, headless) opens the UI of this test's
// own dev server, filters the workflow list by maint's search attributes through the UI's query box, and finds the
// test's machine workflows, their summaries and current details, and the window's. Screenshots go to
// test-output/screenshots/ (ignored by git).
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { chromiumPath } from '../support/chromium';
import { freePort } from '../support/ports';
import { Stack } from '../support/stack';

const SCREENSHOTS = path.join(projectRoot(), 'test-output', 'screenshots');
const UI_TIMEOUT_MS = 30_000;

jest.setTimeout(240_000);

let server: DevServer;
let stack: Stack;
let browser: Browser;
let page: Page;

const sim = (n: number) => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });
const label = (n: number) => `${sim(n).hostname} (${sim(n).ip})`;

beforeAll(async () => {
  // Found first: without a Chromium the test fails at once, saying how to install one.
  const executablePath = chromiumPath();
  const dir = mkdtempSync(path.join(tmpdir(), 'maint-browser-'));
  process.env.MAINT_TEST_DIR = dir; // the stack's process logs
  server = await startDevServer({
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logFile: path.join(dir, 'temporal.log'),
  });
  stack = await Stack.start({ machines: 8, checkInterval: '1s', env: { TEMPORAL_ADDRESS: server.address } });
  browser = await chromium.launch({ executablePath, headless: true });
  page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
});

test('the UI filters by MaintenanceMode and shows the machines’ and the window’s summaries and current details', async () => {
  // Window 1: sim-03 and sim-06 host the silent framework, which never answers: both stay DRAINING for 30 minutes.
  const draining = await stack.api('POST', '/api/v1/windows', { machines: [sim(3), sim(6)], drainWithin: '30m', duration: '1h' });
  expect(draining.status).toBe(201);
  const windowId: string = draining.body.id;
  // Window 2: sim-02, cancelled at once: back UP. The DRAINING filter must leave it (and both windows) out.
  const other = await stack.api('POST', '/api/v1/windows', { machines: [sim(2)], drainWithin: '30m' });
  expect(other.status).toBe(201);
  await stack.eventually('sim-02 back UP after the cancel', async () => {
    const res = await stack.api('POST', `/api/v1/windows/${other.body.id}/cancel`);
    if (res.status !== 200 && res.status !== 409) throw new Error(`cancel answered ${res.status}: ${JSON.stringify(res.body)}`);
    const { body } = await stack.api('GET', `/api/v1/windows/${other.body.id}`);
    return body.machines[0].mode === 'UP' ? true : undefined;
  });
  // Window 3: sim-04 (mover and decliner) with a deadline in 3s: the decliner's task is killed by a hard drain (grace
  // at most 30s) and the machine is DOWN for an hour.
  const hard = await stack.api('POST', '/api/v1/windows', {
    machines: [sim(4)],
    drainWithin: '3s',
    duration: '1h',
    policy: { maxGracePeriod: '30s' },
  });
  expect(hard.status).toBe(201);
  await stack.eventually('sim-04 DOWN after its hard drain', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${hard.body.id}`);
    return body.machines[0].mode === 'DOWN' ? true : undefined;
  });
  // Both draining machines have looked at themselves and sent their inverse offers (the details table has rows).
  await stack.eventually('inverse offers out on sim-03 and sim-06', async () => {
    const { body } = await stack.api('GET', `/api/v1/windows/${windowId}`);
    return body.machines.every((m: any) => m.outstandingOffers.some((o: any) => o.frameworkId === 'silent')) ? true : undefined;
  });

  const instance = stack.env.MAINT_INSTANCE!;
  const machineWorkflowId = (n: number) => `${instance}/machine/h=${sim(n).hostname};i=${sim(n).ip}`;

  // ---- the list, filtered through the UI's query box --------------------------------------------------------------
  await page.goto(`${server.uiUrl}/namespaces/default/workflows`);
  await listedWorkflowIds(page); // the list has loaded (the window workflows at least)
  await filterBy(page, 'MaintenanceMode="DRAINING"');
  expect(new URL(page.url()).searchParams.get('query')).toBe('MaintenanceMode="DRAINING"');
  const drainingIds = await waitForList(page, [machineWorkflowId(3), machineWorkflowId(6)]);
  expect(drainingIds).not.toContain(machineWorkflowId(2)); // UP
  expect(drainingIds).not.toContain(machineWorkflowId(4)); // DOWN
  expect(drainingIds.some((id) => id.includes('/window/'))).toBe(false);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'list-draining.png') });

  // The same box with another value lists another set: the filter is applied, not ignored.
  await filterBy(page, 'MaintenanceMode="UP"');
  await waitForList(page, [machineWorkflowId(2)]);
  await filterBy(page, 'MaintenanceMode="DOWN"');
  await waitForList(page, [machineWorkflowId(4)]);
  await filterBy(page, `MaintenanceWindow="${windowId}"`);
  await waitForList(page, [machineWorkflowId(3), machineWorkflowId(6)]);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'list-window.png') });

  // ---- each draining machine: its summary and its current details -------------------------------------------------
  const listUrl = page.url();
  for (const n of [3, 6]) {
    await page.goto(listUrl);
    await page.getByRole('link', { name: machineWorkflowId(n), exact: true }).click();
    const { summary, details } = await userMetadata(page, (text) => text.includes('silent'));
    expect(summary).toMatch(new RegExp(`^${escape(label(n))}: drain by \\d{2}:\\d{2}(:\\d{2})? UTC, window ${windowId}$`));
    expect(details.text).toContain(`${label(n)} is DRAINING (draining) in window ${windowId}`);
    expect(details.text).toMatch(/Waiting on: .*deadline .*answers from .*silent/);
    expect(details.text).toMatch(/Deadline: \S+ · tasks remaining: \d+/);
    // The framework table, rendered as a table: a row for silent, which has not answered.
    expect(details.headers).toEqual(['framework', 'answer', 'at', 'tasks here', 'killed']);
    expect(details.rows).toContainEqual(['silent', 'no answer yet', '', '1', '0']);
    await page.screenshot({ path: path.join(SCREENSHOTS, `machine-${sim(n).hostname}.png`) });

    // Its history: the looks at the machine (activities) and the waits between them (timers) say what they are.
    const history = await eventHistory(page, [`look at ${label(n)} again in 1s`]);
    expect(history).toContain(`look at ${label(n)} (draining): tasks and answers`);
  }

  // ---- the machine drained hard: the hard drain's summary says how many tasks it killed, and the grace ------------
  await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(machineWorkflowId(4))}`);
  const history = await eventHistory(page, ['hard drain']);
  expect(history).toMatch(new RegExp(`hard drain ${escape(label(4))}: kill [12] tasks?, grace ≤ 30s`));
  expect(history).toMatch(new RegExp(`bring ${escape(label(4))} up at \\d{2}:\\d{2}(:\\d{2})? UTC \\(end of its unavailability\\)`));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'history-hard-drain.png') });

  // ---- the window: its summary and the table of its machines ------------------------------------------------------
  await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`${instance}/window/${windowId}`)}`);
  const win = await userMetadata(page, (text) => text.includes('sim-06'));
  expect(win.summary).toMatch(new RegExp(`^window ${windowId}: 2 machines, drain by \\d{2}:\\d{2}(:\\d{2})? UTC, down for 1h$`));
  expect(win.details.text).toContain(`window ${windowId} is ACTIVE: 2 machines, 2 DRAINING, 0 DOWN, 0 UP`);
  expect(win.details.headers).toEqual(['machine', 'mode', 'phase', 'tasks remaining', 'deadline', 'waiting on']);
  expect(win.details.rows.map((r) => r.slice(0, 3))).toEqual([
    [label(3), 'DRAINING', 'draining'],
    [label(6), 'DRAINING', 'draining'],
  ]);
  await page.screenshot({ path: path.join(SCREENSHOTS, `window-${windowId}.png`) });
});

/** Opens the workflow's "Event History" tab and returns its text once it shows every one of `expected`. */
async function eventHistory(page: Page, expected: string[]): Promise<string> {
  await page.getByRole('tab', { name: /Event History/ }).or(page.getByRole('link', { name: /Event History/ })).first().click();
  let text = '';
  await waitFor(async () => {
    text = await page.locator('main').innerText();
    return expected.every((e) => text.includes(e));
  }, `the event history to show ${expected.join(', ')}`);
  return text;
}

/** Enters a query in the list's query box (the "</>" toggle opens it) and runs it. */
async function filterBy(page: Page, query: string): Promise<void> {
  const box = page.getByTestId('workflow-manual-search-input');
  if (!(await box.isVisible())) await page.getByTestId('toggle-manual-query').click();
  await box.fill(query);
  await box.press('Enter');
  await waitFor(() => new URL(page.url()).searchParams.get('query') === query, `the list's URL to carry ${query}`);
}

/** The workflow IDs the list shows now. */
async function listedWorkflowIds(page: Page): Promise<string[]> {
  await page.locator('table').first().waitFor();
  return page
    .locator('table tbody tr a[href*="/workflows/"]')
    .evaluateAll((links) => [...new Set(links.map((a) => decodeURIComponent(a.getAttribute('href')!.split('/workflows/')[1].split('/')[0])))]);
}

/** Waits until the list shows exactly these workflows (visibility lags a little), refreshing as a user would. */
async function waitForList(page: Page, expected: string[]): Promise<string[]> {
  let seen: string[] = [];
  await waitFor(async () => {
    seen = (await listedWorkflowIds(page)).sort();
    if (JSON.stringify(seen) === JSON.stringify([...expected].sort())) return true;
    await page.getByRole('button', { name: 'Refresh' }).first().click();
    return false;
  }, `the list to show exactly ${expected.join(', ')}`, () => `it shows ${JSON.stringify(seen)}`);
  return seen;
}

interface RenderedDetails {
  text: string;
  headers: string[];
  rows: string[][];
}

/**
 * Opens the workflow's "User Metadata" tab and reads its summary and current details (the UI renders both as markdown
 * in frames). The current details come from the running workflow through the worker; `ready` says they have arrived.
 */
async function userMetadata(page: Page, ready: (details: string) => boolean): Promise<{ summary: string; details: RenderedDetails }> {
  await page.getByRole('tab', { name: 'User Metadata' }).or(page.getByRole('link', { name: 'User Metadata' })).first().click();
  const summary = page.frameLocator('#user-metadata-summary').locator('body');
  const details = page.frameLocator('#user-metadata-current-details').locator('body');
  let text = '';
  await waitFor(async () => {
    text = (await details.innerText().catch(() => '')).trim();
    if (ready(text)) return true;
    await page.keyboard.press('r'); // the UI's "press R for freshness"
    await page.waitForTimeout(500);
    return false;
  }, 'the current details', () => `they read ${JSON.stringify(text)}`);
  const table = details.locator('table').first();
  const headers = (await table.locator('thead th').allInnerTexts()).map((t) => t.trim());
  const rows = await table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
  return { summary: (await summary.innerText()).trim(), details: { text: text.replace(/\*\*/g, ''), headers, rows } };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, last: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last() ? `: ${last()}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
