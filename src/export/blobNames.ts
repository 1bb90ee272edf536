/**
 * Export blob names: `incidents/YYYY/MM/DD/<execution time, ISO 8601 with ':' as '-'>.json`, so name
 * order is time order in the portal and in Storage Explorer.
 */
export const EXPORT_PREFIX = 'incidents/';

/** Where backfill blobs go (re-exports of a window; they never move the watermark). */
export const BACKFILL_PREFIX = 'backfill/';

/** How a run's blobs are written (EXPORT_FORMAT, EXPORT_COMPRESSION). */
export interface BlobEncoding {
  readonly format: 'json' | 'ndjson';
  readonly compression: 'none' | 'gzip';
}

export const DEFAULT_ENCODING: BlobEncoding = { format: 'json', compression: 'none' };

/** File extension of a blob in this encoding: json, ndjson, json.gz, ndjson.gz. */
export function extensionOf(encoding: BlobEncoding): string {
  return `${encoding.format}${encoding.compression === 'gzip' ? '.gz' : ''}`;
}

/** Name of part `part` (1-based) of a run's output; parts after the first carry `-partNNNN`. */
export function exportBlobName(executionTime: Date, part = 1, extension = 'json', prefix = EXPORT_PREFIX): string {
  const iso = executionTime.toISOString();
  const suffix = part > 1 ? `-part${String(part).padStart(4, '0')}` : '';
  return (
    `${prefix}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/` +
    `${iso.replace(/:/g, '-')}${suffix}.${extension}`
  );
}
