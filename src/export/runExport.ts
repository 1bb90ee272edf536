import { randomUUID } from 'crypto';
import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../common/clock';
import { BudgetExceededError, describeError, ExporterError, toError } from '../common/errors';
import type { Logger } from '../common/logger';
import { fromDate, maxTimestamp, minusMs, type Timestamp } from '../common/timestamp';
import { versionKey, type IncidentSource, type PullPosition } from '../sources/incident';
import { EXPORT_PREFIX, type BlobEncoding } from './blobNames';
import { mergeStates, pruneExported, prunePassExported, type ExportState, type PassProgress, type RunRecord } from './exportState';
import { PartWriter } from './partWriter';
import { StateConflictError, stateMissingError, StateStore, type StateSnapshot } from './stateStore';

/** Everything a run needs, built once per entry point (see runtime/buildDependencies). */
export interface ExportDependencies {
  readonly container: ContainerClient;
  readonly clock: Clock;
  readonly initialLookbackHours: number;
  readonly overlapMinutes: number;
  /** The run's time budget: it stops cleanly (committing what it has) before this is spent. */
  readonly runBudgetMs: number;
  /** Parts of a run's output are cut past this size. */
  readonly maxBlobBytes: number;
  /** Blob format and compression (EXPORT_FORMAT, EXPORT_COMPRESSION). */
  readonly encoding: BlobEncoding;
  /** Also set blob index tags (EXPORT_INDEX_TAGS). */
  readonly indexTags: boolean;
  /** Reads the client secret from Key Vault (once per run). */
  readonly readSecret: (abortSignal?: AbortSignal) => Promise<string>;
  /** Builds the incidents source for one run from the secret and the deadline its waits must respect. */
  readonly createSource: (clientSecret: string, deadlineMs: number, logger: Logger) => IncidentSource;
  /** Makes sure the container exists (cheap after the first call). */
  readonly ensureContainer: () => Promise<void>;
}

export interface RunOptions {
  /** What started the run: 'timer', 'manual' (portal Test/Run), 'cli', 'local'. */
  readonly trigger: string;
  /** Where this run logs (the invocation context, the terminal). */
  readonly logger: Logger;
  readonly abortSignal?: AbortSignal;
}

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

const MAX_STATE_WRITE_ATTEMPTS = 5;

/**
 * One export run. It reads the state, then pulls newest first every incident updated since
 * (watermark − overlap), or resumes the pull an earlier run stopped. Versions already exported are
 * dropped, the rest streamed into parts named by the execution time; after each committed part the
 * state records how far the pull got. When the pull reaches its start, the watermark moves to the
 * newest incident seen. Before the budget is spent the run stops cleanly: commit, record, return.
 * Any failure rethrows with the state pointing only at committed blobs.
 */
