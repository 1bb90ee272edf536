import type { Timestamp } from '../common/timestamp';
import type { SourceStats } from '../sources/incident';
import type { ExportState, RunRecord } from './exportState';
import type { PartWriter } from './partWriter';

/** The run's outcome, logged as one structured line and printed by the CLI. */
export interface RunSummary {
  readonly runId: string;
  readonly trigger: string;
  readonly executionTime: string;
  readonly incidents: number;
  readonly duplicatesDropped: number;
  readonly blobs: readonly string[];
  readonly bytesWritten: number;
  readonly pages: number;
  readonly apiCalls: number;
  readonly throttledWaits: number;
  readonly retries: number;
  /** Graph pages exported without alerts because $expand=alerts kept failing (0 for Defender). */
  readonly alertsOmittedPages: number;
  readonly windowFrom: Timestamp;
  readonly watermarkBefore: Timestamp | undefined;
  readonly watermarkAfter: Timestamp;
  /** False when the budget ran out first: the next run continues the pull where this one stopped. */
  readonly complete: boolean;
  readonly durationMs: number;
}

/**
 * The `ExportRunSummary {json}` line each invocation logs (functions/runReport.ts) for the health
 * workbook and the alerts: a successful run's RunSummary plus these fields, or these fields alone for a
 * failed run.
 */
export interface SummaryLine {
  readonly runId: string;
  readonly trigger: string;
  /** The tenant of the run when a tenant registry is in use; absent in single-tenant mode. */
  readonly tenantId?: string;
  /** Which delivery of its queue message a queued tenant run is (1 = first); the last one failing goes to the poison queue. */
  readonly attempt?: number;
  readonly outcome: 'succeeded' | 'failed';
  /** The run's time budget (RUN_BUDGET_SECONDS, or derived from functionTimeout). */
  readonly budgetMs: number;
  readonly durationMs: number;
  /** The error code of a failed run (ExporterError.code). */
  readonly code?: string;
}

/** What a run is remembered by in the state (`lastRun`, `lastSuccess`). */
export function runRecord(
  runId: string,
  at: string,
  trigger: string,
  writer: Pick<PartWriter, 'committed'>,
): RunRecord {
  return {
    runId,
    at,
    trigger,
    incidents: writer.committed.reduce((n, p) => n + p.incidents, 0),
    blobs: writer.committed.map((p) => p.name),
  };
}

/** Everything a finished run reports, from its parts, its source's counters and its states before and after. */
export function summarise(
  run: {
    runId: string;
    trigger: string;
    started: Date;
    finished: Date;
    windowFrom: Timestamp;
    complete: boolean;
    duplicatesDropped: number;
  },
  writer: PartWriter,
  stats: SourceStats,
  before: ExportState | undefined,
  after: ExportState | undefined,
): RunSummary {
  return {
    runId: run.runId,
    trigger: run.trigger,
    executionTime: run.started.toISOString(),
    incidents: writer.committed.reduce((n, p) => n + p.incidents, 0),
    duplicatesDropped: run.duplicatesDropped,
    blobs: writer.committed.map((p) => p.name),
    bytesWritten: writer.committed.reduce((n, p) => n + p.bytes, 0),
    pages: stats.pages,
    apiCalls: stats.apiCalls,
    throttledWaits: stats.throttledWaits,
    retries: stats.retries,
    alertsOmittedPages: stats.alertsOmittedPages,
    windowFrom: run.windowFrom,
    watermarkBefore: before?.watermark,
    watermarkAfter: after?.watermark ?? run.windowFrom,
    complete: run.complete,
    durationMs: run.finished.getTime() - run.started.getTime(),
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One line a person can read, with the figures a script needs (printed by the CLI and the local host). */
export function formatSummary(summary: RunSummary): string {
  const blobs =
    summary.blobs.length === 0
      ? 'no blob (nothing new)'
      : `${plural(summary.blobs.length, 'blob')} (${summary.blobs.join(', ')})`;
  const before = summary.watermarkBefore;
  const moved =
    before === undefined ? ' (first run)' : before !== summary.watermarkAfter ? ` (was ${before})` : ' (unchanged)';
  const incomplete = summary.complete ? '' : '; incomplete: stopped at the run budget, the next run continues the pull';
  return (
    `exported ${plural(summary.incidents, 'incident')} to ${blobs}; watermark ${summary.watermarkAfter}${moved}; ` +
    `${plural(summary.pages, 'page')}, ${summary.duplicatesDropped} already exported, ` +
    `${plural(summary.throttledWaits, 'throttled wait')}, ${(summary.durationMs / 1000).toFixed(1)} s${incomplete}`
  );
}
