import { randomUUID } from 'crypto';
import { gzipSync } from 'zlib';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { describeError, StorageError } from '../common/errors';
import { compactJson } from '../sources/rawJson';
import { DEFAULT_ENCODING, type BlobEncoding } from './blobNames';
import { statusOf } from './stateStore';

/**
 * Content type of a blob. Gzip blobs are served as application/gzip with no Content-Encoding, so that the
 * portal's download (a browser, which would silently undo a Content-Encoding) and Storage Explorer (which
 * saves the bytes) both give the same valid .gz file.
 */
export function contentTypeOf(encoding: BlobEncoding): string {
  if (encoding.compression === 'gzip') return 'application/gzip';
  return encoding.format === 'ndjson' ? 'application/x-ndjson' : 'application/json';
}

/** Stage a block once this much JSON is buffered: memory stays flat however large the batch. */
const BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Writes one export blob, streaming: a JSON array of incidents (json) or one incident per line (ndjson,
 * each compacted to one line with every value verbatim), optionally gzip-compressed (each staged block is
 * one gzip member; a multi-member file is valid gzip). Incidents are appended as pages arrive and staged
 * as uncommitted blocks; `commit` makes the whole blob appear at once, created with
 * `If-None-Match: *` so no blob is ever overwritten. Until `commit` nothing is visible, so a failed run
 * leaves no partial blob (uncommitted blocks are discarded by the service).
 */
export class ExportBlobWriter {
  private readonly blob: BlockBlobClient;
  /**
   * Unique per writer. Two runs with the same execution time stage into the same blob name; with equal
   * block ids one run's uncommitted block would replace the other's, and the commit that wins would
   * publish the other run's incidents (found by the chaos test).
   */
  private readonly blockIdPrefix = randomUUID();
  private readonly blockIds: string[] = [];
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    container: ContainerClient,
    readonly blobName: string,
    private readonly encoding: BlobEncoding = DEFAULT_ENCODING,
  ) {
    this.blob = container.getBlockBlobClient(blobName);
  }

  get incidentCount(): number {
    return this.count;
  }

  get byteCount(): number {
    return this.bytes;
  }

  /** Bytes staged plus bytes still buffered (before compression): what decides when a part is full. */
  get pendingBytes(): number {
    return this.bytes + this.bufferedBytes;
  }

  /** Appends one incident's exact JSON text. */
  async append(json: string): Promise<void> {
    const piece = this.encoding.format === 'ndjson' ? `${compactJson(json)}\n` : `${this.count === 0 ? '[\n' : ',\n'}${json}`;
    this.count += 1;
    this.buffer.push(piece);
    this.bufferedBytes += Buffer.byteLength(piece);
    if (this.bufferedBytes >= BLOCK_BYTES) await this.flush();
  }

  /** Commits the blob with its metadata; returns its size in bytes. Call only when incidentCount > 0. */
  async commit(metadata: Record<string, string>, tags?: Record<string, string>): Promise<number> {
    if (this.encoding.format === 'json') {
      this.buffer.push('\n]\n');
      this.bufferedBytes += 3;
    }
    await this.flush();
    try {
      await this.blob.commitBlockList(this.blockIds, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: contentTypeOf(this.encoding) },
        metadata: { ...metadata, format: this.encoding.format, compression: this.encoding.compression },
        ...(tags ? { tags } : {}),
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
    const plain = Buffer.from(this.buffer.join(''), 'utf8');
    const body = this.encoding.compression === 'gzip' ? gzipSync(plain) : plain;
    this.buffer = [];
    this.bufferedBytes = 0;
    const blockId = Buffer.from(`${this.blockIdPrefix}-${String(this.blockIds.length).padStart(6, '0')}`).toString('base64');
    try {
      await this.blob.stageBlock(blockId, body, body.length);
    } catch (error) {
      throw new StorageError(`Uploading to export blob ${this.blobName} failed: ${describeError(error)}. No blob was created and the watermark is unchanged.`, { code: 'BlobUploadFailed', statusCode: statusOf(error), retryable: true, cause: error });
    }
    this.blockIds.push(blockId);
    this.bytes += body.length;
  }
}