export async function runExport(deps: ExportDependencies, options: RunOptions): Promise<RunSummary> {
  const started = deps.clock.now();
  const runId = randomUUID();
  const overlapMs = deps.overlapMinutes * 60_000;
  const deadlineMs = started.getTime() + deps.runBudgetMs;
  // Keep room to commit the open part and the state after the last page.
  const reserveMs = Math.min(30_000, deps.runBudgetMs * 0.1);
  const store = new StateStore(deps.container);
  const log = options.logger;
  let snapshot: StateSnapshot | undefined;
  try {
    await deps.ensureContainer();
    snapshot = await store.read();
    if (!snapshot.state) {
      await assertNoOrphanExports(deps.container);
      // Record the start point before any blob exists: a first run killed after its commit then leaves a
      // state the next run continues from (re-reading, never losing) instead of orphan exports.
      const genesis: ExportState = { schemaVersion: 1, watermark: minusMs(fromDate(started), deps.initialLookbackHours * 3_600_000), exported: {}, source: 'none', updatedAt: started.toISOString() };
      try {
        snapshot = { state: undefined, etag: await store.write(genesis, undefined) };
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
        snapshot = await store.read();
      }
    }
    const previous = snapshot.state;
    const resume = previous?.pass;
    const windowFrom = resume?.from ?? (previous ? minusMs(previous.watermark, overlapMs) : minusMs(fromDate(started), deps.initialLookbackHours * 3_600_000));
    log.info('Export run started', { runId, trigger: options.trigger, watermark: previous?.watermark ?? 'none (first run)', windowFrom, resumingAt: resume?.cursor });

    const secret = await deps.readSecret(options.abortSignal);
    const source = deps.createSource(secret, deadlineMs - reserveMs, log);
    // A pull resumed by another API (INCIDENTS_API switched mid-pull): ties may be ordered differently there,
    // so re-read every incident at the cursor; dedupe drops the ones already exported.
    const switchedSource = resume !== undefined && previous?.source !== source.name;
    const writer = new PartWriter(deps.container, started, deps.maxBlobBytes, { encoding: deps.encoding, indexTags: deps.indexTags });
    const exported: Record<string, Timestamp> = { ...(previous?.exported ?? {}) };
    // Versions read this run, by update time: with keyset paging only those at the cursor can come again,
    // so the set is trimmed as the cursor moves down and stays small however large the pull.
    const seenThisRun = new Map<string, Timestamp>();
    let newest: Timestamp | undefined = resume?.newest;
    let position: PullPosition | undefined = resume ? { cursor: resume.cursor, skip: switchedSource ? 0 : resume.skip } : { cursor: undefined, skip: 0 };
    let duplicatesDropped = 0;
    let etag = snapshot.etag;
    let committedState = previous;
    const budgetLeft = (): boolean => deps.clock.now().getTime() < deadlineMs - reserveMs;

    /** Commits the open part, then records progress: the pass position, or the new watermark when done. */
    const checkpoint = async (done: boolean, failed = false): Promise<void> => {
      // Graph pages read without $expand=alerts after persistent failures: say so on the blob.
      const alerts: Record<string, string> = source.stats.alertsOmittedPages > 0 ? { alerts: 'omitted-on-some-pages' } : {};
      await writer.commitOpenPart({ kind: 'export', windowfrom: windowFrom, windowto: newest ?? windowFrom, source: source.name, runid: runId, trigger: options.trigger, ...alerts });
      const watermarkBefore = previous?.watermark;
      const finishedAt = deps.clock.now().toISOString();
      const blobs = writer.committed.map((p) => p.name);
      const record: RunRecord = { runId, at: finishedAt, trigger: options.trigger, incidents: writer.committed.reduce((n, p) => n + p.incidents, 0), blobs };
      let next: ExportState;
      if (done || position === undefined || newest === undefined || position.cursor === undefined) {
        const watermark = newest === undefined ? (watermarkBefore ?? windowFrom) : maxTimestamp(watermarkBefore ?? newest, newest);
        next = { schemaVersion: 1, watermark, exported: pruneExported(exported, watermark, overlapMs), source: source.name, updatedAt: finishedAt, lastRun: record, lastSuccess: failed ? previous?.lastSuccess : record, lastError: previous?.lastError };
      } else {
        const watermark = watermarkBefore ?? windowFrom;
        const pass: PassProgress = { from: windowFrom, newest, cursor: position.cursor, skip: position.skip, startedAt: resume?.startedAt ?? started.toISOString() };
        next = { schemaVersion: 1, watermark, pass, exported: prunePassExported(exported, watermark, newest, overlapMs), source: source.name, updatedAt: finishedAt, lastRun: record, lastSuccess: failed ? previous?.lastSuccess : record, lastError: previous?.lastError };
      }
      const written = await writeWithMerge(store, next, etag, overlapMs, log);
      committedState = written.state;
      etag = written.etag;
    };

    let complete = false;
    try {
      for await (const page of source.pull({ from: windowFrom }, { start: position, shouldContinue: budgetLeft, abortSignal: options.abortSignal })) {
        for (const incident of page.incidents) {
          newest = newest === undefined ? incident.lastUpdateTime : maxTimestamp(newest, incident.lastUpdateTime);
          const key = versionKey(incident);
          if (exported[incident.id] === incident.lastUpdateTime || seenThisRun.has(key)) {
            duplicatesDropped += 1;
            continue;
          }
          seenThisRun.set(key, incident.lastUpdateTime);
          const known = exported[incident.id];
          if (known === undefined || incident.lastUpdateTime > known) exported[incident.id] = incident.lastUpdateTime;
          await writer.append(incident.json);
        }
        position = page.next;
        trimMemory(seenThisRun, exported, position?.cursor, previous?.watermark ?? windowFrom, newest, overlapMs);
        if (position === undefined) complete = true;
        else if (writer.partFull) await checkpoint(false);
      }
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) {
        // Keep the complete pages already read as a pull in progress (never the watermark), so a failure
        // that repeats (a stuck page) does not make every run download everything above it again.
        // Only when the writer is intact: after a failed upload the pages read are not all in blobs.
        if (writer.healthy && position !== undefined && position.cursor !== undefined && position.cursor !== resume?.cursor) {
          await checkpoint(false, true).catch((checkpointError: unknown) => log.warn('Could not keep the pages read before the failure', { error: describeError(checkpointError).slice(0, 300) }));
        }
        throw error;
      }
      log.warn('Run budget reached while waiting on the API; committing what this run has', { runId, reason: error.message });
    }
    if (!complete) log.warn('Run budget reached: stopping cleanly; the next run continues the pull', { runId, cursor: position?.cursor, budgetMs: deps.runBudgetMs });
    await checkpoint(complete);

    const blobs = writer.committed.map((p) => p.name);
    const summary: RunSummary = {
      runId,
      trigger: options.trigger,
      executionTime: started.toISOString(),
      incidents: writer.committed.reduce((n, p) => n + p.incidents, 0),
      duplicatesDropped,
      blobs,
      bytesWritten: writer.committed.reduce((n, p) => n + p.bytes, 0),
      pages: source.stats.pages,
      apiCalls: source.stats.apiCalls,
      throttledWaits: source.stats.throttledWaits,
      retries: source.stats.retries,
      alertsOmittedPages: source.stats.alertsOmittedPages,
      windowFrom,
      watermarkBefore: previous?.watermark,
      watermarkAfter: committedState?.watermark ?? windowFrom,
      complete,
      durationMs: deps.clock.now().getTime() - started.getTime(),
    };
    log.info('Export run succeeded', { ...summary, blobs: blobs.join(',') || 'none' });
    return summary;
  } catch (error) {
    const failure = toError(error);
    const code = failure instanceof ExporterError ? failure.code : failure.name;
    log.error('Export run failed', { runId, code, error: describeError(failure) });
    await recordFailure(store, snapshot, { runId, at: deps.clock.now().toISOString(), trigger: options.trigger, code, message: describeError(failure).slice(0, 1000) }, log);
    throw failure;
  }
}

