// GET /openapi.json: open to everyone, like /healthz, so that tools can discover the API before holding credentials.
import { Router } from 'express';
import { methodNotAllowed } from '../errors';
import { openApiDocument } from './document';

export const OPENAPI_PATH = '/openapi.json';

export function openApiRoutes(): Router {
  const router = Router();
  router
    .route(OPENAPI_PATH)
    .get((_req, res) => void res.json(openApiDocument()))
    .all(methodNotAllowed);
  return router;
}
