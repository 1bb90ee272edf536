import { createHash, randomUUID } from 'crypto';
import { gzipSync } from 'zlib';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { describeError, StorageError } from '../common/errors';
import { compactJson } from '../sources/rawJson';
import { DEFAULT_ENCODING, type BlobEncoding } from './blobNames';
import { storageStatusOf } from './jsonBlobStore';

/**
 * Content type of a blob. Gzip blobs are served as application/gzip with no Content-Encoding, so that the
 * portal's download (a browser, which would silently undo a Content-Encoding) and Storage Explorer (which
 * saves the bytes) both give the same valid .gz file.
 */
export function contentTypeOf(encoding: BlobEncoding): string {
  if (encoding.compression === 'gzip') return 'application/gzip';
  return encoding.format === 'ndjson' ? 'application/x-ndjson' : 'application/json';
}

/**
 * Stage a block once this much JSON is buffered: memory stays flat however large the batch. 1 MB rather than
 * 4 MB: a tenant's two block buffers are resident for as long as its run, so with many tenants at once in one
 * instance the block size counts for each (2 of its 7.8 MB: BENCHMARKS.md, memory per extra concurrent tenant); the
 * extra Put Block requests are few next to the incidents' bytes (a 100,000-incident backfill makes about 2,000).
 */
const BLOCK_BYTES = 1024 * 1024;
const ARRAY_OPEN = Buffer.from('[\n');
const ELEMENT_SEPARATOR = Buffer.from(',\n');
const ARRAY_CLOSE = Buffer.from('\n]\n');
const NEWLINE = Buffer.from('\n');

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
  /**
   * Two block buffers, allocated once per writer: one being filled while the other's upload is in
   * flight. Each incident's bytes are copied into it as it is appended.
   */
  private filling: Buffer | undefined;
  private uploading: Buffer | undefined;
  private bufferedBytes = 0;
  private count = 0;
  private bytes = 0;
  private inFlight: Promise<void> | undefined;

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

  /** Appends one incident's exact JSON (its UTF-8 bytes, as the API sent them). */
  async append(json: Buffer): Promise<void> {
    if (this.encoding.format === 'ndjson') {
      await this.push(compactJson(json));
      await this.push(NEWLINE);
    } else {
      await this.push(this.count === 0 ? ARRAY_OPEN : ELEMENT_SEPARATOR);
      await this.push(json);
    }
    this.count += 1;
  }

  /** Copies a piece into the filling block, staging the block first if it is full. */
  private async push(piece: Buffer): Promise<void> {
    if (this.bufferedBytes + piece.length > BLOCK_BYTES) await this.flush();
    if (piece.length > BLOCK_BYTES) {
      // An incident larger than a block is a block of its own; copied, as its upload may outlast the page's reply.
      await this.send(Buffer.from(piece));
      return;
    }
    this.filling ??= Buffer.allocUnsafe(BLOCK_BYTES);
    piece.copy(this.filling, this.bufferedBytes);
    this.bufferedBytes += piece.length;
  }

  /** Commits the blob with its metadata; returns its size in bytes. Call only when incidentCount > 0. */
  async commit(metadata: Record<string, string>, tags?: Record<string, string>): Promise<number> {
    if (this.encoding.format === 'json') await this.push(ARRAY_CLOSE);
    await this.flush();
    await this.settleUpload();
    try {
      await this.blob.commitBlockList(this.blockIds, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: contentTypeOf(this.encoding) },
        metadata: { ...metadata, format: this.encoding.format, compression: this.encoding.compression },
        ...(tags ? { tags } : {}),
      });
    } catch (error) {
      const status = storageStatusOf(error);
      throw new StorageError(
        status === 409
          ? `Export blob ${this.blobName} already exists (another run used the same execution time); ` +
              `nothing was overwritten and the watermark is unchanged, so the next run exports ` +
              `these incidents.`
          : `Committing export blob ${this.blobName} failed: ${describeError(error)}. No blob was ` +
              `created and the watermark is unchanged.`,
        {
          code: status === 409 ? 'BlobAlreadyExists' : 'BlobCommitFailed',
          statusCode: status,
          retryable: true,
          cause: error,
        },
      );
    }
    return this.bytes;
  }

  /** Stages what the filling buffer holds as one block, then fills the other buffer. */
  private async flush(): Promise<void> {
    if (this.bufferedBytes === 0 || !this.filling) return;
    const block = this.filling.subarray(0, this.bufferedBytes);
    this.bufferedBytes = 0;
    await this.send(block);
    // `send` waited for the upload before this one, so the buffer it used is free again.
    [this.filling, this.uploading] = [this.uploading, this.filling];
  }

  /**
   * Starts staging `plain` as the next block. The upload runs while the caller goes on reading pages:
   * at most one is in flight (this waits for the previous one first), so memory stays at two blocks.
   * A failed upload surfaces at the next send or at `commit`, which never commits without every block.
   */
  private async send(plain: Buffer): Promise<void> {
    const body = this.encoding.compression === 'gzip' ? gzipSync(plain) : plain;
    await this.settleUpload();
    const blockId = Buffer.from(`${this.blockIdPrefix}-${String(this.blockIds.length).padStart(6, '0')}`).toString(
      'base64',
    );
    this.blockIds.push(blockId);
    this.bytes += body.length;
    const upload = this.stage(blockId, body);
    // Awaited by the next send or by commit; until then a failure must not count as unhandled.
    upload.catch(() => undefined);
    this.inFlight = upload;
  }

  /** Waits for the block in flight, if any; rethrows its failure. */
  private async settleUpload(): Promise<void> {
    const upload = this.inFlight;
    this.inFlight = undefined;
    await upload;
  }

  private async stage(blockId: string, body: Buffer): Promise<void> {
    // Content-MD5 makes the service verify the block as received (a block corrupted in transit is refused,
    // not committed); it also spares the service the CRC64 it would otherwise compute and echo.
    const transactionalContentMD5 = createHash('md5').update(body).digest();
    try {
      await this.blob.stageBlock(blockId, body, body.length, { transactionalContentMD5 });
    } catch (error) {
      throw new StorageError(
        `Uploading to export blob ${this.blobName} failed: ${describeError(error)}. No blob was ` +
          `created and the watermark is unchanged.`,
        { code: 'BlobUploadFailed', statusCode: storageStatusOf(error), retryable: true, cause: error },
      );
    }
  }
}
