import { formatProgressBar, formatProgressLine, type ProgressView } from '../../src/cli/backfillProgress';
import { ProgressReporter, type ProgressOutput } from '../../src/cli/progressReporter';
import { jobProgress } from '../../src/cli/commands/backfill';
import type { BackfillJob } from '../../src/export/backfillJob';
import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';

const time = (text: string): Timestamp => requireTimestamp(text, 'test time');

const view = (changes: Partial<ProgressView> = {}): ProgressView => ({
  fraction: 0.42,
  pages: 12,
  incidents: 1143,
  ratePerSecond: 410.4,
  etaMs: 185_000,
  waitingMs: undefined,
  stopping: false,
  ...changes,
});

const job = (changes: Partial<BackfillJob> = {}): BackfillJob => {
  const base: BackfillJob = {
    schemaVersion: 1,
    id: 'job',
    from: time('2026-11-20T00:00:00Z'),
    to: time('2026-11-21T00:00:00Z'),
    status: 'running',
    skip: 0,
    incidents: 0,
    pages: 0,
    blobs: [],
    createdAt: '',
    updatedAt: '',
    requestedBy: 'cli',
  };
  return { ...base, ...changes };
};

/** Carriage return and erase line: the bar is redrawn in place. */
const CLEAR_LINE = '\r\u001b[2K';

/** A terminal that records what was written and whose clock the test moves. */
function fakeTerminal(tty: boolean): ProgressOutput & { written: string; nowMs: number } {
  const terminal = {
    tty,
    written: '',
    nowMs: 0,
    columns: () => 120,
    write: (text: string) => (terminal.written += text),
    now: () => terminal.nowMs,
  };
  return terminal;
}

describe('the backfill progress bar', () => {
  it('shows the share, pages, incidents, rate and time left', () => {
    expect(formatProgressBar(view(), 200)).toBe(
      'backfill [█████████████░░░░░░░░░░░░░░░░░] 42% | 12 pages | 1,143 incidents | 410/s | ETA 3 min 5 s',
    );
  });

  it('says it waits for the API quota, with the seconds left, instead of freezing', () => {
    expect(formatProgressBar(view({ waitingMs: 42_300 }), 200)).toMatch(
      /\| 410\/s \| waiting for the API quota: 43 s$/,
    );
  });

  it('says it is stopping once Ctrl+C was pressed', () => {
    expect(formatProgressBar(view({ stopping: true, waitingMs: 42_300 }), 200)).toMatch(
      /\| stopping at the next page boundary$/,
    );
  });

  it('is cut to the terminal width so it never wraps', () => {
    expect(formatProgressBar(view(), 60)).toHaveLength(59);
  });

  it('keeps the key=value line off a terminal', () => {
    expect(formatProgressLine(view())).toBe('progress: 42.0% pages=12 incidents=1143 rate=410/s eta=185s');
  });

  it('starts a resumed job at the share of the window it already covered', () => {
    expect(jobProgress(job({ cursor: time('2026-11-20T18:00:00Z'), incidents: 300, pages: 3 }))).toEqual({
      fraction: 0.25,
      pages: 3,
      incidents: 300,
    });
    expect(jobProgress(job())).toEqual({ fraction: 0, pages: 0, incidents: 0 });
  });
});

describe('ProgressReporter on a terminal', () => {
  it('draws the bar at once from where a resumed job stood', () => {
    const terminal = fakeTerminal(true);

    new ProgressReporter({ fraction: 0.25, pages: 3, incidents: 300 }, terminal);

    expect(terminal.written).toBe(
      `${CLEAR_LINE}backfill [${'█'.repeat(8)}${'░'.repeat(22)}] 25% | 3 pages | 300 incidents | 0/s | ETA ?`,
    );
  });

  it('prints a log line above the bar and redraws the bar below it, instead of writing into it', () => {
    const terminal = fakeTerminal(true);
    const reporter = new ProgressReporter({ fraction: 0, pages: 0, incidents: 0 }, terminal);
    terminal.written = '';

    reporter.log('2026-11-27T08:00:00.000Z warn  The Defender XDR incidents API stops working after 2027-02-01');

    const [logLine, bar] = terminal.written.split('\n');
    expect(logLine).toBe(
      `${CLEAR_LINE}2026-11-27T08:00:00.000Z warn  The Defender XDR incidents API stops working after 2027-02-01`,
    );
    expect(bar?.startsWith(`${CLEAR_LINE}backfill [`)).toBe(true);
  });

  it('counts the rate and time left from this invocation only', () => {
    const terminal = fakeTerminal(true);
    const reporter = new ProgressReporter({ fraction: 0.5, pages: 5, incidents: 500 }, terminal);
    terminal.nowMs = 10_000;

    reporter.update({ job: job({ incidents: 600, pages: 6 }), fraction: 0.75 });

    expect(terminal.written).toMatch(/75% \| 6 pages \| 600 incidents \| 10\/s \| ETA 10 s$/);
  });
});

describe('ProgressReporter off a terminal', () => {
  it('prints one line per wait worth a word, and none for the pacer’s millisecond polls', () => {
    const terminal = fakeTerminal(false);
    const reporter = new ProgressReporter({ fraction: 0, pages: 0, incidents: 0 }, terminal);

    reporter.waiting(10);
    reporter.waiting(43_000);

    expect(terminal.written).toBe('progress: waiting for the API quota: 43 s\n');
  });
});
