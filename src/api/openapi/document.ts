// The OpenAPI 3.1 document of every endpoint the app serves, built from the zod schemas the handlers parse with
// (request bodies, path and query parameters) and from the representation schemas (answers). A route added to the
// app without an entry here fails test/unit/openapi-routes.test.ts.
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CallDescriptor, IMPLEMENTED_CALL_TYPES, MachineIdDescriptor, ScheduleDescriptor } from '../../mesos/messages';
import {
  CreateWindowSchema,
  ExtendSchema,
  MachineParams,
  SelectionSchema,
  WindowListQuery,
  WindowParams,
} from '../native/schemas';
import {
  EventsQuerySchema,
  FrameworkParams,
  LastEventIdSchema,
  PlacementRequestSchema,
  SchedulerCallSchema,
} from '../scheduler/schemas';
import { messageSchema } from './proto-schema';
import {
  ErrorSchema,
  EventsPageSchema,
  FrameworkListSchema,
  HealthSchema,
  MachineReportSchema,
  MesosClusterStatusSchema,
  MesosScheduleSchema,
  OperatorResponseSchema,
  PlacementSchema,
  SubscribedSchema,
  WindowListSchema,
  WindowSchema,
} from './representations';

type Responses = RouteConfig['responses'];

const BASIC_AUTH = 'basicAuth';
const authenticated = [{ [BASIC_AUTH]: [] }];

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const text = { content: { 'text/plain': { schema: z.string() } } };

const ERROR_TEXTS: Record<number, string> = {
  400: 'the request is malformed or names an impossible value; the message names the field',
  401: 'credentials are required (MAINT_CREDENTIALS is set) and none or wrong ones were sent',
  403: "the ACLs (MAINT_ACLS) refuse the principal this action, or the framework is another principal's",
  404: 'no such window, machine or framework',
  406: "the Accept header does not allow application/json",
  409: 'the current state refuses it (e.g. a machine already in a window, or not DRAINING); nothing changed',
  413: 'the body is larger than the API accepts',
  415: 'the body is not JSON (send Content-Type: application/json)',
  501: 'a Mesos call maint does not implement',
  503: "Temporal or the cluster cannot be reached, or Temporal is busy; try again (maint's JSON errors say when: Retry-After, seconds)",
};

/** Native and scheduler errors: maint's JSON error. */
function jsonErrors(...statuses: number[]): Responses {
  return Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXTS[s], ...json(ErrorSchema) }]));
}

/**
 * Mesos endpoints' errors: plain text in Mesos' words; 403 has no body (as in Mesos); 401 comes from the same
 * authentication step as every operator endpoint, so it is maint's JSON error.
 */
function mesosErrors(...statuses: number[]): Responses {
  return Object.fromEntries(
    statuses.map((s) => {
      if (s === 401) return [s, { description: ERROR_TEXTS[s], ...json(ErrorSchema) }];
      if (s === 403) return [s, { description: ERROR_TEXTS[s] }];
      return [s, { description: ERROR_TEXTS[s], ...text }];
    }),
  );
}

/** Every native and scheduler endpoint reads any JSON body (400 when it does not parse, 413, 415), and authenticates. */
const NATIVE_COMMON = [400, 401, 413, 415, 503];
const MESOS_COMMON = [400, 401, 403, 404, 409, 413, 503];

