import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { describeError, StorageError } from '../common/errors';
import { fromDate, type Timestamp } from '../common/timestamp';
import { TENANTS_PREFIX, type BlobLayout } from '../export/blobLayout';
import { BACKFILL_PREFIX, EXPORT_PREFIX } from '../export/blobNames';
import { storageStatusOf } from '../export/jsonBlobStore';
import { parseExportBlobName, type ExportBlobName } from './exportBlobName';

/** One export or backfill blob as listed: its name's facts, its metadata and its size. */
export interface ExportBlob extends ExportBlobName {
  /** From the name; the blob's creation time when the name carries none. */
  readonly executionTime: Timestamp;
  /** From the `incidentcount` metadata; undefined when missing or malformed. */
  readonly incidents: number | undefined;
  readonly windowFrom: string | undefined;
  readonly windowTo: string | undefined;
  readonly sizeBytes: number;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Every export and backfill blob of the container, oldest first (by execution time, then part, then name): of one
 * exporter (`layout`: the single tenant's or a registered tenant's names), or of all (today's names and every
 * registered tenant's).
 */
export async function listExportBlobs(container: ContainerClient, layout?: BlobLayout): Promise<ExportBlob[]> {
  const blobs: ExportBlob[] = [];
  const prefixes =
    layout === undefined
      ? [EXPORT_PREFIX, BACKFILL_PREFIX, TENANTS_PREFIX]
      : [layout.exportPrefix, layout.backfillPrefix];
  for (const prefix of prefixes) {
    for await (const item of listOrNothing(container, prefix)) {
      const parsed = parseExportBlobName(item.name);
      if (parsed === undefined) continue;
      const metadata = item.metadata ?? {};
      const count = metadata.incidentcount;
      blobs.push({
        ...parsed,
        executionTime: parsed.executionTime ?? fromDate(item.properties.createdOn ?? item.properties.lastModified),
        incidents: count !== undefined && /^\d+$/.test(count) ? Number(count) : undefined,
        windowFrom: metadata.windowfrom,
        windowTo: metadata.windowto,
        sizeBytes: item.properties.contentLength ?? 0,
        metadata,
      });
    }
  }
  return blobs.sort(compareExportBlobs);
}

/**
 * The blobs under `prefix` with their metadata; none when the container does not exist yet (the exporter
 * creates it on its first run).
 */
export async function* listOrNothing(container: ContainerClient, prefix: string): AsyncGenerator<BlobItem> {
  try {
    yield* container.listBlobsFlat({ prefix, includeMetadata: true });
  } catch (error) {
    if (storageStatusOf(error) === 404) return;
    const status = storageStatusOf(error);
    const fix =
      status === 403
        ? "grant the identity the 'Storage Blob Data Reader' role on the container (or the account)"
        : 'check EXPORT_STORAGE and EXPORT_CONTAINER';
    throw new StorageError(
      `Listing the blobs of container '${container.containerName}' failed: ${describeError(error)}. To fix it, ${fix}.`,
      { code: 'ExportListFailed', statusCode: status, retryable: status !== 403, cause: error },
    );
  }
}

function compareExportBlobs(a: ExportBlob, b: ExportBlob): number {
  if (a.executionTime !== b.executionTime) return a.executionTime < b.executionTime ? -1 : 1;
  if ((a.part ?? 0) !== (b.part ?? 0)) return (a.part ?? 0) - (b.part ?? 0);
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
