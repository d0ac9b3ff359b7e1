// Debian's Chromium for the browser test, driven by playwright-core: nothing is ever downloaded. CHROMIUM_PATH names
// another build; without one the test fails and says how to install it (a skipped browser test proves nothing).
import { accessSync, constants } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const wanted = env.CHROMIUM_PATH;
  if (wanted) {
    if (executable(wanted)) return wanted;
    throw new Error(`CHROMIUM_PATH=${wanted} is not an executable file: point it at a Chromium, or unset it to use ${CANDIDATES[0]}`);
  }
  const found = CANDIDATES.find(executable);
  if (found) return found;
  throw new Error(
    `No Chromium found (looked at ${CANDIDATES.join(', ')}). Install Debian's package: ` +
      '`sudo apt-get update && sudo apt-get install -y chromium` (.ci/run does it), or set CHROMIUM_PATH to a Chromium binary.',
  );
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
