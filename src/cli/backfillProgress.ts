import { formatDuration } from './humanUnits';

/** What the progress display shows at one moment. */
export interface ProgressView {
  /** Share of the window covered, 0 to 1 (a resumed job starts where it stood). */
  readonly fraction: number;
  readonly pages: number;
  readonly incidents: number;
  /** Incidents per second in this invocation. */
  readonly ratePerSecond: number;
  /** Time left at this invocation's pace; undefined until there is a pace. */
  readonly etaMs: number | undefined;
  /** Time left of a wait before the next request (API quota); undefined when not waiting. */
  readonly waitingMs: number | undefined;
  /** Ctrl+C was pressed: the run stops at the next page boundary. */
  readonly stopping: boolean;
}

const BAR_CELLS = 30;
/** Waits shorter than this are not worth a word (the pacer polls in-flight slots every few milliseconds). */
export const SHOWN_WAIT_MS = 1_000;

function seconds(ms: number): string {
  return formatDuration(Math.ceil(ms / 1000) * 1000);
}

/** The figures both displays share: `42% | 12 pages | 1,143 incidents | 410/s | ETA 3 min 5 s` or `... | waiting for the API quota: 43 s`. */
function figures(view: ProgressView): string[] {
  const state = view.stopping
    ? 'stopping at the next page boundary'
    : view.waitingMs !== undefined
      ? `waiting for the API quota: ${seconds(view.waitingMs)}`
      : `ETA ${view.etaMs === undefined ? '?' : seconds(view.etaMs)}`;
  return [
    `${Math.floor(view.fraction * 100)}%`,
    `${view.pages} page${view.pages === 1 ? '' : 's'}`,
    `${view.incidents.toLocaleString('en-US')} incident${view.incidents === 1 ? '' : 's'}`,
    `${Math.round(view.ratePerSecond)}/s`,
    state,
  ];
}

/** The bar on a terminal, cut to `columns` so it never wraps (a wrapped line cannot be redrawn in place). */
export function formatProgressBar(view: ProgressView, columns: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, view.fraction)) * BAR_CELLS);
  const line = `backfill [${'█'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)}] ${figures(view).join(' | ')}`;
  return line.length < columns ? line : line.slice(0, Math.max(0, columns - 1));
}

/** One plain line per page off a terminal (CI logs, a file), in the key=value form scripts can read. */
export function formatProgressLine(view: ProgressView): string {
  return (
    `progress: ${(view.fraction * 100).toFixed(1)}% pages=${view.pages} incidents=` +
    `${view.incidents} rate=${Math.round(view.ratePerSecond)}/s eta=` +
    `${view.etaMs === undefined ? '?' : `${Math.round(view.etaMs / 1000)}s`}`
  );
}

/** Off a terminal, a wait is one line when it starts. */
export function formatWaitLine(waitMs: number): string {
  return `progress: waiting for the API quota: ${seconds(waitMs)}`;
}
