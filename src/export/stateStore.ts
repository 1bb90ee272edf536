import type { ContainerClient } from '@azure/storage-blob';
import { StateError } from '../common/errors';
import { SINGLE_TENANT_LAYOUT, type BlobLayout } from './blobLayout';
import {
  parseState,
  RECOVERY_HINT,
  STATE_BLOB,
  withoutClaim,
  type ExportState,
  type StateSnapshot,
} from './exportState';
import { BlobConflictError, JsonBlobStore } from './jsonBlobStore';
import { claimIsLive, RUN_CLAIM_MS } from './runClaim';

/** Tries to count a backfill request against runs writing the state meanwhile (each write is a checkpoint). */
const MAX_COUNT_ATTEMPTS = 10;

/** Another run changed the state since we read it (the store's conflict error, under the name the run uses). */
export const StateConflictError = BlobConflictError;

/**
 * The exporter's state blob (`state/exporter-state.json`, or `tenants/<id>/state/exporter-state.json`) in the
 * state container (EXPORT_STATE_CONTAINER), on the ETag-guarded JSON blob store.
 */
export class StateStore {
  private readonly store: JsonBlobStore<ExportState>;
  readonly blobName: string;

  constructor(
    container: ContainerClient,
    private readonly layout: BlobLayout = SINGLE_TENANT_LAYOUT,
  ) {
    this.blobName = layout.stateBlob;
    this.store = new JsonBlobStore(container, {
      what: 'state blob',
      parse: (text) => parseStateOf(text, layout),
      writeHint: 'The export blob of this run is kept; the next run re-reads its window and drops nothing.',
    });
  }

  async read(): Promise<StateSnapshot> {
    const found = await this.store.read(this.blobName);
    if (!found) return { state: undefined, etag: undefined };
    const { value: state, etag, lastModified, serviceTime } = found;
    return {
      state,
      etag,
      ...(lastModified ? { lastModified } : {}),
      ...(serviceTime ? { serviceTime } : {}),
    };
  }

  /** Writes `state` if the blob still has `etag` (or still does not exist); StateConflictError otherwise. */
  write(state: ExportState, etag: string | undefined): Promise<string> {
    return this.store.write(this.blobName, state, etag);
  }

  /**
   * Counts one more backfill request in the state, so the tenant's next run lists the backfill jobs (a run lists
   * them only when the count is above the one it last saw). Called after the job blob is written, never before:
   * a run that reads this count lists afterwards and finds the job. Without a state nothing is counted: a run
   * without counters lists anyway. `claimMs`: how long a run's claim lasts (RUN_CLAIM_MS; a test seam).
   */
  async countBackfillRequest(claimMs: number = RUN_CLAIM_MS): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const snapshot = await this.read();
      const { state, etag } = snapshot;
      if (!state) return;
      // This write refreshes the blob's Last-Modified: a lapsed claim (a crashed run's) is dropped, not revived.
      const base = claimIsLive(snapshot, claimMs) ? state : withoutClaim(state);
      try {
        await this.write({ ...base, backfillRequests: (state.backfillRequests ?? 0) + 1 }, etag);
        return;
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= MAX_COUNT_ATTEMPTS) throw error;
      }
    }
  }

  /** Writes `state` unconditionally (the `state reset` recovery command). */
  async overwrite(state: ExportState): Promise<void> {
    await this.store.overwrite(this.blobName, state);
  }

  /** The state is missing although exports exist: refuse to restart from the initial lookback. */
  missingError(exportCount: number, newestExport: string): StateError {
    return stateMissingError(exportCount, newestExport, this.layout);
  }
}

/** parseState, its error naming this layout's blob and recovery commands. */
function parseStateOf(text: string, layout: BlobLayout): ExportState {
  try {
    return parseState(text);
  } catch (error) {
    if (!(error instanceof StateError) || layout.tenantId === undefined) throw error;
    throw new StateError(
      error.message.replace(STATE_BLOB, layout.stateBlob).replace(RECOVERY_HINT, layout.recoveryHint),
      {
        code: error.code,
      },
    );
  }
}

/** The state is missing although exports exist: refuse to restart from the initial lookback. */
export function stateMissingError(
  exportCount: number,
  newestExport: string,
  layout: BlobLayout = SINGLE_TENANT_LAYOUT,
): StateError {
  return new StateError(
    `The state blob ${layout.stateBlob} is missing but the export container already holds ` +
      `${exportCount === 1 ? 'an export' : 'exports'} (newest: ${newestExport}). Restarting from ` +
      `the initial lookback could skip or re-export incidents, so the run stops. If the state ` +
      `was moved to another container, set EXPORT_STATE_CONTAINER to it. ${layout.recoveryHint}.`,
    { code: 'StateMissing' },
  );
}
