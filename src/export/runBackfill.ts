import { BudgetExceededError, ExporterError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { Timestamp } from '../common/timestamp';
import { versionKey, type PullPosition } from '../sources/incident';
import { BACKFILL_PREFIX } from './blobNames';
import { BackfillJobStore, backfillJobId, type BackfillJob } from './backfillJob';
import { PartWriter } from './partWriter';
import type { ExportDependencies } from './runExport';

export interface BackfillProgress {
  readonly job: BackfillJob;
  /** Share of the window's time span already covered (newest first), 0 to 1. */
  readonly fraction: number;
}

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
export async function startBackfill(deps: Pick<ExportDependencies, 'container' | 'clock' | 'ensureContainer'>, from: Timestamp, to: Timestamp, requestedBy: string, options: { restart?: boolean } = {}): Promise<BackfillJob> {
  await deps.ensureContainer();
  const store = new BackfillJobStore(deps.container);
  const id = backfillJobId(from, to);
  const existing = await store.read(id);
  if (existing && !(options.restart && existing.job.status === 'complete')) return existing.job;
  const now = deps.clock.now().toISOString();
  const job: BackfillJob = { schemaVersion: 1, id, from, to, status: 'pending', skip: 0, incidents: 0, pages: 0, blobs: [], createdAt: now, updatedAt: now, requestedBy };
  const written = await store.write(job, existing?.etag);
  if (written === undefined) {
    const current = await store.read(id);
    if (current) return current.job;
  }
  return job;
}

/**
 * Works on a backfill job: pulls its window newest first (`lastUpdateTime ge from and lt to`) from where
 * the job stands, writes `backfill/...` parts, and records the position after each committed part, so an
 * interrupted job resumes exactly there. Never touches the exporter's watermark. Stops cleanly at the
 * budget, on request, or when another worker moved the same job on.
 */
export async function runBackfill(deps: ExportDependencies, jobId: string, options: BackfillOptions): Promise<BackfillResult> {
  const store = new BackfillJobStore(deps.container);
  const found = await store.read(jobId);
  if (!found) throw new ExporterError(`No backfill job '${jobId}': start one with 'defender-export backfill --from <time> --to <time>'.`, { code: 'BackfillNotFound' });
  let { job, etag } = found;
  if (job.status === 'complete') return { job, incidents: 0, blobs: [] };
  const started = deps.clock.now();
  const budgetMs = options.budgetMs ?? deps.runBudgetMs;
  const deadlineMs = started.getTime() + budgetMs;
  const reserveMs = Math.min(30_000, budgetMs * 0.1);
  const log = options.logger;
  log.info('Backfill started', { job: job.id, from: job.from, to: job.to, resumingAt: job.cursor, trigger: options.trigger });

  const secret = await deps.readSecret(options.abortSignal);
  const source = deps.createSource(secret, deadlineMs - reserveMs, log);
  const writer = new PartWriter(deps.container, started, deps.maxBlobBytes, { encoding: deps.encoding, prefix: BACKFILL_PREFIX, indexTags: deps.indexTags });
  const seen = new Set<string>();
  let position: PullPosition | undefined = { cursor: job.cursor, skip: job.skip };
  let written = 0;
  let pages = 0;
  let stoppedBecause: BackfillResult['stoppedBecause'];
  const spanMs = Date.parse(job.to) - Date.parse(job.from);

  const checkpoint = async (done: boolean): Promise<boolean> => {
    const part = await writer.commitOpenPart({ kind: 'backfill', windowfrom: job.from, windowto: job.to, source: source.name, backfilljob: job.id, trigger: options.trigger });
    const next: BackfillJob = {
      ...job,
      status: done ? 'complete' : 'running',
      cursor: position?.cursor ?? job.cursor,
      skip: position?.skip ?? job.skip,
      incidents: job.incidents + (part?.incidents ?? 0),
      pages: job.pages + pages,
      blobs: part ? [...job.blobs, part.name] : job.blobs,
      updatedAt: deps.clock.now().toISOString(),
      lastError: undefined,
    };
    pages = 0;
    const newEtag = await store.write(next, etag);
    if (newEtag === undefined) return false;
    job = next;
    etag = newEtag;
    return true;
  };

  let complete = false;
  const keepGoing = (): boolean => deps.clock.now().getTime() < deadlineMs - reserveMs && options.shouldContinue?.() !== false;
  try {
    for await (const page of source.pull({ from: job.from, to: job.to }, { start: position, shouldContinue: keepGoing, abortSignal: options.abortSignal })) {
      for (const incident of page.incidents) {
        const key = versionKey(incident);
        if (seen.has(key)) continue;
        seen.add(key);
        await writer.append(incident.json);
        written += 1;
      }
      pages += 1;
      position = page.next;
      if (position === undefined) complete = true;
      const fraction = position?.cursor === undefined ? 1 : Math.min(1, Math.max(0, (Date.parse(job.to) - Date.parse(position.cursor)) / spanMs));
      options.onProgress?.({ job: { ...job, incidents: job.incidents + writer.openIncidents, pages: job.pages + pages, cursor: position?.cursor }, fraction });
      if (!complete && writer.partFull && !(await checkpoint(false))) {
        stoppedBecause = 'another worker';
        break;
      }
    }
  } catch (error) {
    if (!(error instanceof BudgetExceededError)) {
      const current = await store.read(job.id).catch(() => undefined);
      if (current) await store.write({ ...current.job, lastError: error instanceof Error ? error.message.slice(0, 500) : String(error), updatedAt: deps.clock.now().toISOString() }, current.etag).catch(() => undefined);
      throw error;
    }
  }
  if (stoppedBecause === undefined) {
    if (!(await checkpoint(complete))) stoppedBecause = 'another worker';
    else if (!complete) stoppedBecause = options.shouldContinue?.() === false ? 'interrupted' : 'budget';
  }
  const blobs = writer.committed.map((p) => p.name);
  log.info(complete ? 'Backfill complete' : 'Backfill paused', { job: job.id, incidents: written, blobs: blobs.join(',') || 'none', stoppedBecause });
  return { job, incidents: written, blobs, stoppedBecause };
}
