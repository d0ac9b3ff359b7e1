// --watch: read again every interval and show what changed. On a terminal one frame is redrawn in place (the
// countdowns move every second); to a file or pipe a snapshot is printed only when the state changed; with
// `-o json` one JSON object per line (NDJSON) per change. Ends when the source says it is finished, or on Ctrl-C.
import { json, type Format } from './render';

export interface WatchSource<T> {
  read(): Promise<T>;
  /** The frame for people, at `nowMs`. */
  render(value: T, nowMs: number): string;
  finished(value: T): boolean;
}

export interface WatchTarget {
  write(text: string): void;
  isTTY: boolean;
  columns?: number;
}

export type WatchEnd = 'finished' | 'interrupted';

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/** Turns successive states into what to write: the part of --watch that has no clock and no I/O. */
export class FrameWriter {
  private lines = 0;
  private last: string | undefined;

  constructor(
    private readonly mode: 'redraw' | 'snapshots' | 'ndjson',
    private readonly columns = 0,
  ) {}

  static for(format: Format, target: { isTTY: boolean; columns?: number }): FrameWriter {
    if (format === 'json') return new FrameWriter('ndjson');
    return target.isTTY ? new FrameWriter('redraw', target.columns ?? 0) : new FrameWriter('snapshots');
  }

  /** What to write for this state ('' when nothing is to be written). `frame` is only called when needed. */
  next(value: unknown, frame: () => string, nowMs: number): string {
    const key = json(value, true);
    const changed = key !== this.last;
    this.last = key;
    switch (this.mode) {
      case 'ndjson':
        return changed ? `${key}\n` : '';
      case 'snapshots':
        return changed ? `# ${new Date(nowMs).toISOString()}\n${frame()}\n\n` : '';
      case 'redraw': {
        // Lines longer than the terminal would wrap and the cursor would not go back far enough: cut them.
        const rows = frame()
          .split('\n')
          .map((l) => (this.columns > 1 ? cut(l, this.columns - 1) : l));
        const up = this.lines > 0 ? `\x1b[${this.lines}A\r\x1b[J` : '';
        this.lines = rows.length;
        return `${up}${rows.join('\n')}\n`;
      }
    }
  }

  get start(): string {
    return this.mode === 'redraw' ? HIDE_CURSOR : '';
  }

  get end(): string {
    return this.mode === 'redraw' ? SHOW_CURSOR : '';
  }
}

/** Cuts to `width` visible characters, keeping colour codes whole and resetting colour if it cut. */
function cut(line: string, width: number): string {
  let out = '';
  let seen = 0;
  for (let i = 0; i < line.length; ) {
    const esc = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (seen === width) return `${out}\x1b[0m`;
    out += ch;
    seen += 1;
    i += ch.length;
  }
  return out;
}

export async function watch<T>(
  source: WatchSource<T>,
  options: { format: Format; intervalMs: number; now(): number; signal: AbortSignal },
  target: WatchTarget,
): Promise<WatchEnd> {
  const writer = FrameWriter.for(options.format, target);
  const interrupted = new Promise<'interrupted'>((resolve) => {
    if (options.signal.aborted) resolve('interrupted');
    options.signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });
  target.write(writer.start);
  try {
    for (;;) {
      const value = await Promise.race([source.read(), interrupted]);
      if (value === 'interrupted') return 'interrupted';
      const now = options.now();
      target.write(writer.next(value, () => source.render(value, now), now));
      if (source.finished(value)) return 'finished';
      let timer: NodeJS.Timeout | undefined;
      const woke = await Promise.race([new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), options.intervalMs))), interrupted]);
      clearTimeout(timer);
      if (woke === 'interrupted') return 'interrupted';
    }
  } finally {
    target.write(writer.end);
  }
}
