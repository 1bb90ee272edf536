import { isRestError } from '@azure/core-rest-pipeline';
import type { ContainerClient } from '@azure/storage-blob';
import { describeError, StateError, StorageError } from '../common/errors';
import { azureErrorStatus } from '../auth/azureErrorStatus';
import { stateStorageFix } from './stateStorageFix';

/** A JSON document as read, with the ETag of exactly those bytes (a later write must match it). */
export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
  /** When the service last wrote the blob, and the service's time of this read (its Date header): both service time. */
  readonly lastModified?: Date;
  readonly serviceTime?: Date;
}

/** Another writer changed the blob since it was read (412), or created it first (409). */
export class BlobConflictError extends StateError {}

/** How one kind of document is named in messages and checked when read. */
export interface JsonDocumentKind<T> {
  /** E.g. 'state blob', 'backfill job': used in error messages. */
  readonly what: string;
  /** Parses the blob's text; throws a StateError naming the recovery when it does not fit. */
  readonly parse: (text: string, blobName: string) => T;
  /** Appended to a failed read's message, after the fix: what a failed read means for the exporter. */
  readonly readConsequence?: string;
  /** Appended to a failed write's message: what is kept and what happens next. */
  readonly writeHint: string;
}

/**
 * One ETag-guarded JSON blob store for every document the exporter rewrites (the state, backfill jobs).
 * A read is ONE download whose reply carries both the bytes and their ETag, so content and ETag always
 * belong together; a write names that ETag (`If-Match`) or `If-None-Match: *` for a new blob, so two
 * writers never overwrite each other blindly: the loser gets a BlobConflictError and re-reads.
 */
export class JsonBlobStore<T> {
  constructor(
    private readonly container: ContainerClient,
    private readonly kind: JsonDocumentKind<T>,
  ) {}

  /** The document and its ETag; undefined when the blob does not exist. */
  async read(blobName: string): Promise<Versioned<T> | undefined> {
    let text: string;
    let etag: string;
    let times: Pick<Versioned<T>, 'lastModified' | 'serviceTime'>;
    try {
      const reply = await this.container.getBlockBlobClient(blobName).download();
      text = reply.readableStreamBody ? await readText(reply.readableStreamBody) : '';
      etag = reply.etag ?? '';
      times = {
        ...(reply.lastModified ? { lastModified: reply.lastModified } : {}),
        ...(reply.date ? { serviceTime: reply.date } : {}),
      };
    } catch (error) {
      const status = storageStatusOf(error);
      if (status === 404) return undefined;
      const consequence = this.kind.readConsequence === undefined ? '' : ` ${this.kind.readConsequence}`;
      throw new StorageError(
        `Reading the ${this.kind.what} ${blobName} failed: ${describeError(error)}. ` +
          `${stateStorageFix(status)}${consequence}`,
        { code: 'StateReadFailed', statusCode: status, retryable: true, cause: error },
      );
    }
    return { value: this.kind.parse(text, blobName), etag, ...times };
  }

  /**
   * Writes `value` if the blob still has `etag` (undefined: if it does not exist yet) and returns the new
   * ETag; BlobConflictError when another writer got there first.
   */
  async write(blobName: string, value: T, etag: string | undefined): Promise<string> {
    const body = JSON.stringify(value, null, 2);
    try {
      const result = await this.container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), {
        conditions: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return result.etag ?? '';
    } catch (error) {
      const status = storageStatusOf(error);
      const code = isRestError(error) ? error.code : undefined;
      if (status === 409 && code !== undefined && /Immutab|LegalHold/i.test(code)) {
        throw new StorageError(
          `Writing the ${this.kind.what} ${blobName} was refused (${code}): its container keeps blobs immutable ` +
            '(a retention policy or legal hold), and the state is rewritten on every run. Keep the state in a ' +
            "container without a policy: set EXPORT_STATE_CONTAINER (see the README's 'Immutable exports').",
          { code: 'StateContainerImmutable', statusCode: status, retryable: false, cause: error },
        );
      }
      if (status === 412 || status === 409) {
        throw new BlobConflictError(`Another run changed the ${this.kind.what} ${blobName} meanwhile.`, {
          code: 'StateConflict',
          statusCode: status,
          retryable: true,
          cause: error,
        });
      }
      const fix = status === 403 ? ` ${stateStorageFix(status)}` : '';
      throw new StorageError(
        `Writing the ${this.kind.what} ${blobName} failed: ${describeError(error)}. ${this.kind.writeHint}${fix}`,
        { code: 'StateWriteFailed', statusCode: status, retryable: true, cause: error },
      );
    }
  }

  /** Writes `value` whatever is there (operator recovery commands only). */
  async overwrite(blobName: string, value: T): Promise<string> {
    const body = JSON.stringify(value, null, 2);
    const result = await this.container
      .getBlockBlobClient(blobName)
      .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    return result.etag ?? '';
  }

  /** Names of the documents under `prefix`. */
  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  }
}

/** The HTTP status of a storage SDK error (RestError, or the AuthenticationError of its credential), if it has one. */
export function storageStatusOf(error: unknown): number | undefined {
  return azureErrorStatus(error);
}

async function readText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
