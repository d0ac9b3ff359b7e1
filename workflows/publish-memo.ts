// Publishing a workflow's state in its memo when it changed (patched: state-in-memo): one upsert, one history event,
// per change; the readers are in src/temporal/published-state.ts.
import { patched, upsertMemo } from '@temporalio/workflow';
import { STATE_IN_MEMO } from './patches';

/**
 * A function that publishes `value` under `key`, as `toMemo` turns its JSON, unless it is what was published last.
 * `inMemo` says whether the run publishes at all (the state-in-memo patch, or a baseline standing for it).
 */
export function memoPublisher(
  key: string,
  toMemo: (text: string) => unknown,
  inMemo: () => boolean = () => patched(STATE_IN_MEMO),
): (value: unknown) => void {
  let published = '';
  return (value) => {
    if (!inMemo()) return;
    const text = JSON.stringify(value);
    if (text === published) return;
    published = text;
    upsertMemo({ [key]: toMemo(text) });
  };
}
