// Mesos' ACLs for the maintenance actions, evaluated as Mesos' local authorizer does
// (src/authorizer/local/authorizer.cpp): the first ACL whose subject and object both *match* the request decides,
// by whether both *allow* it; when none matches, `permissive` decides (default true).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseJsonWith } from '../lib/json-file';

/** The Mesos ACL actions maint enforces, each with the name of its object entity in Mesos' acls.proto. */
const OBJECT_OF = {
  get_maintenance_schedules: 'machines',
  update_maintenance_schedules: 'machines',
  start_maintenances: 'machines',
  stop_maintenances: 'machines',
  get_maintenance_statuses: 'machines',
  drain_agents: 'agents',
  deactivate_agents: 'agents',
  reactivate_agents: 'agents',
  mark_agents_gone: 'agents',
} as const;
export const MAINTENANCE_ACTIONS = Object.keys(OBJECT_OF) as (keyof typeof OBJECT_OF)[];
export type MaintenanceAction = keyof typeof OBJECT_OF;

/** An ACL entity: SOME (values), ANY or NONE. */
export type Entity = { type: 'SOME'; values: string[] } | { type: 'ANY' } | { type: 'NONE' };

const EntitySchema = z
  .object({ values: z.array(z.string()).optional(), type: z.enum(['ANY', 'NONE', 'SOME']).optional() })
  .strict()
  .transform((e): Entity => {
    // As in Mesos' proto, the type defaults to SOME: an entity with no values names nobody.
    if (e.type === 'ANY' || e.type === 'NONE') return { type: e.type };
    return { type: 'SOME', values: e.values ?? [] };
  });

// The object of these ACLs (machines, agents) can only be ANY or NONE: Mesos refuses a SOME list at start-up.
const objectSchema = (name: string) =>
  EntitySchema.refine((e) => e.type !== 'SOME', `${name} may only be {"type":"ANY"} or {"type":"NONE"}`);

/** One ACL, its object entity under the name Mesos gives it (machines or agents) read as `objects`. */
export interface MaintenanceAcl {
  principals: Entity;
  objects: Entity;
}

const aclSchema = (object: string) =>
  z
    .object({ principals: EntitySchema, [object]: objectSchema(object) })
    .strict()
    .transform((acl): MaintenanceAcl => ({ principals: acl.principals as Entity, objects: acl[object] as Entity }));

const AclsFile = z
  .object({
    permissive: z.boolean().default(true),
    ...Object.fromEntries(MAINTENANCE_ACTIONS.map((a) => [a, z.array(aclSchema(OBJECT_OF[a])).default([])])),
  })
  .loose(); // other Mesos actions (run_tasks, …) may be in the same file; maint does not use them

export interface Acls {
  permissive: boolean;
  rules: Record<MaintenanceAction, MaintenanceAcl[]>;
}

export function parseAcls(text: string, source = 'acls'): Acls {
  const data = parseJsonWith(AclsFile, text, source) as Record<string, unknown> & { permissive: boolean };
  const rules = Object.fromEntries(MAINTENANCE_ACTIONS.map((a) => [a, data[a] as MaintenanceAcl[]])) as Acls['rules'];
  return { permissive: data.permissive, rules };
}

export function loadAcls(file: string): Acls {
  return parseAcls(readFileSync(file, 'utf8'), file);
}

// Match matrix (request × ACL): SOME×SOME subset, SOME×NONE yes, SOME×ANY yes, NONE×NONE yes, ANY×{ANY,NONE} yes.
function matches(request: Entity, acl: Entity): boolean {
  if (request.type === 'NONE') return acl.type === 'NONE';
  if (request.type === 'ANY') return acl.type === 'ANY' || acl.type === 'NONE';
  if (acl.type !== 'SOME') return true;
  return request.values.every((v) => acl.values.includes(v));
}

// Allow matrix: SOME×SOME subset, SOME×ANY yes, SOME×NONE no, NONE×NONE yes, ANY×ANY yes.
function allows(request: Entity, acl: Entity): boolean {
  if (request.type === 'NONE') return acl.type === 'NONE';
  if (request.type === 'ANY') return acl.type === 'ANY';
  if (acl.type === 'ANY') return true;
  if (acl.type === 'NONE') return false;
  return request.values.every((v) => acl.values.includes(v));
}

/**
 * Whether a principal (undefined: not authenticated) may take the action on a machine or agent. The object is ANY,
 * as for every one of these actions, so only principals discriminate and an object NONE denies.
 */
export function authorized(acls: Acls, action: MaintenanceAction, principal: string | undefined): boolean {
  const subject: Entity = principal === undefined ? { type: 'ANY' } : { type: 'SOME', values: [principal] };
  const object: Entity = { type: 'ANY' };
  for (const acl of acls.rules[action]) {
    if (matches(subject, acl.principals) && matches(object, acl.objects)) {
      return allows(subject, acl.principals) && allows(object, acl.objects);
    }
  }
  return acls.permissive;
}