const TRIM_ABOVE_ENTRIES = 5000;

/**
 * Keeps a long pull's bookkeeping bounded: versions above the cursor cannot be read again in this pull,
 * and only the overlap windows (below the old watermark and below the newest incident) matter for dedupe.
 */
function trimMemory(seen: Map<string, Timestamp>, exported: Record<string, Timestamp>, cursor: Timestamp | undefined, watermark: Timestamp, newest: Timestamp | undefined, overlapMs: number): void {
  if (cursor !== undefined && seen.size > TRIM_ABOVE_ENTRIES) {
    for (const [key, time] of seen) if (time > cursor) seen.delete(key);
  }
  if (newest !== undefined && Object.keys(exported).length > TRIM_ABOVE_ENTRIES) {
    const kept = prunePassExported(exported, watermark, newest, overlapMs);
    for (const id of Object.keys(exported)) if (!(id in kept)) delete exported[id];
  }
}

/** Writes the new state; if another run got there first, merges with its state and tries again. */
async function writeWithMerge(store: StateStore, next: ExportState, etag: string | undefined, overlapMs: number, log: Logger): Promise<{ state: ExportState; etag: string }> {
  let candidate = next;
  let expectedEtag = etag;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { state: candidate, etag: await store.write(candidate, expectedEtag) };
    } catch (error) {
      if (!(error instanceof StateConflictError) || attempt >= MAX_STATE_WRITE_ATTEMPTS) throw error;
      const current = await store.read();
      log.warn('Another run updated the state meanwhile; merging', { attempt, theirWatermark: current.state?.watermark ?? 'none' });
      candidate = current.state ? mergeStates(next, current.state, overlapMs) : next;
      expectedEtag = current.etag;
    }
  }
}

/** Keeps the last error in the state for `status`, without touching the watermark. Best effort: the run's own error is what the caller sees. */
async function recordFailure(store: StateStore, snapshot: StateSnapshot | undefined, record: RunRecord, log: Logger): Promise<void> {
  if (!snapshot?.state) return;
  try {
    const current = await store.read();
    if (!current.state) return;
    await store.write({ ...current.state, lastRun: record, lastError: record, updatedAt: record.at }, current.etag);
  } catch (error) {
    log.warn('Could not record the failure in the state blob', { error: describeError(error).slice(0, 300) });
  }
}

async function assertNoOrphanExports(container: ContainerClient): Promise<void> {
  let count = 0;
  let newest = '';
  for await (const blob of container.listBlobsFlat({ prefix: EXPORT_PREFIX })) {
    count += 1;
    if (blob.name > newest) newest = blob.name;
  }
  if (count > 0) throw stateMissingError(count, newest);
}
