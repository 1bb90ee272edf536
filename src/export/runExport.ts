import { randomUUID } from 'crypto';
import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../common/clock';
import { describeError, ExporterError, toError } from '../common/errors';
import type { Logger } from '../common/logger';
import { fromDate, maxTimestamp, minusMs, type Timestamp } from '../common/timestamp';
import { versionKey, type IncidentSource } from '../sources/incident';
import { exportBlobName, EXPORT_PREFIX } from './blobNames';
import { ExportBlobWriter } from './blobWriter';
import { mergeStates, pruneExported, type ExportState, type RunRecord } from './exportState';
import { StateConflictError, stateMissingError, StateStore, type StateSnapshot } from './stateStore';

/** Everything a run needs, built once per entry point (see runtime/buildDependencies). */
export interface ExportDependencies {
  readonly container: ContainerClient;
  readonly clock: Clock;
  readonly initialLookbackHours: number;
  readonly overlapMinutes: number;
  /** The run's time budget: waits that would end later stop the run cleanly. */
  readonly runBudgetMs: number;
  /** Reads the client secret from Key Vault (once per run). */
  readonly readSecret: (abortSignal?: AbortSignal) => Promise<string>;
  /** Builds the incidents source for one run from the secret and the run's deadline. */
  readonly createSource: (clientSecret: string, deadlineMs: number, logger: Logger) => IncidentSource;
  /** Makes sure the container exists (called once per run; cheap after the first). */
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
  readonly windowFrom: Timestamp;
  readonly watermarkBefore: Timestamp | undefined;
  readonly watermarkAfter: Timestamp;
  readonly durationMs: number;
}

const MAX_STATE_WRITE_ATTEMPTS = 5;

/**
 * One export run: read state, pull every incident updated since (watermark - overlap), drop versions
 * already exported, stream the rest into one blob named by the execution time, commit it, and only then
 * advance the watermark (with an ETag check, merging with a concurrent run instead of overwriting it).
 * Any failure rethrows with the watermark untouched and no blob committed.
 */
export async function runExport(deps: ExportDependencies, options: RunOptions): Promise<RunSummary> {
  const started = deps.clock.now();
  const runId = randomUUID();
  const overlapMs = deps.overlapMinutes * 60_000;
  const store = new StateStore(deps.container);
  const log = options.logger;
  let snapshot: StateSnapshot | undefined;
  try {
    await deps.ensureContainer();
    snapshot = await store.read();
    if (!snapshot.state) await assertNoOrphanExports(deps.container);
    const previous = snapshot.state;
    const windowFrom = previous ? minusMs(previous.watermark, overlapMs) : minusMs(fromDate(started), deps.initialLookbackHours * 3_600_000);
    log.info('Export run started', { runId, trigger: options.trigger, watermark: previous?.watermark ?? 'none (first run)', windowFrom });

    const secret = await deps.readSecret(options.abortSignal);
    const source = deps.createSource(secret, started.getTime() + deps.runBudgetMs, log);

    const exported: Record<string, Timestamp> = { ...(previous?.exported ?? {}) };
    const seenThisRun = new Set<string>();
    const writer = new ExportBlobWriter(deps.container, exportBlobName(started));
    let newest: Timestamp | undefined;
    let duplicatesDropped = 0;
    for await (const page of source.pull({ from: windowFrom }, options.abortSignal)) {
      for (const incident of page.incidents) {
        newest = newest === undefined ? incident.lastUpdateTime : maxTimestamp(newest, incident.lastUpdateTime);
        const key = versionKey(incident);
        if (exported[incident.id] === incident.lastUpdateTime || seenThisRun.has(key)) {
          duplicatesDropped += 1;
          continue;
        }
        seenThisRun.add(key);
        const known = exported[incident.id];
        if (known === undefined || incident.lastUpdateTime > known) exported[incident.id] = incident.lastUpdateTime;
        await writer.append(incident.json);
      }
    }

    const blobs: string[] = [];
    let bytesWritten = 0;
    if (writer.incidentCount > 0) {
      bytesWritten = await writer.commit({
        incidentcount: String(writer.incidentCount),
        windowfrom: windowFrom,
        windowto: newest ?? windowFrom,
        source: source.name,
        runid: runId,
        trigger: options.trigger,
      });
      blobs.push(writer.blobName);
    }

    const watermarkBefore = previous?.watermark;
    const watermark = newest === undefined ? (watermarkBefore ?? windowFrom) : maxTimestamp(watermarkBefore ?? newest, newest);
    const finished = deps.clock.now();
    const record: RunRecord = { runId, at: finished.toISOString(), trigger: options.trigger, incidents: writer.incidentCount, blobs };
    const next: ExportState = {
      schemaVersion: 1,
      watermark,
      exported: pruneExported(exported, watermark, overlapMs),
      source: source.name,
      updatedAt: finished.toISOString(),
      lastRun: record,
      lastSuccess: record,
      lastError: previous?.lastError,
    };
    const committed = await writeWithMerge(store, next, snapshot.etag, overlapMs, log);

    const summary: RunSummary = {
      runId,
      trigger: options.trigger,
      executionTime: started.toISOString(),
      incidents: writer.incidentCount,
      duplicatesDropped,
      blobs,
      bytesWritten,
      pages: source.stats.pages,
      apiCalls: source.stats.apiCalls,
      throttledWaits: source.stats.throttledWaits,
      retries: source.stats.retries,
      windowFrom,
      watermarkBefore,
      watermarkAfter: committed.watermark,
      durationMs: deps.clock.now().getTime() - started.getTime(),
    };
    log.info('Export run succeeded', { ...summary, blobs: blobs.join(',') || 'none' });
    return summary;
  } catch (error) {
    const failure = toError(error);
    log.error('Export run failed', { runId, code: failure instanceof ExporterError ? failure.code : failure.name, error: describeError(failure) });
    await recordFailure(store, snapshot, { runId, at: deps.clock.now().toISOString(), trigger: options.trigger, code: failure instanceof ExporterError ? failure.code : failure.name, message: describeError(failure).slice(0, 1000) }, log);
    throw failure;
  }
}

/** Writes the new state; if another run got there first, merges with its state and tries again. */
async function writeWithMerge(store: StateStore, next: ExportState, etag: string | undefined, overlapMs: number, log: Logger): Promise<ExportState> {
  let candidate = next;
  let expectedEtag = etag;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await store.write(candidate, expectedEtag);
      return candidate;
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
