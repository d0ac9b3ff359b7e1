// What must hold after a chaos run, as pure functions over what the run read from maint's API, the simulator and
// Temporal's visibility. Each gives a verdict and the numbers behind it, printed as one line.

export interface Verdict {
  name: string;
  ok: boolean;
  numbers: string;
  /** The first few offending items, for the failure message. */
  problems: string[];
}

/** A window as created by the run: what its policy implies at the end. */
export interface WindowPlan {
  id: string;
  autoUp: boolean;
}

export interface MachineJson {
  id: { hostname: string; ip: string };
  mode: 'UP' | 'DRAINING' | 'DOWN';
  answers: { frameworkId: string; answer: string; offerId: string; late: boolean }[];
  killed: { taskId: string }[];
  history: { what: string }[];
}

export interface WindowJson {
  id: string;
  state: string;
  machines: MachineJson[];
}

export interface SimMachine {
  id: { hostname: string };
  down: boolean;
}

export interface SimStats {
  kills: Record<string, number>;
  lost: { taskId: string }[];
  killLog: { taskId: string; idempotencyKey: string }[];
}

export interface SimFrameworkView {
  id: string;
  events: { type: string; inverseOfferIds: string[]; idempotencyKey: string | null; eventId: number | null; at: string; duplicate: boolean }[];
  answers: { type: string; inverseOfferIds: string[]; at: string; returnedAt?: string; error?: string }[];
  duplicatesIgnored: number;
  signatureFailures: number;
  eventsDropped: number;
}

export interface WorkflowRow {
  workflowId: string;
  type: string;
  status: string;
  /** When the run closed (ms); absent while it runs. */
  closedAtMs?: number;
}

export interface WebhookDelivery {
  idempotencyKey: string;
  seq: number;
  body: string;
}

const MAX_PROBLEMS = 8;

function verdict(name: string, problems: string[], numbers: string): Verdict {
  return { name, ok: problems.length === 0, numbers, problems: problems.slice(0, MAX_PROBLEMS) };
}

/** UP after the duration with autoUp, DOWN without, in maint's view and the cluster's alike. */
export function modesAsPolicyImplies(plans: WindowPlan[], windows: WindowJson[], sim: SimMachine[]): Verdict {
  const down = new Map(sim.map((m) => [m.id.hostname, m.down]));
  const problems: string[] = [];
  let up = 0;
  let stayedDown = 0;
  for (const plan of plans) {
    const window = windows.find((w) => w.id === plan.id);
    if (!window) {
      problems.push(`${plan.id}: not found`);
      continue;
    }
    const expected = plan.autoUp ? 'UP' : 'DOWN';
    if (plan.autoUp && window.state !== 'COMPLETED') problems.push(`${plan.id}: ${window.state}, not COMPLETED`);
    for (const m of window.machines) {
      const clusterDown = down.get(m.id.hostname);
      if (m.mode !== expected) problems.push(`${m.id.hostname} (${plan.id}): maint says ${m.mode}, policy implies ${expected}`);
      else if (clusterDown !== (expected === 'DOWN')) {
        problems.push(`${m.id.hostname} (${plan.id}): maint says ${m.mode}, the cluster says ${clusterDown ? 'down' : 'up'}`);
      } else if (expected === 'UP') up++;
      else stayedDown++;
    }
  }
  return verdict('every machine in the mode its policy implies', problems, `${up} UP with autoUp, ${stayedDown} DOWN without; maint and cluster agree`);
}

/** The cluster counted every kill; none twice, each under a hard drain key of a window, each in maint's record. */
export function killedAtMostOnce(stats: SimStats, windows: WindowJson[]): Verdict {
  const problems: string[] = [];
  const counts = Object.entries(stats.kills);
  for (const [taskId, count] of counts) if (count !== 1) problems.push(`${taskId} killed ${count} times`);
  for (const kill of stats.killLog) {
    if (!/^w-\d+\/h=[^;]+;i=[\d.]+\/hard-drain$/.test(kill.idempotencyKey)) problems.push(`${kill.taskId} killed under ${kill.idempotencyKey}`);
  }
  const recorded = new Set(windows.flatMap((w) => w.machines.flatMap((m) => m.killed.map((k) => k.taskId))));
  for (const [taskId] of counts) if (!recorded.has(taskId)) problems.push(`${taskId} killed but not in maint's record`);
  for (const taskId of recorded) if (!(taskId in stats.kills)) problems.push(`${taskId} in maint's record but never killed`);
  const max = counts.reduce((m, [, c]) => Math.max(m, c), 0);
  return verdict('every task killed at most once', problems, `${counts.length} tasks killed, at most ${max} time(s) each, ${stats.killLog.length} kill requests logged`);
}

