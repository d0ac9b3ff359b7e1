// Workflows for scripts/repro-query-split.ts (bundled from dist by that script; not part of maint).
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export const wakeSignal = defineSignal('wake');
export const phaseQuery = defineQuery<string>('phase');

const { timerPath, signalPath } = proxyActivities<{ timerPath(): Promise<string>; signalPath(): Promise<string> }>({
  startToCloseTimeout: '10s',
});

/**
 * The shape of maint's `waitWhileDown`: the path taken depends on which promise won, the signal or the timer, so the
 * commands depend on whether the timer and the signal are seen in one activation or in two.
 */
export async function querySplitWorkflow(waitMs: number): Promise<string> {
  let signalled = false;
  let phase = 'waiting';
  setHandler(wakeSignal, () => {
    signalled = true;
  });
  setHandler(phaseQuery, () => phase);
  const woken = await condition(() => signalled, waitMs);
  phase = woken ? 'signal-path' : 'timer-path';
  return woken ? await signalPath() : await timerPath();
}

/** Keeps a worker's only workflow slot busy: a deterministic CPU loop per task, like a cold replay under load. */
export async function fillerWorkflow(iterations: number): Promise<number> {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) | 0;
  return x;
}
