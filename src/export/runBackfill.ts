import { describeError, ExporterError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { Timestamp } from '../common/timestamp';
import { tenantMetadata } from './blobLayout';
import { BackfillCheckpoint } from './backfillCheckpoint';
import { BackfillJobStore, backfillJobId, type BackfillJob } from './backfillJob';
import { BackfillLedger, type BackfillProgress } from './backfillLedger';
import type { ExportDependencies } from './exportDependencies';
import { PartWriter } from './partWriter';
import { pullIntoParts, waitDeadlineMs } from './pullLoop';
import { backfillSource } from './runSource';
import { StateStore } from './stateStore';

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
  // A registered tenant's run lists its backfill jobs only when its state counts a request it has not seen; the
  // single-tenant timer lists them on every run, so its state stays as it was.
  const stateStore = new StateStore(deps.stateContainer, deps.layout);
  const countRequest = async (): Promise<void> => {
    if (deps.layout.tenantId === undefined) return;
    try {
      await stateStore.countBackfillRequest();
    } catch (error) {
      throw new ExporterError(
        `Backfill job ${id} was written, but counting it in ${deps.layout.stateBlob} failed ` +
          `(${describeError(error)}), so the tenant's runs may not pick it up: send the same backfill ` +
          'request again (it is counted again; nothing is exported twice).',
        { code: 'BackfillNotCounted', retryable: true, cause: error },
      );
    }
  };
  const existing = await store.read(id);
  if (existing && !(options.restart && existing.job.status === 'complete')) {
    // Counted again: the job may have been written by a call whose count then failed.
    if (existing.job.status !== 'complete') await countRequest();
    return existing.job;
  }
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
  const current = written === undefined ? (await store.read(id))?.job : job;
  await countRequest();
  return current ?? job;
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
  const found = await openJob(store, jobId);
  if (found.job.status === 'complete') return { job: found.job, incidents: 0, blobs: [] };
  const started = deps.clock.now();
  const deadlineMs = waitDeadlineMs(started, options.budgetMs ?? deps.settings.runBudgetMs);
  const { logger: log, trigger } = options;
  const ledger = new BackfillLedger(found.job);
  const { from, to, cursor } = found.job;
  log.info('Backfill started', { job: jobId, from, to, resumingAt: cursor, trigger });
  const source = await backfillSource(deps, deadlineMs, log, options.abortSignal);
  const { encoding, indexTags, maxBlobBytes } = deps.settings;
  const writer = new PartWriter(deps.container, started, maxBlobBytes, {
    encoding,
    indexTags,
    prefix: deps.layout.backfillPrefix,
    metadata: tenantMetadata(deps.layout),
  });
  const checkpoint = new BackfillCheckpoint(found.etag, { store, ledger, writer, source, clock: deps.clock, trigger });
  const outcome = await pullIntoParts({
    source,
    window: { from, to },
    start: ledger.start,
    writer,
    accept: (incident) => ledger.accept(incident),
    known: (incident) => ledger.knows(incident),
    advance: (next) => {
      ledger.advance(next);
      options.onProgress?.(ledger.progress(writer.openIncidents, next === undefined));
    },
    shouldContinue: () => deps.clock.now().getTime() < deadlineMs && options.shouldContinue?.() !== false,
    checkpoint: () => checkpoint.commit(false),
    abortSignal: options.abortSignal,
  }).catch(async (error: unknown) => {
    await checkpoint.recordError(error);
    throw error;
  });
  const recorded = !outcome.checkpointStop && (await checkpoint.commit(outcome.complete));
  const stoppedBecause = stopReason(outcome.complete, recorded, options.shouldContinue?.() === false);
  const blobs = writer.committed.map((p) => p.name);
  const summary = { job: jobId, incidents: ledger.written, blobs: blobs.join(',') || 'none', stoppedBecause };
  log.info(outcome.complete ? 'Backfill complete' : 'Backfill paused', summary);
  return { job: ledger.job, incidents: ledger.written, blobs, stoppedBecause };
}

async function openJob(store: BackfillJobStore, jobId: string): Promise<{ job: BackfillJob; etag: string }> {
  const found = await store.read(jobId);
  if (found) return found;
  throw new ExporterError(
    `No backfill job '${jobId}': start one with 'defender-export backfill --from <time> --to <time>'.`,
    { code: 'BackfillNotFound' },
  );
}

/** Why an invocation stopped before its job was complete, if it did. */
function stopReason(complete: boolean, recorded: boolean, interrupted: boolean): BackfillResult['stoppedBecause'] {
  if (!recorded) return 'another worker';
  if (complete) return undefined;
  return interrupted ? 'interrupted' : 'budget';
}
