// The scheduler API's pure parts: Mesos' refuse_seconds, the call schemas' field-named refusals, a mailbox page as
// pull JSON and as Server-Sent Events, and webhook URLs as operators see them.
import { redactedUrl } from '../../src/api/native/frameworks';
import { errorBody } from '../../src/api/errors';
import { EventsQuerySchema, PlacementRequestSchema, refuseMs, SchedulerCallSchema } from '../../src/api/scheduler/schemas';
import { pageJson, renderPage, sseFrame } from '../../src/api/scheduler/stream';
import type { FrameworkNotice } from '../../src/domain/framework';
import type { MailboxPage } from '../../workflows/messages';

describe('refuseMs: Mesos refuse_seconds semantics', () => {
  test.each<[string, { refuse_seconds?: number } | undefined, number]>([
    ['no filters: Mesos passes the default Filters, 5 s', undefined, 5_000],
    ['filters without refuse_seconds: the default, 5 s', {}, 5_000],
    ['0: no filter', { refuse_seconds: 0 }, 0],
    ['negative: the default, 5 s (the allocator refuses a negative filter)', { refuse_seconds: -1 }, 5_000],
    ['a fraction', { refuse_seconds: 1.5 }, 1_500],
    ['a tiny positive value still filters (never rounds to "no filter")', { refuse_seconds: 0.0001 }, 1],
    ['an hour', { refuse_seconds: 3_600 }, 3_600_000],
    ['exactly 365 days', { refuse_seconds: 365 * 86_400 }, 365 * 86_400_000],
    ['over 365 days: capped at 365 days', { refuse_seconds: 366 * 86_400 }, 365 * 86_400_000],
    ['a huge number: capped', { refuse_seconds: 1e300 }, 365 * 86_400_000],
    ['not a number: the default', { refuse_seconds: Number.NaN }, 5_000],
  ])('%s', (_name, filters, ms) => {
    expect(refuseMs(filters)).toBe(ms);
  });
});

/** The API's answer to a body the schema refuses: status, and the field it names. */
function refusal(schema: { parse(v: unknown): unknown }, body: unknown): { status: number; field?: string; message: string } {
  try {
    schema.parse(body);
  } catch (err) {
    const { status, body: b } = errorBody(err);
    return { status, message: b.message, ...(b.field === undefined ? {} : { field: b.field }) };
  }
  throw new Error('the schema took it');
}