/**
 * Tasks whose frameworks never move them (decliner, silent, the test framework) are still on the window's machines
 * at the deadline: each must have been killed; and no task at all may still run when a machine goes down.
 */
export function remainingKilled(mustDie: string[], stats: SimStats): Verdict {
  const problems: string[] = [];
  const notKilled = mustDie.filter((taskId) => stats.kills[taskId] !== 1);
  for (const taskId of notKilled) problems.push(`${taskId} was left at a deadline and not killed`);
  for (const lost of stats.lost) problems.push(`${lost.taskId} still running when its machine went down`);
  return verdict('every task remaining at a deadline killed', problems, `${mustDie.length - notKilled.length}/${mustDie.length} killed, ${stats.lost.length} lost at down`);
}

/**
 * Every answer maint acknowledged (the framework's call returned) while its machine's workflow ran reached that
 * machine: per machine and framework, at least as many answers in the machine's history as acknowledged ones, and the
 * answer it reports is one the framework sent. An answer acknowledged only after the machine's workflow had closed is
 * moot (its maintenance is over; Mesos ignores answers to offers that are gone, and so does maint: a late answer's
 * call returns once its machine has taken it or is known to have ended) and is counted apart. Answers whose call
 * failed (the API was down, or the call timed out) may or may not have arrived; they are counted apart too.
 * `machineClosedAtMs`: per hostname, when its machine workflow's last run closed (absent while one runs).
 */
export function noAnswerLost(frameworks: SimFrameworkView[], windows: WindowJson[], machineClosedAtMs: Map<string, number>): Verdict {
  const problems: string[] = [];
  const machines = new Map(windows.flatMap((w) => w.machines.map((m) => [m.id.hostname, m])));
  const acked = new Map<string, number>();
  const sentOffers = new Set<string>();
  let ackedCount = 0;
  let failedCount = 0;
  let mootCount = 0;
  for (const f of frameworks) {
    for (const a of f.answers) {
      for (const offerId of a.inverseOfferIds) {
        sentOffers.add(`${f.id} ${offerId}`);
        if (a.error !== undefined) {
          failedCount++;
          continue;
        }
        ackedCount++;
        const hostname = hostnameIn(offerId);
        if (hostname === undefined) {
          problems.push(`${f.id} answered an offer id that names no machine: ${offerId}`);
          continue;
        }
        const closedAt = machineClosedAtMs.get(hostname);
        const returnedAt = a.returnedAt === undefined ? undefined : Date.parse(a.returnedAt);
        if (closedAt !== undefined && returnedAt !== undefined && returnedAt > closedAt) {
          mootCount++;
          continue;
        }
        const key = `${hostname} ${f.id}`;
        acked.set(key, (acked.get(key) ?? 0) + 1);
      }
    }
  }
  let recordedCount = 0;
  for (const [key, count] of acked) {
    const [hostname, frameworkId] = key.split(' ');
    const machine = machines.get(hostname);
    if (!machine) {
      problems.push(`${frameworkId} answered for ${hostname}, which is in no window`);
      continue;
    }
    const inHistory = machine.history.filter((e) => e.what.startsWith(`${frameworkId} answered `)).length;
    recordedCount += inHistory;
    if (inHistory < count) problems.push(`${hostname}: ${frameworkId} had ${count} answers acknowledged while its machine ran, the machine recorded ${inHistory}`);
    const latest = machine.answers.find((a) => a.frameworkId === frameworkId);
    if (!latest) problems.push(`${hostname}: no answer of ${frameworkId} reported`);
    else if (!sentOffers.has(`${frameworkId} ${latest.offerId}`)) problems.push(`${hostname}: reports an answer of ${frameworkId} to ${latest.offerId}, which it never sent`);
  }
  return verdict(
    'no answer lost',
    problems,
    `${ackedCount} answers acknowledged, ${recordedCount} recorded on ${acked.size} machine/framework pairs, ${mootCount} acknowledged after their machine's workflow had closed (moot), ${failedCount} calls failed on the framework's side (API away or timed out)`,
  );
}

/** Per hostname, when its machine workflow's last run closed; a host with a run still open is left out. */
export function machinesClosedAt(rows: WorkflowRow[]): Map<string, number> {
  const closed = new Map<string, number>();
  const open = new Set<string>();
  for (const row of rows) {
    const hostname = hostnameIn(row.workflowId);
    if (hostname === undefined || row.type !== 'machineWorkflow') continue;
    if (row.closedAtMs === undefined) open.add(hostname);
    else closed.set(hostname, Math.max(closed.get(hostname) ?? 0, row.closedAtMs));
  }
  for (const hostname of open) closed.delete(hostname);
  return closed;
}

/**
 * The hostname in a machine workflow's id (`<instance>/machine/h=<hostname>;i=<ip>`), or in an offer id, which
 * carries its machine workflow's id (`…/<unique>` after it).
 */
