// --watch frames: redrawn in place on a terminal, a snapshot per change to a pipe, one JSON line per change with
// -o json; the loop ends when the source is finished or on Ctrl-C.
import { FrameWriter, watch, type WatchSource } from '../../src/cli/watch';

const NOW = Date.parse('2026-11-27T14:00:00Z');

test('on a terminal every read redraws the frame in place: cursor up over the last frame, clear, draw', () => {
  const w = FrameWriter.for('table', { isTTY: true, columns: 80 });
  expect(w.start).toBe('\x1b[?25l');
  expect(w.next({ a: 1 }, () => 'one\ntwo', NOW)).toBe('one\ntwo\n');
  // Same state: still redrawn (the countdowns move), over the two lines drawn before.
  expect(w.next({ a: 1 }, () => 'one\ntwo (1s later)\nthree', NOW + 1000)).toBe('\x1b[2A\r\x1b[Jone\ntwo (1s later)\nthree\n');
  expect(w.next({ a: 2 }, () => 'x', NOW + 2000)).toBe('\x1b[3A\r\x1b[Jx\n');
  expect(w.end).toBe('\x1b[?25h');
});

test('on a terminal, lines wider than it are cut (a wrapped line would break the redraw), colour codes kept whole', () => {
  const w = FrameWriter.for('table', { isTTY: true, columns: 11 });
  expect(w.next({}, () => `0123456789abcdef\n\x1b[33mDRAINING\x1b[0m and more`, NOW)).toBe('0123456789\x1b[0m\n\x1b[33mDRAINING\x1b[0m a\x1b[0m\n');
});

test('to a pipe or file: a snapshot with its time only when the state changed', () => {
  const w = FrameWriter.for('table', { isTTY: false });
  expect(w.start).toBe('');
  expect(w.next({ mode: 'DRAINING' }, () => 'frame 1', NOW)).toBe('# 2026-11-27T14:00:00.000Z\nframe 1\n\n');
  expect(w.next({ mode: 'DRAINING' }, () => 'frame 1 later', NOW + 1000)).toBe('');
  expect(w.next({ mode: 'DOWN' }, () => 'frame 2', NOW + 2000)).toBe('# 2026-11-27T14:00:02.000Z\nframe 2\n\n');
  expect(w.end).toBe('');
});

test('-o json: one compact JSON object per line per change (NDJSON), int64 exact, on a terminal too', () => {
  const w = FrameWriter.for('json', { isTTY: true, columns: 80 });
  const frame = () => {
    throw new Error('no table frame for JSON');
  };
  expect(w.next({ n: 1443830400000000001n, mode: 'DRAINING' }, frame, NOW)).toBe('{"n":1443830400000000001,"mode":"DRAINING"}\n');
  expect(w.next({ n: 1443830400000000001n, mode: 'DRAINING' }, frame, NOW)).toBe('');
  expect(w.next({ n: 1443830400000000001n, mode: 'DOWN' }, frame, NOW)).toBe('{"n":1443830400000000001,"mode":"DOWN"}\n');
  expect(w.start + w.end).toBe('');
});

function source(states: string[]): WatchSource<{ mode: string }> & { reads: number } {
  const s = {
    reads: 0,
    read: async () => ({ mode: states[Math.min(s.reads++, states.length - 1)] }),
    render: (v: { mode: string }) => `mode ${v.mode}`,
    finished: (v: { mode: string }) => v.mode === 'UP',
  };
  return s;
}

test('the loop reads every interval, writes changes, and ends finished with the final state written', async () => {
  let out = '';
  const src = source(['DRAINING', 'DRAINING', 'DOWN', 'UP']);
  const end = await watch(
    src,
    { format: 'json', intervalMs: 5, now: () => NOW, signal: new AbortController().signal },
    { isTTY: false, write: (t) => void (out += t) },
  );
  expect(end).toBe('finished');
  expect(src.reads).toBe(4);
  expect(out).toBe('{"mode":"DRAINING"}\n{"mode":"DOWN"}\n{"mode":"UP"}\n');
});

test('Ctrl-C ends the loop as interrupted, and a terminal gets its cursor back', async () => {
  let out = '';
  const ctrlC = new AbortController();
  const src = source(['DRAINING']);
  const watching = watch(src, { format: 'table', intervalMs: 10_000, now: () => NOW, signal: ctrlC.signal }, {
    isTTY: true,
    columns: 80,
    write: (t) => void (out += t),
  });
  await new Promise((r) => setTimeout(r, 20));
  ctrlC.abort();
  expect(await watching).toBe('interrupted');
  expect(out).toBe('\x1b[?25lmode DRAINING\n\x1b[?25h');
});

test('a read that fails ends the watch with its error (the caller maps it to an exit code)', async () => {
  const failing: WatchSource<never> = { read: () => Promise.reject(new Error('gone')), render: () => '', finished: () => true };
  await expect(
    watch(failing, { format: 'table', intervalMs: 5, now: () => NOW, signal: new AbortController().signal }, { isTTY: false, write: () => {} }),
  ).rejects.toThrow('gone');
});
