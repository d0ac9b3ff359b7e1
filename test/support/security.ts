// Mesos credentials and ACL files for a test stack: written to a temporary folder, named by the environment
// variables maint reads.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function securityEnv(secrets: Record<string, string>, acls: object): { MAINT_CREDENTIALS: string; MAINT_ACLS: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'maint-security-'));
  const credentials = path.join(dir, 'credentials.json');
  const aclFile = path.join(dir, 'acls.json');
  writeFileSync(credentials, JSON.stringify({ credentials: Object.entries(secrets).map(([principal, secret]) => ({ principal, secret })) }));
  writeFileSync(aclFile, JSON.stringify(acls));
  return { MAINT_CREDENTIALS: credentials, MAINT_ACLS: aclFile };
}
