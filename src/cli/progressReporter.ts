import type { BackfillProgress } from '../export/runBackfill';
import {
  formatProgressBar,
  formatProgressLine,
  formatWaitLine,
  SHOWN_WAIT_MS,
  type ProgressView,
} from './backfillProgress';

/** Where the reporter draws: stderr of a terminal (a bar redrawn in place) or not (plain lines). */
export interface ProgressOutput {
  readonly tty: boolean;
  /** Terminal width, read at each draw (the window may be resized). */
  columns(): number;
  write(text: string): void;
  now(): number;
}

/** Where a job stands when this invocation starts (a resumed job does not start at 0%). */
export interface ProgressStart {
  readonly fraction: number;
  readonly pages: number;
  readonly incidents: number;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * A backfill's progress for a person: on a terminal one bar, redrawn in place, with log lines printed above
 * it instead of into it, a countdown while the run waits for the API quota, and a word once Ctrl+C was
 * pressed; elsewhere one plain line per page and per wait.
 */
export class ProgressReporter {
  private view: ProgressView;
  private readonly startedMs: number;
  private waitEndsMs: number | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly start: ProgressStart,
    private readonly output: ProgressOutput,
  ) {
    this.startedMs = output.now();
    this.view = {
      fraction: start.fraction,
      pages: start.pages,
      incidents: start.incidents,
      ratePerSecond: 0,
      etaMs: undefined,
      waitingMs: undefined,
      stopping: false,
    };
    if (output.tty) this.draw();
  }

  /** After each page. */
  update({ job, fraction }: BackfillProgress): void {
    const elapsedMs = Math.max(1, this.output.now() - this.startedMs);
    const covered = fraction - this.start.fraction;
    this.endWait();
    this.view = {
      ...this.view,
      fraction,
      pages: job.pages,
      incidents: job.incidents,
      ratePerSecond: ((job.incidents - this.start.incidents) * 1000) / elapsedMs,
      etaMs: covered > 0 ? (elapsedMs / covered) * (1 - fraction) : undefined,
    };
    if (this.output.tty) this.draw();
    else this.output.write(`${formatProgressLine(this.view)}\n`);
  }

  /** A wait before the next request starts (pacing, Retry-After, backoff). */
  waiting(waitMs: number): void {
    if (waitMs < SHOWN_WAIT_MS) return;
    this.waitEndsMs = this.output.now() + waitMs;
    if (!this.output.tty) {
      this.output.write(`${formatWaitLine(waitMs)}\n`);
      return;
    }
    this.ticker ??= setInterval(() => this.draw(), 1_000);
    this.ticker.unref();
    this.draw();
  }

  /** Ctrl+C was pressed once. */
  stopping(): void {
    this.endWait();
    this.view = { ...this.view, stopping: true };
    if (this.output.tty) this.draw();
  }

  /** A log or error line: above the bar on a terminal. */
  log(line: string): void {
    if (!this.output.tty || !this.drawn) {
      this.output.write(`${line}\n`);
      return;
    }
    this.output.write(`${CLEAR_LINE}${line}\n`);
    this.draw();
  }

  /** Leaves the last bar on its line. */
  stop(): void {
    this.endWait();
    if (this.output.tty && this.drawn) this.output.write('\n');
    this.drawn = false;
  }

  private endWait(): void {
    this.waitEndsMs = undefined;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private draw(): void {
    const waitingMs = this.waitEndsMs === undefined ? undefined : Math.max(0, this.waitEndsMs - this.output.now());
    this.output.write(`${CLEAR_LINE}${formatProgressBar({ ...this.view, waitingMs }, this.output.columns())}`);
    this.drawn = true;
  }
}
