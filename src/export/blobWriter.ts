import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { describeError, StorageError } from '../common/errors';
import { statusOf } from './stateStore';

/** Stage a block once this much JSON is buffered: memory stays flat however large the batch. */
const BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Writes one export blob as a JSON array of incidents, streaming: incidents are appended as pages
 * arrive and staged as uncommitted blocks; `commit` makes the whole blob appear at once, created with
 * `If-None-Match: *` so no blob is ever overwritten. Until `commit` nothing is visible, so a failed run
 * leaves no partial blob (uncommitted blocks are discarded by the service).
 */
export class ExportBlobWriter {
  private readonly blob: BlockBlobClient;
  private readonly blockIds: string[] = [];
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    container: ContainerClient,
    readonly blobName: string,
  ) {
    this.blob = container.getBlockBlobClient(blobName);
  }

  get incidentCount(): number {
    return this.count;
  }

  get byteCount(): number {
    return this.bytes;
  }

  /** Appends one incident's exact JSON text. */
  async append(json: string): Promise<void> {
    const piece = `${this.count === 0 ? '[\n' : ',\n'}${json}`;
    this.count += 1;
    this.buffer.push(piece);
    this.bufferedBytes += Buffer.byteLength(piece);
    if (this.bufferedBytes >= BLOCK_BYTES) await this.flush();
  }

  /** Commits the blob with its metadata; returns its size in bytes. Call only when incidentCount > 0. */
  async commit(metadata: Record<string, string>): Promise<number> {
    this.buffer.push('\n]\n');
    this.bufferedBytes += 3;
    await this.flush();
    try {
      await this.blob.commitBlockList(this.blockIds, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
        metadata,
      });
    } catch (error) {
      const status = statusOf(error);
      throw new StorageError(
        status === 409
          ? `Export blob ${this.blobName} already exists (another run used the same execution time); nothing was overwritten and the watermark is unchanged, so the next run exports these incidents.`
          : `Committing export blob ${this.blobName} failed: ${describeError(error)}. No blob was created and the watermark is unchanged.`,
        { code: status === 409 ? 'BlobAlreadyExists' : 'BlobCommitFailed', statusCode: status, retryable: true, cause: error },
      );
    }
    return this.bytes;
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const body = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.bufferedBytes = 0;
    const blockId = Buffer.from(`block-${String(this.blockIds.length).padStart(6, '0')}`).toString('base64');
    try {
      await this.blob.stageBlock(blockId, body, body.length);
    } catch (error) {
      throw new StorageError(`Uploading to export blob ${this.blobName} failed: ${describeError(error)}. No blob was created and the watermark is unchanged.`, { code: 'BlobUploadFailed', statusCode: statusOf(error), retryable: true, cause: error });
    }
    this.blockIds.push(blockId);
    this.bytes += body.length;
  }
}
