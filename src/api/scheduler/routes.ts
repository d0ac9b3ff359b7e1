// The scheduler API frameworks call (Mesos v1 call shapes): subscribe and tear down, answer inverse offers, read
// their events (pull or stream), ask where to place a task. Credentials are checked before any of it (app.ts); the
// principal that subscribed a framework is the only one that may act for it (checked by the service and mailbox).
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ErrorCode, MaintError } from '../../domain/errors';
import { rankPlacement } from '../../domain/placement';
import { machineIdJson, subscribedEvent, unavailabilityJson } from '../../domain/scheduler-events';
import type { PlacementJson } from '../../domain/scheduler-wire';
import { sendJson } from '../../lib/json-response';
import type { FrameworkService } from '../../service/frameworks';
import type { Guard } from '../auth';
import { methodNotAllowed } from '../errors';
import {
  EventsQuerySchema,
  FrameworkParams,
  LastEventIdSchema,
  PlacementRequestSchema,
  refuseMs,
  SchedulerCallSchema,
  type SchedulerCallBody,
} from './schemas';
import { pageJson, readPage, streamEvents, type EventStreams } from './stream';

export interface SchedulerRouteDeps {
  frameworks: FrameworkService;
  guard: Guard;
  streams: EventStreams;
  logger: Logger;
}

/** A pull without `limit` gets this many events at most. */
const DEFAULT_PAGE_LIMIT = 100;


export function schedulerRoutes(deps: SchedulerRouteDeps): Router {
  const { frameworks, guard } = deps;
  const router = Router();

  const call = async (req: Request, res: Response) => {
    const body = SchedulerCallSchema.parse(req.body);
    const principal = guard.principal(req);
    if (body.type === 'SUBSCRIBE') {
      const frameworkId = await subscribe(body, principal);
      sendJson(res, 200, subscribedEvent(frameworkId));
      return;
    }
    if (body.type === 'TEARDOWN') {
      await frameworks.unsubscribe(body.framework_id.value, principal);
    } else {
      const accept = body.type === 'ACCEPT_INVERSE_OFFERS';
      const answer = accept ? body.accept_inverse_offers : body.decline_inverse_offers;
      await frameworks.answer(body.framework_id.value, {
        ...(principal === undefined ? {} : { principal }),
        answer: accept ? 'ACCEPT' : 'DECLINE',
        offerIds: answer.inverse_offer_ids.map((id) => id.value),
        refuseMs: refuseMs(answer.filters),
        ...(answer.plan === undefined ? {} : { plan: answer.plan }),
      });
    }
    res.status(202).end(); // Mesos answers scheduler calls other than SUBSCRIBE with 202 Accepted
  };

  /** SUBSCRIBE: the authenticated principal owns the framework; without authentication nobody does (no checks). */
  const subscribe = async (body: Extract<SchedulerCallBody, { type: 'SUBSCRIBE' }>, principal: string | undefined) => {
    const { framework_info: info, webhook, disruption_budget: budget } = body.subscribe;
    const frameworkId = (info.id ?? body.framework_id)!.value; // the schema requires one of them
    await frameworks.subscribe(
      {
        frameworkId,
        name: info.name,
        // The service refuses a framework_info.principal that is not the authenticated one (403).
        ...(principal === undefined ? {} : { principal: info.principal ?? principal }),
        ...(webhook === undefined ? {} : { webhookUrl: webhook.url, webhookSecret: webhook.secret }),
        partitionAware: (info.capabilities ?? []).some((c) => c.type === 'PARTITION_AWARE'),
        ...(budget === undefined
          ? {}
          : {
              budget: {
                ...(budget.max_tasks_killed === undefined ? {} : { maxTasksKilled: budget.max_tasks_killed }),
                ...(budget.max_machines_down === undefined ? {} : { maxMachinesDown: budget.max_machines_down }),
              },
            }),
      },
      principal,
    );
    return frameworkId;
  };

  /** A pull (JSON page), or with Accept: text/event-stream a stream; Last-Event-ID (a reconnect) wins over ?after=. */
  const events = async (req: Request, res: Response) => {
    const { id } = FrameworkParams.parse(req.params);
    const query = EventsQuerySchema.parse(req.query);
    const header = LastEventIdSchema.parse({ 'Last-Event-ID': req.get('Last-Event-ID') || undefined });
    // No position at all: the reader starts from what is still relevant now (the mailbox's resync).
    const afterSeq = header['Last-Event-ID'] ?? query.after;
    const principal = guard.principal(req);
    if (req.accepts(['application/json', 'text/event-stream']) === 'text/event-stream') {
      await streamEvents(deps, res, id, {
        ...(afterSeq === undefined ? {} : { afterSeq }),
        ...(principal === undefined ? {} : { principal }),
      });
      return;
    }
    const rendered = await readPage(frameworks, id, {
      ...(afterSeq === undefined ? {} : { afterSeq }),
      limit: query.limit ?? DEFAULT_PAGE_LIMIT,
      ...(principal === undefined ? {} : { principal }),
    });
    if (rendered.ended) throw new MaintError(ErrorCode.NOT_FOUND, `id: framework ${id} is not subscribed`, 'id');
    sendJson(res, 200, pageJson(id, rendered));
  };

  /** Placement advice for any authenticated caller: where a task of this runtime is least likely to be disrupted. */
  const placement = async (req: Request, res: Response) => {
    const body = PlacementRequestSchema.parse(req.body);
    const maintenance = await frameworks.unavailability(body.machine_ids);
    const ranking = rankPlacement(body.machine_ids, maintenance, Date.now(), body.runtime_seconds * 1000);
    const json: PlacementJson = {
      ranking: ranking.map((p) => ({
        machine_id: machineIdJson(p.machine),
        rank: p.rank,
        class: p.class,
        ...(p.unavailability === undefined ? {} : { unavailability: unavailabilityJson(p.unavailability) }),
        reason: p.reason,
      })),
    };
    sendJson(res, 200, json);
  };

  router.route('/scheduler').post(call).all(methodNotAllowed);
  router.route('/scheduler/frameworks/:id/events').get(events).all(methodNotAllowed);
  router.route('/scheduler/placement').post(placement).all(methodNotAllowed);
  return router;
}