describe('SchedulerCallSchema', () => {
  const subscribe = (extra: object = {}, info: object = {}) => ({
    type: 'SUBSCRIBE',
    subscribe: { framework_info: { id: { value: 'fw-1' }, name: 'fw', ...info }, ...extra },
  });
  const answer = (body: object) => ({ type: 'DECLINE_INVERSE_OFFERS', framework_id: { value: 'fw-1' }, decline_inverse_offers: body });

  test('takes Mesos fields it does not know (frameworks send many), and maint additions', () => {
    const parsed = SchedulerCallSchema.parse(
      subscribe(
        { webhook: { url: 'https://fw.example/hook', secret: 'x'.repeat(16) }, disruption_budget: { max_machines_down: 2 } },
        { user: 'root', roles: ['*'], failover_timeout: 60, capabilities: [{ type: 'PARTITION_AWARE' }, { type: 'MULTI_ROLE' }] },
      ),
    );
    expect(parsed).toMatchObject({ type: 'SUBSCRIBE', subscribe: { disruption_budget: { max_machines_down: 2 } } });
    expect(SchedulerCallSchema.parse(answer({ inverse_offer_ids: [{ value: 'o' }], filters: { refuse_seconds: 0 }, plan: 'WAIT' }))).toBeTruthy();
  });

  test.each<[string, unknown, string]>([
    ['no body', undefined, 'body'],
    ['an unknown call type', { type: 'REVIVE' }, 'type'],
    ['no type', { framework_id: { value: 'fw' } }, 'type'],
    ['SUBSCRIBE without a framework id', { type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'fw' } } }, 'subscribe.framework_info.id'],
    ['SUBSCRIBE without a name', { type: 'SUBSCRIBE', subscribe: { framework_info: { id: { value: 'fw' } } } }, 'subscribe.framework_info.name'],
    ['a framework id with a slash', subscribe({}, { id: { value: 'a/b' } }), 'subscribe.framework_info.id.value'],
    ['a framework id with a space', subscribe({}, { id: { value: 'a b' } }), 'subscribe.framework_info.id.value'],
    ['framework_id differing from framework_info.id', { ...subscribe(), framework_id: { value: 'other' } }, 'framework_id'],
    ['a webhook without a secret', subscribe({ webhook: { url: 'https://fw.example/hook' } }), 'subscribe.webhook.secret'],
    ['a webhook secret of 15 characters', subscribe({ webhook: { url: 'https://fw.example/hook', secret: 'x'.repeat(15) } }), 'subscribe.webhook.secret'],
    ['a webhook that is not http(s)', subscribe({ webhook: { url: 'ftp://fw.example/hook', secret: 'x'.repeat(16) } }), 'subscribe.webhook.url'],
    ['a webhook with a typo', subscribe({ webhook: { url: 'https://fw.example/hook', secret: 'x'.repeat(16), secert: 1 } }), 'subscribe.webhook.secert'],
    ['a budget of 0 machines', subscribe({ disruption_budget: { max_machines_down: 0 } }), 'subscribe.disruption_budget.max_machines_down'],
    ['a budget of 1.5 tasks', subscribe({ disruption_budget: { max_tasks_killed: 1.5 } }), 'subscribe.disruption_budget.max_tasks_killed'],
    ['capabilities not a list', subscribe({}, { capabilities: 'PARTITION_AWARE' }), 'subscribe.framework_info.capabilities'],
    ['TEARDOWN without framework_id', { type: 'TEARDOWN' }, 'framework_id'],
    ['an answer without framework_id', { type: 'ACCEPT_INVERSE_OFFERS', accept_inverse_offers: { inverse_offer_ids: [] } }, 'framework_id'],
    ['an answer without its body', { type: 'ACCEPT_INVERSE_OFFERS', framework_id: { value: 'fw' } }, 'accept_inverse_offers'],
    ['inverse_offer_ids not a list', answer({ inverse_offer_ids: { value: 'o' } }), 'decline_inverse_offers.inverse_offer_ids'],
    ['an empty offer id', answer({ inverse_offer_ids: [{ value: '' }] }), 'decline_inverse_offers.inverse_offer_ids[0].value'],
    ['refuse_seconds a string', answer({ inverse_offer_ids: [], filters: { refuse_seconds: '5' } }), 'decline_inverse_offers.filters.refuse_seconds'],
    ['filters null', answer({ inverse_offer_ids: [], filters: null }), 'decline_inverse_offers.filters'],
    ['an unknown plan', answer({ inverse_offer_ids: [], plan: 'PRAY' }), 'decline_inverse_offers.plan'],
  ])('%s: a 400 naming the field', (_name, body, field) => {
    expect(refusal(SchedulerCallSchema, body)).toMatchObject({ status: 400, field });
  });

  test('an unknown call type says which calls maint takes', () => {
    expect(refusal(SchedulerCallSchema, { type: 'REVIVE' }).message).toContain('SUBSCRIBE, TEARDOWN, ACCEPT_INVERSE_OFFERS');
  });
});

describe('other requests', () => {
  test.each<[string, unknown, string]>([
    ['after not a number', { after: 'abc' }, 'after'],
    ['after negative', { after: '-1' }, 'after'],
    ['after twice', { after: ['1', '2'] }, 'after'],
    ['limit 0', { limit: '0' }, 'limit'],
    ['limit 1001', { limit: '1001' }, 'limit'],
  ])('events query, %s: a 400 naming the field', (_name, query, field) => {
    expect(refusal(EventsQuerySchema, query)).toMatchObject({ status: 400, field });
  });

  test.each<[string, unknown, string]>([
    ['no machines', { machine_ids: [], runtime_seconds: 60 }, 'machine_ids'],
    ['a machine with no name', { machine_ids: [{}], runtime_seconds: 60 }, 'machine_ids[0]'],
    ['an IPv6 machine', { machine_ids: [{ ip: '::1' }], runtime_seconds: 60 }, 'machine_ids[0].ip'],
    ['no runtime', { machine_ids: [{ hostname: 'a' }] }, 'runtime_seconds'],
    ['a negative runtime', { machine_ids: [{ hostname: 'a' }], runtime_seconds: -1 }, 'runtime_seconds'],
    ['a runtime as text', { machine_ids: [{ hostname: 'a' }], runtime_seconds: '60' }, 'runtime_seconds'],
    ['an unknown field', { machine_ids: [{ hostname: 'a' }], runtime_seconds: 1, runtime: 1 }, 'runtime'],
  ])('placement, %s: a 400 naming the field', (_name, body, field) => {
    expect(refusal(PlacementRequestSchema, body)).toMatchObject({ status: 400, field });
  });
});