function hostnameIn(id: string): string | undefined {
  return /\/machine\/h=([^;/]+);/.exec(id)?.[1];
}

/**
 * Visibility: nothing failed, was terminated or timed out; windows and machines whose policy ends them are closed,
 * and only the long-lived workflows (schedule, registry, mailboxes) and the machines kept DOWN are still running.
 */
export function noWorkflowFailedOrStuck(rows: WorkflowRow[], plans: WindowPlan[], instance: string, stayDownHosts: Set<string>): Verdict {
  const problems: string[] = [];
  const byStatus = new Map<string, number>();
  const stayDownWindows = new Set(plans.filter((p) => !p.autoUp).map((p) => `${instance}/window/${p.id}`));
  for (const row of rows) {
    byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
    if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED'].includes(row.status)) {
      problems.push(`${row.workflowId} (${row.type}) ${row.status}`);
      continue;
    }
    if (row.status !== 'RUNNING') continue;
    const machine = /\/machine\/h=([^;]+);/.exec(row.workflowId)?.[1];
    const expectedRunning =
      (machine !== undefined && stayDownHosts.has(machine)) ||
      stayDownWindows.has(row.workflowId) ||
      ['scheduleWorkflow', 'frameworksWorkflow', 'frameworkMailboxWorkflow'].includes(row.type);
    if (!expectedRunning) problems.push(`${row.workflowId} (${row.type}) still RUNNING`);
  }
  const numbers = [...byStatus].sort().map(([s, n]) => `${n} ${s}`).join(', ');
  return verdict('no workflow failed or stuck', problems, `${rows.length} workflows: ${numbers}`);
}

/**
 * A framework that honours the Idempotency-Key sees every event once: each key's deliveries are the same event (a
 * retry, rightly ignored), each event (seq, part) came under one key only, first deliveries arrive in order, and
 * none is missing up to the mailbox's last event.
 */
export function noDuplicatedWebhookEffect(
  frameworkId: string,
  deliveries: WebhookDelivery[],
  /** The mailbox's first kept event (undefined when it has been trimmed) and its last. */
  log: { first: number | undefined; last: number },
  simFrameworks: SimFrameworkView[],
): Verdict {
  const problems: string[] = [];
  const first = new Map<string, WebhookDelivery>();
  let duplicates = 0;
  const order: [number, number][] = [];
  for (const d of deliveries) {
    const parsed = /^(.+)\/(\d+)\/(\d+)$/.exec(d.idempotencyKey);
    if (!parsed || parsed[1] !== frameworkId || Number(parsed[2]) !== d.seq) {
      problems.push(`delivery with key ${d.idempotencyKey} and event id ${d.seq}`);
      continue;
    }
    const earlier = first.get(d.idempotencyKey);
    if (earlier) {
      duplicates++;
      if (earlier.body !== d.body) problems.push(`key ${d.idempotencyKey} carried two different events`);
      continue;
    }
    first.set(d.idempotencyKey, d);
    order.push([Number(parsed[2]), Number(parsed[3])]);
  }
  for (let i = 1; i < order.length; i++) {
    const [a, b] = [order[i - 1], order[i]];
    if (a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1])) problems.push(`event ${b.join('/')} applied after ${a.join('/')}`);
  }
  const seqs = new Set(order.map(([seq]) => seq));
  const lowest = log.first ?? Math.min(...seqs);
  const lastEventId = log.last;
  const missing: number[] = [];
  for (let seq = lowest; seq <= lastEventId; seq++) if (!seqs.has(seq)) missing.push(seq);
  if (missing.length) problems.push(`events never delivered: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);

  let simDuplicates = 0;
  for (const f of simFrameworks) {
    simDuplicates += f.duplicatesIgnored;
    if (f.signatureFailures > 0) problems.push(`${f.id}: ${f.signatureFailures} signature failures`);
    const applied = new Map<string, string>();
    for (const e of f.events) {
      if (e.idempotencyKey === null) continue;
      const event = `${e.eventId}`;
      if (!e.duplicate) {
        if (applied.has(e.idempotencyKey)) problems.push(`${f.id}: ${e.idempotencyKey} applied twice`);
        applied.set(e.idempotencyKey, event);
      } else if (!applied.has(e.idempotencyKey) && f.eventsDropped === 0) {
        problems.push(`${f.id}: ${e.idempotencyKey} marked duplicate before it was applied`);
      }
    }
  }
  return verdict(
    'no duplicated webhook effect',
    problems,
    `${frameworkId}: ${first.size} events applied in order, ids ${lowest}..${lastEventId}, ${duplicates} redeliveries ignored; simulated frameworks: ${simDuplicates} redeliveries ignored`,
  );
}
