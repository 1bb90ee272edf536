import type { ContainerClient } from '@azure/storage-blob';
import { describeError, StateError, StorageError } from '../common/errors';
import { parseState, RECOVERY_HINT, STATE_BLOB, type ExportState } from './exportState';
import { numberProperty } from '../common/jsonFields';

/** The state as read, with the ETag that a later write must match. `etag` undefined: no state yet. */
export interface StateSnapshot {
  readonly state: ExportState | undefined;
  readonly etag: string | undefined;
}

/** Thrown when another run changed the state since we read it. */
export class StateConflictError extends StateError {}

/**
 * Reads and writes the state blob with optimistic concurrency: a write names the ETag it read
 * (or `If-None-Match: *` for the first one), so two runs can never overwrite each other blindly.
 */
export class StateStore {
  constructor(private readonly container: ContainerClient) {}

  async read(): Promise<StateSnapshot> {
    const blob = this.container.getBlockBlobClient(STATE_BLOB);
    try {
      const buffer = await blob.downloadToBuffer();
      const properties = await blob.getProperties();
      // NOTE: two calls can interleave with a writer; the ETag check on write catches that (it then re-reads).
      return { state: parseState(buffer.toString('utf8')), etag: properties.etag };
    } catch (error) {
      if (error instanceof StateError) throw error;
      if (statusOf(error) === 404) return { state: undefined, etag: undefined };
      throw new StorageError(`Reading the state blob ${STATE_BLOB} failed: ${describeError(error)}. Check EXPORT_STORAGE and the identity's 'Storage Blob Data Contributor' role.`, { code: 'StateReadFailed', retryable: true, cause: error });
    }
  }

  /** Writes `state` if the blob still has `etag` (or still does not exist); StateConflictError otherwise. */
  async write(state: ExportState, etag: string | undefined): Promise<string> {
    const blob = this.container.getBlockBlobClient(STATE_BLOB);
    const body = JSON.stringify(state, null, 2);
    try {
      const result = await blob.upload(body, Buffer.byteLength(body), {
        conditions: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return result.etag ?? '';
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || status === 409) {
        throw new StateConflictError('Another run changed the state blob meanwhile.', { code: 'StateConflict', statusCode: status, retryable: true, cause: error });
      }
      throw new StorageError(`Writing the state blob ${STATE_BLOB} failed: ${describeError(error)}. The export blob of this run is kept; the next run re-reads its window and drops nothing.`, { code: 'StateWriteFailed', retryable: true, cause: error });
    }
  }

  /** Writes `state` unconditionally (the `state reset` recovery command). */
  async overwrite(state: ExportState): Promise<void> {
    const body = JSON.stringify(state, null, 2);
    await this.container.getBlockBlobClient(STATE_BLOB).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }
}

/** The state is missing although exports exist: refuse to restart from the initial lookback. */
export function stateMissingError(exportCount: number, newestExport: string): StateError {
  return new StateError(`The state blob ${STATE_BLOB} is missing but the container already holds ${exportCount === 1 ? 'an export' : 'exports'} (newest: ${newestExport}). Restarting from the initial lookback could skip or re-export incidents, so the run stops. ${RECOVERY_HINT}.`, { code: 'StateMissing' });
}

export function statusOf(error: unknown): number | undefined {
  return numberProperty(error, 'statusCode');
}
