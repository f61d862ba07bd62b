/** Where a progress bar writes: process.stdout by default. `isTTY` picks the redrawn bar over log lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Steps (batches or iterations) this bar counts to. */
  total: number;
  /** Shown at the start of every line, e.g. "epoch 2/5". */
  label?: string;
  /** Default process.stdout. */
  stream?: ProgressStream;
  /** Force the redrawn bar (true) or plain lines (false); default: the stream's isTTY. */
  tty?: boolean;
  /** Without a TTY: a log line every this many steps (default: about ten lines per bar, plus the last step). */
  logEvery?: number;
  /** Without a TTY, print nothing (for examples that log their own lines and want the bar only in a terminal). */
  silentWithoutTty?: boolean;
  /** What throughput counts (default "samples"). */
  unit?: string;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** One snapshot of a bar: what both renderings show. */
export interface ProgressState {
  step: number;
  total: number;
  /** Mean loss over the steps since the previous plain line (the whole bar for the final one). */
  loss: number;
  /** Samples per second since the bar started. */
  throughput: number;
  elapsedMs: number;
}

const BAR_WIDTH = 24;

function fmtRate(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/**
 * A training progress bar: in a terminal, one line redrawn in place with a bar, the running loss,
 * throughput and time left; elsewhere (CI, pipes, files) plain log lines now and then.
 *
 *   const bar = new Progress({ total: batches, label: 'epoch 1/3' });
 *   for (...) bar.tick(batchSize, loss);
 *   bar.done();
 */
export class Progress {
  private readonly total: number;
  private readonly label: string;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly logEvery: number;
  private readonly silent: boolean;
  private readonly unit: string;
  private readonly now: () => number;
  private readonly start: number;
  private step = 0;
  private samples = 0;
  private lossSum = 0;
  private lossCount = 0;
  private windowSum = 0;
  private windowCount = 0;
  private smoothed = Number.NaN;
  private lastDraw = -Infinity;
  private finished = false;

  constructor(opts: ProgressOptions) {
    if (!Number.isInteger(opts.total) || opts.total < 1) throw new RangeError(`Progress: expected a positive integer total, got ${opts.total}`);
    this.total = opts.total;
    this.label = opts.label ?? '';
    this.stream = opts.stream ?? process.stdout;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.logEvery = opts.logEvery ?? Math.max(1, Math.ceil(opts.total / 10));
    this.silent = !this.tty && opts.silentWithoutTty === true;
    this.unit = opts.unit ?? 'samples';
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Records one step that processed `samples` examples with this loss (NaN or omitted: no loss). */
  tick(samples: number, loss = Number.NaN): void {
    this.step++;
    this.samples += samples;
    if (Number.isFinite(loss)) {
      this.lossSum += loss;
      this.lossCount++;
      this.windowSum += loss;
      this.windowCount++;
      this.smoothed = Number.isNaN(this.smoothed) ? loss : 0.9 * this.smoothed + 0.1 * loss;
    }
    if (this.tty) {
      const t = this.now();
      if (t - this.lastDraw >= 80 || this.step === this.total) {
        this.lastDraw = t;
        this.stream.write(`\r\x1b[K${this.barLine()}`);
      }
    } else if (!this.silent && (this.step % this.logEvery === 0 || this.step === this.total)) {
      this.stream.write(`${this.plainLine(this.windowCount > 0 ? this.windowSum / this.windowCount : Number.NaN)}\n`);
      this.windowSum = 0;
      this.windowCount = 0;
    }
  }

  /** The current numbers (loss averaged over the whole bar). */
  state(): ProgressState {
    const elapsedMs = this.now() - this.start;
    return {
      step: this.step,
      total: this.total,
      loss: this.lossCount > 0 ? this.lossSum / this.lossCount : Number.NaN,
      throughput: elapsedMs > 0 ? (this.samples * 1000) / elapsedMs : 0,
      elapsedMs,
    };
  }

  /** Ends the bar (a newline in a terminal) and returns its final numbers. Idempotent. */
  done(): ProgressState {
    const s = this.state();
    if (!this.finished) {
      this.finished = true;
      if (this.tty) this.stream.write(`\r\x1b[K${this.barLine()}\n`);
      else if (!this.silent && this.step % this.logEvery !== 0 && this.step !== this.total) this.stream.write(`${this.plainLine(s.loss)}\n`);
    }
    return s;
  }

  /** Prints a line of its own above the bar (in a terminal the bar is cleared and redrawn below it). */
  print(line: string): void {
    if (this.tty && !this.finished) {
      this.stream.write(`\r\x1b[K${line}\n`);
      if (this.step > 0) this.stream.write(this.barLine());
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  private prefix(): string {
    return this.label === '' ? '' : `${this.label} `;
  }

  private barLine(): string {
    const s = this.state();
    const frac = Math.min(1, s.step / s.total);
    const filled = Math.round(frac * BAR_WIDTH);
    const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (frac < 1 ? '>' : '=') : ''}${' '.repeat(BAR_WIDTH - filled)}]`;
    const loss = Number.isNaN(this.smoothed) ? '' : ` loss ${this.smoothed.toFixed(4)}`;
    const left = s.step > 0 && s.step < s.total ? ` eta ${fmtSeconds((s.elapsedMs / s.step) * (s.total - s.step))}` : ` ${fmtSeconds(s.elapsedMs)}`;
    const line = `${this.prefix()}${bar} ${s.step}/${s.total}${loss} ${fmtRate(s.throughput)} ${this.unit}/s${left}`;
    const cols = this.stream.columns;
    return cols !== undefined && cols > 20 && line.length >= cols ? line.slice(0, cols - 1) : line;
  }

  private plainLine(loss: number): string {
    const s = this.state();
    const l = Number.isNaN(loss) ? '' : ` loss ${loss.toFixed(4)}`;
    return `${this.prefix()}step ${s.step}/${s.total}${l} ${fmtRate(s.throughput)} ${this.unit}/s ${fmtSeconds(s.elapsedMs)}`;
  }
}

/** A stream that drops everything (quiet runs). */
export const NULL_STREAM: ProgressStream = { write: () => true, isTTY: false };
