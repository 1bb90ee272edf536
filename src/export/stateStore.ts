import type { ContainerClient } from '@azure/storage-blob';
import { StateError } from '../common/errors';
import { parseState, RECOVERY_HINT, STATE_BLOB, type ExportState } from './exportState';
import { BlobConflictError, JsonBlobStore } from './jsonBlobStore';

/** The state as read, with the ETag that a later write must match. `etag` undefined: no state yet. */
export interface StateSnapshot {
  readonly state: ExportState | undefined;
  readonly etag: string | undefined;
}

/** Another run changed the state since we read it (the store's conflict error, under the name the run uses). */
export const StateConflictError = BlobConflictError;

/** The exporter's state blob (`state/exporter-state.json`) on the ETag-guarded JSON blob store. */
export class StateStore {
  private readonly store: JsonBlobStore<ExportState>;

  constructor(container: ContainerClient) {
    this.store = new JsonBlobStore(container, {
      what: 'state blob',
      parse: (text) => parseState(text),
      readHint: "Check EXPORT_STORAGE and the identity's 'Storage Blob Data Contributor' role.",
      writeHint: 'The export blob of this run is kept; the next run re-reads its window and drops nothing.',
    });
  }

  async read(): Promise<StateSnapshot> {
    const found = await this.store.read(STATE_BLOB);
    return found ? { state: found.value, etag: found.etag } : { state: undefined, etag: undefined };
  }

  /** Writes `state` if the blob still has `etag` (or still does not exist); StateConflictError otherwise. */
  write(state: ExportState, etag: string | undefined): Promise<string> {
    return this.store.write(STATE_BLOB, state, etag);
  }

  /** Writes `state` unconditionally (the `state reset` recovery command). */
  async overwrite(state: ExportState): Promise<void> {
    await this.store.overwrite(STATE_BLOB, state);
  }
}

/** The state is missing although exports exist: refuse to restart from the initial lookback. */
export function stateMissingError(exportCount: number, newestExport: string): StateError {
  return new StateError(
    `The state blob ${STATE_BLOB} is missing but the container already holds ${exportCount === 1 ? 'an export' : 'exports'} (newest: ${newestExport}). Restarting from the initial lookback could skip or re-export incidents, so the run stops. ${RECOVERY_HINT}.`,
    { code: 'StateMissing' },
  );
}
