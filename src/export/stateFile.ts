import type { ContainerClient } from '@azure/storage-blob';
import { describeError, ExporterError, toError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { BlobLayout } from './blobLayout';
import { mergeStates, type ExportState, type RunRecord } from './exportState';
import { StateConflictError, StateStore } from './stateStore';

const MAX_STATE_WRITE_ATTEMPTS = 5;

/**
 * The export state as one run sees it: opened once, then saved after each committed part with the ETag
 * of the last read or write. A write that loses to another run merges with that run's state and tries again.
 */
export class StateFile {
  private readonly store: StateStore;
  private readonly exports: ContainerClient;
  private etag: string | undefined;
  private saved: ExportState | undefined;

  constructor(
    containers: { readonly exports: ContainerClient; readonly state: ContainerClient },
    private readonly layout: BlobLayout,
    private readonly overlapMs: number,
    private readonly log: Logger,
  ) {
    this.exports = containers.exports;
    this.store = new StateStore(containers.state, layout);
  }

  /** The state the run starts from (undefined on a first run, after recording `genesis` before any blob exists). */
  async open(genesis: () => ExportState): Promise<ExportState | undefined> {
    const snapshot = await this.store.read();
    this.etag = snapshot.etag;
    this.saved = snapshot.state;
    if (snapshot.state) return snapshot.state;
    await this.assertNoOrphanExports();
    // A first run killed after its commit then leaves a state the next run continues from (re-reading, never losing).
    try {
      const first = genesis();
      this.etag = await this.store.write(first, undefined);
      this.saved = first;
      return undefined;
    } catch (error) {
      if (!(error instanceof StateConflictError)) throw error;
      const current = await this.store.read();
      this.etag = current.etag;
      this.saved = current.state;
      return current.state;
    }
  }

  /** The last state this run wrote (or read). */
  get committed(): ExportState | undefined {
    return this.saved;
  }

  /** Writes `next`; if another run got there first, merges with its state and tries again. */
  async save(next: ExportState): Promise<ExportState> {
    let candidate = next;
    for (let attempt = 1; ; attempt += 1) {
      try {
        this.etag = await this.store.write(candidate, this.etag);
        this.saved = candidate;
        return candidate;
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= MAX_STATE_WRITE_ATTEMPTS) throw error;
        const current = await this.store.read();
        this.log.warn('Another run updated the state meanwhile; merging', {
          attempt,
          theirWatermark: current.state?.watermark ?? 'none',
        });
        candidate = current.state ? mergeStates(next, current.state, this.overlapMs) : next;
        this.etag = current.etag;
      }
    }
  }

  /**
   * Keeps the failure in the state for `status`, without touching the watermark; also after a first run,
   * whose start point is stored before anything can fail. Best effort: returns the run's own error, which is what the caller sees.
   */
  async recordFailure(
    run: { readonly runId: string; readonly trigger: string },
    at: Date,
    error: unknown,
  ): Promise<Error> {
    const failure = toError(error);
    const record: RunRecord = {
      runId: run.runId,
      at: at.toISOString(),
      trigger: run.trigger,
      code: failure instanceof ExporterError ? failure.code : failure.name,
      message: describeError(failure).slice(0, 1000),
    };
    try {
      const current = await this.store.read();
      if (current.state)
        await this.store.write(
          { ...current.state, lastRun: record, lastError: record, updatedAt: record.at },
          current.etag,
        );
    } catch (recordError) {
      this.log.warn('Could not record the failure in the state blob', {
        error: describeError(recordError).slice(0, 300),
      });
    }
    return failure;
  }

  private async assertNoOrphanExports(): Promise<void> {
    let count = 0;
    let newest = '';
    for await (const blob of this.exports.listBlobsFlat({ prefix: this.layout.exportPrefix })) {
      count += 1;
      if (blob.name > newest) newest = blob.name;
    }
    if (count > 0) throw this.store.missingError(count, newest);
  }
}
