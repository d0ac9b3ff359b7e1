// The chaos run's "no answer lost" verdict: an answer acknowledged while its machine ran must be in the machine's
// history; one acknowledged after the machine's workflow closed is moot and counted apart.
import { machinesClosedAt, noAnswerLost, type SimFrameworkView, type WindowJson } from '../chaos/invariants';

const OFFER = 'chaos/machine/h=sim-1;i=192.0.2.1/offer-1';
const CLOSED_AT = Date.parse('2026-11-26T15:21:25Z');

function decliner(returnedAt: string): SimFrameworkView {
  return {
    id: 'decliner',
    events: [],
    answers: [{ type: 'DECLINE_INVERSE_OFFERS', inverseOfferIds: [OFFER], at: '2026-11-26T15:21:21Z', returnedAt }],
    duplicatesIgnored: 0,
    signatureFailures: 0,
    eventsDropped: 0,
  };
}

/** sim-1's window, its history holding `answers` decliner answers. */
function windowWith(answers: number): WindowJson[] {
  const history = Array.from({ length: answers }, () => ({ what: `decliner answered DECLINE to ${OFFER}` }));
  const reported = answers ? [{ frameworkId: 'decliner', answer: 'DECLINE', offerId: OFFER, late: true }] : [];
  return [{ id: 'w-1', state: 'COMPLETED', machines: [{ id: { hostname: 'sim-1', ip: '192.0.2.1' }, mode: 'UP', answers: reported, killed: [], history }] }];
}

const closed = new Map([['sim-1', CLOSED_AT]]);

test('an answer acknowledged while the machine ran and missing from its history is lost', () => {
  const verdict = noAnswerLost([decliner('2026-11-26T15:21:21.3Z')], windowWith(0), closed);
  expect(verdict.ok).toBe(false);
  expect(verdict.problems[0]).toMatch(/sim-1: decliner had 1 answers acknowledged while its machine ran, the machine recorded 0/);
});

test('the same answer in the history passes', () => {
  expect(noAnswerLost([decliner('2026-11-26T15:21:21.3Z')], windowWith(1), closed).ok).toBe(true);
});

test('an answer acknowledged only after the machine closed is moot, not lost', () => {
  const verdict = noAnswerLost([decliner('2026-11-26T15:21:29Z')], windowWith(0), closed);
  expect(verdict.ok).toBe(true);
  expect(verdict.numbers).toMatch(/1 acknowledged after their machine's workflow had closed \(moot\)/);
});

test('a machine with a run still open has no close time, so nothing of it is moot', () => {
  const rows = [
    { workflowId: 'chaos/machine/h=sim-1;i=192.0.2.1', type: 'machineWorkflow', status: 'COMPLETED', closedAtMs: CLOSED_AT },
    { workflowId: 'chaos/machine/h=sim-2;i=192.0.2.2', type: 'machineWorkflow', status: 'CONTINUED_AS_NEW', closedAtMs: CLOSED_AT },
    { workflowId: 'chaos/machine/h=sim-2;i=192.0.2.2', type: 'machineWorkflow', status: 'RUNNING' },
    { workflowId: 'chaos/window/w-1', type: 'windowWorkflow', status: 'COMPLETED', closedAtMs: CLOSED_AT + 1 },
  ];
  expect(machinesClosedAt(rows)).toEqual(new Map([['sim-1', CLOSED_AT]]));
  const verdict = noAnswerLost([decliner('2026-11-26T15:21:29Z')], windowWith(0), new Map());
  expect(verdict.ok).toBe(false);
});
