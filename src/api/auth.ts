// Authentication (HTTP Basic against Mesos' credentials file) and authorisation (Mesos' ACLs) for operator actions.
// Without a credentials file the API is open and every caller is "anonymous"; without an ACL file every
// authenticated principal may do everything.
import type { Request, RequestHandler } from 'express';
import { authenticate, type Credentials } from '../auth/credentials';
import { authorized, type Acls, type MaintenanceAction } from '../auth/acls';
import { ErrorCode, MaintError } from '../domain/errors';

export interface Security {
  credentials?: Credentials;
  acls?: Acls;
}

const PRINCIPAL = Symbol('principal');
type WithPrincipal = Request & { [PRINCIPAL]?: string };

export class Guard {
  constructor(private readonly security: Security) {}

  /** Before the body is read: 401 without valid credentials, when credentials are configured. */
  readonly authenticate: RequestHandler = (req, res, next) => {
    if (!this.security.credentials) return next();
    const principal = authenticate(this.security.credentials, req.headers.authorization);
    if (principal === undefined) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Basic realm="maint"')
        .json({ error: 'UNAUTHENTICATED', message: 'send valid HTTP Basic credentials' });
      return;
    }
    (req as WithPrincipal)[PRINCIPAL] = principal;
    next();
  };

  /** The authenticated principal, undefined when authentication is off. */
  principal(req: Request): string | undefined {
    return (req as WithPrincipal)[PRINCIPAL];
  }

  /** Who is recorded as having made a change. */
  actor(req: Request): string {
    return this.principal(req) ?? 'anonymous';
  }

  may(req: Request, action: MaintenanceAction): boolean {
    return !this.security.acls || authorized(this.security.acls, action, this.principal(req));
  }

  /** After validation, before any change: 403 when the ACLs refuse the principal this action. */
  require(req: Request, action: MaintenanceAction): void {
    if (!this.may(req, action)) {
      throw new MaintError(ErrorCode.FORBIDDEN, `principal ${this.actor(req)} may not ${action.replace(/_/g, ' ')}`);
    }
  }
}