function registerPaths(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', BASIC_AUTH, {
    type: 'http',
    scheme: 'basic',
    description:
      "Mesos' credentials file (MAINT_CREDENTIALS): every endpoint but /healthz, /metrics and /openapi.json requires it when set",
  });

  // ---- native: windows, machines, frameworks ----
  const windowAnswer = (description: string) => ({ description, ...json(WindowSchema) });
  const selection = {
    required: false,
    description: 'which machines; none: all that apply',
    ...json(SelectionSchema),
  };
  registry.registerPath({
    method: 'post',
    path: '/api/v1/windows',
    tags: ['windows'],
    summary: 'Create a maintenance window',
    security: authenticated,
    request: { body: { required: true, ...json(CreateWindowSchema) } },
    responses: {
      201: {
        ...windowAnswer('the window, with its machines'),
        headers: { Location: { schema: { type: 'string' }, description: 'the window: /api/v1/windows/w-N' } },
      },
      ...jsonErrors(...NATIVE_COMMON, 403, 409),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/windows',
    tags: ['windows'],
    summary: 'List windows, newest first',
    security: authenticated,
    request: { query: WindowListQuery },
    responses: { 200: { description: 'the windows', ...json(WindowListSchema) }, ...jsonErrors(...NATIVE_COMMON) },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/windows/{id}',
    tags: ['windows'],
    summary: 'A window with its machines',
    security: authenticated,
    request: { params: WindowParams },
    responses: { 200: windowAnswer('the window'), ...jsonErrors(...NATIVE_COMMON, 404) },
  });
  const operations: { path: string; summary: string; body?: RouteConfig['request'] }[] = [
    {
      path: 'extend',
      summary: 'Move the deadline later (by a duration, or to an instant)',
      body: { body: { required: true, ...json(ExtendSchema) } },
    },
    { path: 'cancel', summary: 'Cancel: DRAINING machines return to UP, nothing is killed' },
    { path: 'down', summary: 'Hard drain now and take machines DOWN', body: { body: selection } },
    { path: 'up', summary: 'Bring DOWN machines UP now', body: { body: selection } },
  ];
  for (const op of operations) {
    registry.registerPath({
      method: 'post',
      path: `/api/v1/windows/{id}/${op.path}`,
      tags: ['windows'],
      summary: op.summary,
      security: authenticated,
      request: { params: WindowParams, ...op.body },
      responses: { 200: windowAnswer('the window after the change'), ...jsonErrors(...NATIVE_COMMON, 403, 404, 409) },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/api/v1/machines/{machine}',
    tags: ['machines'],
    summary: "A machine's mode, current window, latest maintenance and cluster view",
    security: authenticated,
    request: { params: MachineParams },
    responses: { 200: { description: 'the machine', ...json(MachineReportSchema) }, ...jsonErrors(...NATIVE_COMMON, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/frameworks',
    tags: ['frameworks'],
    summary: 'Subscribed frameworks and their disruption budgets in use (never a secret)',
    security: authenticated,
    responses: { 200: { description: 'the frameworks', ...json(FrameworkListSchema) }, ...jsonErrors(...NATIVE_COMMON) },
  });

  // ---- scheduler API ----
  registry.registerPath({
    method: 'post',
    path: '/api/v1/scheduler',
    tags: ['scheduler'],
    summary: 'A framework call: SUBSCRIBE, TEARDOWN, ACCEPT_INVERSE_OFFERS, DECLINE_INVERSE_OFFERS',
    description: 'Mesos v1 scheduler call shapes; see docs/scheduler-api.md',
    security: authenticated,
    request: { body: { required: true, ...json(SchedulerCallSchema) } },
    responses: {
      200: { description: 'SUBSCRIBE: the SUBSCRIBED event', ...json(SubscribedSchema) },
      202: { description: 'TEARDOWN and answers: accepted (no body)' },
      ...jsonErrors(...NATIVE_COMMON, 403, 404, 409),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/scheduler/frameworks/{id}/events',
    tags: ['scheduler'],
    summary: "A framework's events: a JSON page (pull), or with Accept: text/event-stream a Server-Sent-Events stream",
    security: authenticated,
    request: { params: FrameworkParams, query: EventsQuerySchema, headers: LastEventIdSchema },
    responses: {
      200: {
        description: 'a page of events and the open inverse offers; or the stream (one event per frame, `id:` its seq)',
        content: {
          'application/json': { schema: EventsPageSchema },
          'text/event-stream': { schema: z.string() },
        },
      },
      ...jsonErrors(...NATIVE_COMMON, 403, 404),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/v1/scheduler/placement',
    tags: ['scheduler'],
    summary: 'Rank candidate machines for a task of a given runtime',
    security: authenticated,
    request: { body: { required: true, ...json(PlacementRequestSchema) } },
    responses: { 200: { description: 'the candidates, best first', ...json(PlacementSchema) }, ...jsonErrors(...NATIVE_COMMON) },
  });

  // ---- Mesos-compatible endpoints, each with and without /master ----
  const schedule = messageSchema(ScheduleDescriptor);
  const machineList = z.array(messageSchema(MachineIdDescriptor));
  for (const prefix of ['/master', '']) {
    const tags = ['mesos'];
    registry.registerPath({
      method: 'get',
      path: `${prefix}/maintenance/schedule`,
      tags,
      summary: "Mesos' maintenance schedule",
      security: authenticated,
      responses: { 200: { description: 'the schedule', ...json(MesosScheduleSchema) }, ...mesosErrors(401, 503) },
    });
    registry.registerPath({
      method: 'post',
      path: `${prefix}/maintenance/schedule`,
      tags,
      summary: 'Replace the whole schedule (Mesos rules and texts)',
      security: authenticated,
      request: { body: { required: true, description: 'mesos.maintenance.Schedule; any Content-Type', ...json(schedule) } },
      responses: { 200: { description: 'applied (empty body)' }, ...mesosErrors(...MESOS_COMMON) },
    });
    registry.registerPath({
      method: 'get',
      path: `${prefix}/maintenance/status`,
      tags,
      summary: "Mesos' ClusterStatus: draining machines with each framework's answer, down machines",
      security: authenticated,
      responses: { 200: { description: 'the status', ...json(MesosClusterStatusSchema) }, ...mesosErrors(401, 503) },
    });
    for (const [action, summary] of [
      ['down', 'DRAINING machines to DOWN (hard drain)'],
      ['up', 'DOWN machines to UP, out of the schedule'],
    ] as const) {
      registry.registerPath({
        method: 'post',
        path: `${prefix}/machine/${action}`,
        tags,
        summary,
        security: authenticated,
        request: { body: { required: true, description: 'a JSON array of MachineID; any Content-Type', ...json(machineList) } },
        responses: { 200: { description: 'done (empty body)' }, ...mesosErrors(...MESOS_COMMON) },
      });
    }
  }
  registry.registerPath({
    method: 'post',
    path: '/api/v1',
    tags: ['mesos'],
    summary: "Mesos' v1 operator API (JSON)",
    description: `Served: ${IMPLEMENTED_CALL_TYPES.join(', ')}; other known call types answer 501. Content-Type must be exactly application/json.`,
    security: authenticated,
    request: { body: { required: true, description: 'mesos.v1.master.Call', ...json(messageSchema(CallDescriptor)) } },
    responses: {
      200: { description: 'GET_* calls: mesos.v1.master.Response; mutations: empty body', ...json(OperatorResponseSchema) },
      ...mesosErrors(...MESOS_COMMON, 406, 415, 501),
    },
  });

  // ---- operations ----
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    tags: ['operations'],
    summary: 'Whether Temporal answers and a worker polls the task queue',
    security: [],
    responses: {
      200: { description: 'healthy', ...json(HealthSchema) },
      503: { description: 'Temporal unreachable or no worker polling', ...json(HealthSchema) },
      ...jsonErrors(400, 413, 415),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: "Prometheus metrics: the fleet's machines per mode and open inverse offers, read from Temporal (docs/operations.md)",
    security: [],
    responses: {
      200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'This document',
    security: [],
    responses: { 200: { description: 'the OpenAPI 3.1 document', content: { 'application/json': { schema: z.looseObject({}) } } } },
  });
}

let cached: object | undefined;

/** The document (built once: it depends on nothing but the code). */
export function openApiDocument(): object {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registerPaths(registry);
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'maint',
      version: '0.1.0',
      description:
        'Durable maintenance and drain orchestration: the native API, the scheduler API for frameworks and the ' +
        "Mesos-compatible maintenance endpoints. Native errors are JSON ({error, message, field?}); Mesos' are plain text.",
    },
    security: authenticated,
  });
  return cached;
}
