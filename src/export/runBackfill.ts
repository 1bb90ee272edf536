import { describeError, ExporterError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { Timestamp } from '../common/timestamp';
import { tenantMetadata } from './blobLayout';
import { BackfillJobStore, backfillJobId, type BackfillJob } from './backfillJob';
import { BackfillLedger, type BackfillProgress } from './backfillLedger';
import type { ExportDependencies } from './exportDependencies';
import { PartWriter } from './partWriter';
import { pullIntoParts, waitDeadlineMs } from './pullLoop';

export type { BackfillProgress } from './backfillLedger';

export interface BackfillOptions {
  readonly trigger: string;
  readonly logger: Logger;
  /** How long this invocation may work on the job (default: the exporter's run budget). */
  readonly budgetMs?: number;
  /** Asked before each page; false stops cleanly (Ctrl+C in the CLI). */
  readonly shouldContinue?: () => boolean;
  readonly onProgress?: (progress: BackfillProgress) => void;
  readonly abortSignal?: AbortSignal;
}

export interface BackfillResult {
  readonly job: BackfillJob;
  /** Incidents and blobs written by this invocation. */
  readonly incidents: number;
  readonly blobs: readonly string[];
  /** Why this invocation stopped before the job was complete, if it did. */
  readonly stoppedBecause?: 'budget' | 'interrupted' | 'another worker';
}

/** Creates the job for a window, or returns the existing one (same window, same id). */
export async function startBackfill(
  deps: Pick<ExportDependencies, 'stateContainer' | 'layout' | 'clock' | 'ensureContainer'>,
  from: Timestamp,
  to: Timestamp,
  requestedBy: string,
  options: { restart?: boolean } = {},
): Promise<BackfillJob> {
  await deps.ensureContainer();
  const store = new BackfillJobStore(deps.stateContainer, deps.layout);
  const id = backfillJobId(from, to);
  const existing = await store.read(id);
  if (existing && !(options.restart && existing.job.status === 'complete')) return existing.job;
  const now = deps.clock.now().toISOString();
  const job: BackfillJob = {
    schemaVersion: 1,
    id,
    from,
    to,
    status: 'pending',
    skip: 0,
    incidents: 0,
    pages: 0,
    blobs: [],
    createdAt: now,
    updatedAt: now,
    requestedBy,
  };
  const written = await store.write(job, existing?.etag);
  if (written === undefined) {
    const current = await store.read(id);
    if (current) return current.job;
  }
  return job;
}

/**
 * Works on a backfill job: pulls its window newest first (`lastUpdateTime ge from and lt to`) from where the
 * job stands into `backfill/...` parts (the same pull loop as the export), and records the position after
 * each committed part, so an interrupted job resumes exactly there. Never touches the exporter's watermark.
 * Stops cleanly at the budget, on request, or when another worker moved the same job on.
 */
export async function runBackfill(
  deps: ExportDependencies,
  jobId: string,
  options: BackfillOptions,
): Promise<BackfillResult> {
  const store = new BackfillJobStore(deps.stateContainer, deps.layout);
  const found = await store.read(jobId);
  if (!found)
    throw new ExporterError(
      `No backfill job '${jobId}': start one with 'defender-export backfill --from <time> --to <time>'.`,
      { code: 'BackfillNotFound' },
    );
  if (found.job.status === 'complete') return { job: found.job, incidents: 0, blobs: [] };
  let etag = found.etag;
  const started = deps.clock.now();
  const deadlineMs = waitDeadlineMs(started, options.budgetMs ?? deps.settings.runBudgetMs);
  const log = options.logger;
  const ledger = new BackfillLedger(found.job);
  log.info('Backfill started', {
    job: jobId,
    from: found.job.from,
    to: found.job.to,
    resumingAt: found.job.cursor,
    trigger: options.trigger,
  });
  const source = deps.createSource(await deps.readSecret(options.abortSignal), deadlineMs, log);
  const writer = new PartWriter(deps.container, started, deps.settings.maxBlobBytes, {
    encoding: deps.settings.encoding,
    prefix: deps.layout.backfillPrefix,
    indexTags: deps.settings.indexTags,
  });
  /** Commits the open part and records the job's position; false when another worker moved the job on. */
  const checkpoint = async (done: boolean): Promise<boolean> => {
    const part = await writer.commitOpenPart({
      kind: 'backfill',
      windowfrom: ledger.job.from,
      windowto: ledger.job.to,
      source: source.name,
      backfilljob: jobId,
      trigger: options.trigger,
      ...tenantMetadata(deps.layout),
    });
    const next = ledger.nextJob(done, part, deps.clock.now().toISOString());
    const newEtag = await store.write(next, etag);
    if (newEtag === undefined) return false;
    etag = newEtag;
    ledger.recorded(next);
    return true;
  };
  const outcome = await pullIntoParts({
    source,
    window: { from: found.job.from, to: found.job.to },
    start: ledger.start,
    writer,
    accept: (incident) => ledger.accept(incident),
    advance: (next) => {
      ledger.advance(next);
      options.onProgress?.(ledger.progress(writer.openIncidents, next === undefined));
    },
    shouldContinue: () => deps.clock.now().getTime() < deadlineMs && options.shouldContinue?.() !== false,
    checkpoint: () => checkpoint(false),
    abortSignal: options.abortSignal,
  }).catch(async (error: unknown) => {
    const current = await store.read(jobId).catch(() => undefined);
    if (current)
      await store
        .write(
          { ...current.job, lastError: describeError(error).slice(0, 500), updatedAt: deps.clock.now().toISOString() },
          current.etag,
        )
        .catch(() => undefined);
    throw error;
  });
  let stoppedBecause: BackfillResult['stoppedBecause'] =
    outcome.checkpointStop || !(await checkpoint(outcome.complete)) ? 'another worker' : undefined;
  if (stoppedBecause === undefined && !outcome.complete)
    stoppedBecause = options.shouldContinue?.() === false ? 'interrupted' : 'budget';
  const blobs = writer.committed.map((p) => p.name);
  log.info(outcome.complete ? 'Backfill complete' : 'Backfill paused', {
    job: jobId,
    incidents: ledger.written,
    blobs: blobs.join(',') || 'none',
    stoppedBecause,
  });
  return { job: ledger.job, incidents: ledger.written, blobs, stoppedBecause };
}
