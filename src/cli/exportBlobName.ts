import { parseTimestamp, type Timestamp } from '../common/timestamp';
import { BACKFILL_PREFIX, EXPORT_PREFIX } from '../export/blobNames';

/** `export`: a scheduled, manual or CLI run (`incidents/...`); `backfill`: a re-exported window (`backfill/...`). */
export type ExportKind = 'export' | 'backfill';

/** What a blob's name tells about it. */
export interface ExportBlobName {
  readonly name: string;
  readonly kind: ExportKind;
  /** Execution time of the run that wrote it; undefined when the name carries none. */
  readonly executionTime: Timestamp | undefined;
  /** `-part0002` in the name: one of several blobs of the same run. */
  readonly part: number | undefined;
  readonly format: 'json' | 'ndjson';
  readonly gzip: boolean;
  /** The registered tenant of `tenants/<id>/...` blobs; undefined for today's names. */
  readonly tenantId: string | undefined;
}

const TENANT_ROOT = /^tenants\/([^/]+)\//;

const KINDS: readonly (readonly [string, ExportKind])[] = [
  [EXPORT_PREFIX, 'export'],
  [BACKFILL_PREFIX, 'backfill'],
];
const EXTENSION = /\.(json|ndjson)(\.gz)?$/;
// NOTE: ':' is written as '-' in names so that name order is time order (see export/blobNames).
const EXECUTION_TIME = /(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(\.\d{1,7})?Z/;
const PART = /-part(\d+)\b/;

/**
 * Parses an export or backfill blob name: `incidents/YYYY/MM/DD/<time>[-partNNNN].<json|ndjson>[.gz]`
 * (or the same under `backfill/`, with any folders in between), also under a registered tenant's `tenants/<id>/`.
 * Undefined for anything else (the state blob, unrelated files).
 */
export function parseExportBlobName(name: string): ExportBlobName | undefined {
  const tenantId = TENANT_ROOT.exec(name)?.[1];
  const relative = tenantId === undefined ? name : name.slice(`tenants/${tenantId}/`.length);
  const kind = KINDS.find(([prefix]) => relative.startsWith(prefix))?.[1];
  const extension = EXTENSION.exec(name);
  if (kind === undefined || extension === null) return undefined;
  const baseName = name.slice(name.lastIndexOf('/') + 1);
  const time = EXECUTION_TIME.exec(baseName);
  const part = PART.exec(baseName);
  return {
    name,
    kind,
    executionTime: time ? parseTimestamp(`${time[1]}T${time[2]}:${time[3]}:${time[4]}${time[5] ?? ''}Z`) : undefined,
    part: part ? Number(part[1]) : undefined,
    format: extension[1] === 'ndjson' ? 'ndjson' : 'json',
    gzip: extension[2] !== undefined,
    tenantId,
  };
}
