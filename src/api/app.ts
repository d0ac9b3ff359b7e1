// The Express app: routes per surface, one error mapper. Built from its dependencies so tests build their own.
import type { Client } from '@temporalio/client';
import express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { FrameworkService } from '../service/frameworks';
import type { AgentService } from '../service/agents';
import type { MachineService } from '../service/machines';
import type { MaintenanceService } from '../service/maintenance';
import type { WindowService } from '../service/windows';
import { jsonBodiesOnly, jsonErrors, unknownRoute } from './errors';
import { Guard, type Security } from './auth';
import { healthRoutes } from './health';
import { machineRoutes } from './native/machines';
import { windowRoutes } from './native/windows';
import { schedulerRoutes } from './scheduler/routes';
import { EventStreams } from './scheduler/stream';
import { frameworkRoutes } from './native/frameworks';
import { mesosErrors } from './mesos/http';
import { operatorApiRoutes } from './mesos/operator-v1';
import { MesosOperations, mesosRoutes } from './mesos/routes';
import { openApiRoutes } from './openapi/routes';
import { requestLog } from '../observability/request-log';
import { metricsRoutes } from './metrics';

export interface AppDeps {
  client: Client;
  taskQueue: string;
  windows: WindowService;
  machines: MachineService;
  frameworks: FrameworkService;
  maintenance: MaintenanceService;
  agents: AgentService;
  logger: Logger;
  security: Security;
  /** The open event streams, for the process to end them on shutdown; the app makes its own when not given. */
  streams?: EventStreams;
  /** Served on GET /metrics (open, as /healthz: it holds counts and framework ids, never a secret); none: no route. */
  metrics?: Registry;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const guard = new Guard(deps.security);
  app.use(requestLog({ logger: deps.logger, principal: (req) => guard.principal(req) }));
  if (deps.metrics) app.use(metricsRoutes(deps.metrics));
  app.use(openApiRoutes());
  // Mesos' endpoints first: they read their bodies themselves and answer in Mesos' own form.
  const mesos = new MesosOperations(deps.maintenance, guard);
  app.use(mesosRoutes(mesos, guard), operatorApiRoutes(mesos, deps.agents, guard), mesosErrors(deps.logger));
  // Credentials are checked before the body is read (Mesos: 401 comes first), frameworks' as operators'.
  app.use(['/api/v1/windows', '/api/v1/machines', '/api/v1/frameworks', '/api/v1/scheduler'], guard.authenticate);
  app.use(jsonBodiesOnly);
  app.use(express.json({ limit: '1mb' }));
  app.use(healthRoutes(deps.client, deps.taskQueue));
  app.use('/api/v1', windowRoutes(deps.windows, guard));
  app.use('/api/v1', machineRoutes(deps.machines, guard));
  app.use('/api/v1', frameworkRoutes(deps.frameworks));
  const streams = deps.streams ?? new EventStreams();
  app.use('/api/v1', schedulerRoutes({ frameworks: deps.frameworks, guard, streams, logger: deps.logger }));
  app.use(unknownRoute);
  app.use(jsonErrors(deps.logger));
  return app;
}