describe('a mailbox page rendered', () => {
  const subscription = { frameworkId: 'fw', name: 'fw', partitionAware: true, subscribedAtMs: 0 };
  const killed: FrameworkNotice = {
    kind: 'tasks-killed',
    machine: { hostname: 'sim-01' },
    tasks: [
      { taskId: 't-1', volumes: [] },
      { taskId: 't-2', volumes: [] },
    ],
    gone: true,
    cause: 'hard-drain',
  };
  const rescind: FrameworkNotice = { kind: 'rescind-inverse-offer', offerId: 'o-1' };
  const offer = { offerId: 'o-2', agentId: 'a-1', unavailability: { startMs: 0 } };
  const page = (over: Partial<MailboxPage>): MailboxPage => ({
    subscription,
    subscribed: true,
    events: [],
    firstSeq: 1,
    lastSeq: 0,
    outstanding: [],
    ...over,
  });

  test('each notice as its events, each with its seq; only the last part of a seq is final', () => {
    const rendered = renderPage(
      'fw',
      page({ events: [{ seq: 4, atMs: 1_000, notice: rescind }, { seq: 5, atMs: 2_000, notice: killed }], firstSeq: 1, lastSeq: 5 }),
      3,
    );
    expect(rendered.events.map((e) => [e.seq, e.event.type, e.last])).toEqual([
      [4, 'RESCIND_INVERSE_OFFER', true],
      [5, 'UPDATE', false],
      [5, 'UPDATE', true],
    ]);
    // Partition-aware subscription, gone: TASK_GONE_BY_OPERATOR, stamped with the event's time.
    expect(rendered.events[1]!.event).toMatchObject({ update: { status: { state: 'TASK_GONE_BY_OPERATOR', timestamp: 2 } } });
    expect(rendered).toMatchObject({ lastSeq: 5, resync: false, ended: false });
  });

  test('a resync comes first, its last event carrying the seq the events follow', () => {
    const resync: FrameworkNotice[] = [
      { kind: 'unavailability', machines: [], full: true },
      { kind: 'inverse-offers', offers: [offer] },
    ];
    const behind = renderPage('fw', page({ resync, events: [{ seq: 8, atMs: 0, notice: rescind }], firstSeq: 8, lastSeq: 8 }), 2);
    expect(behind.events.map((e) => [e.seq, e.event.type, e.last])).toEqual([
      [7, 'UNAVAILABILITY', false],
      [7, 'INVERSE_OFFERS', true],
      [8, 'RESCIND_INVERSE_OFFER', true],
    ]);
    expect(behind).toMatchObject({ lastSeq: 8, resync: true });
    // A new reader: the resync stands for everything so far.
    const fresh = renderPage('fw', page({ resync, firstSeq: 3, lastSeq: 9 }), undefined);
    expect(fresh.events.map((e) => [e.seq, e.last])).toEqual([
      [9, false],
      [9, true],
    ]);
    expect(fresh.lastSeq).toBe(9);
  });

  test('nothing new: the reader stays where it was; unsubscribed: ended', () => {
    expect(renderPage('fw', page({ firstSeq: 1, lastSeq: 6 }), 6)).toMatchObject({ events: [], lastSeq: 6, ended: false });
    expect(renderPage('fw', page({ subscribed: false, lastSeq: 6 }), 6).ended).toBe(true);
  });

  test('as pull JSON: every event with its id, where to go on, the open offers', () => {
    const p = page({ events: [{ seq: 5, atMs: 0, notice: killed }], lastSeq: 5, outstanding: [offer] });
    const json = pageJson('fw', { ...renderPage('fw', p, 4), page: p });
    expect(json).toMatchObject({
      framework_id: { value: 'fw' },
      events: [
        { id: 5, event: { type: 'UPDATE' } },
        { id: 5, event: { type: 'UPDATE' } },
      ],
      last_event_id: 5,
      resync: false,
      outstanding: { inverse_offers: [{ id: { value: 'o-2' }, framework_id: { value: 'fw' }, agent_id: { value: 'a-1' } }] },
    });
  });

  test('as a Server-Sent Event: id (when final), event type, the JSON on one data line', () => {
    const event = { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: 'o\n1' } } } as const;
    expect(sseFrame(event, 12)).toBe(
      'id: 12\nevent: RESCIND_INVERSE_OFFER\ndata: {"type":"RESCIND_INVERSE_OFFER","rescind_inverse_offer":{"inverse_offer_id":{"value":"o\\n1"}}}\n\n',
    );
    expect(sseFrame({ type: 'HEARTBEAT' })).toBe('event: HEARTBEAT\ndata: {"type":"HEARTBEAT"}\n\n');
  });
});

test('webhook URLs as operators see them: no credentials, no query', () => {
  expect(redactedUrl('https://fw.example:8443/hooks/maint')).toBe('https://fw.example:8443/hooks/maint');
  expect(redactedUrl('https://user:pass@fw.example/hook?token=abc')).toBe('https://***@fw.example/hook?***');
  expect(redactedUrl('not a url')).toBe('***');
});
