import type { ContainerClient } from '@azure/storage-blob';
import { StateError } from '../common/errors';
import { parseTimestamp, type Timestamp } from '../common/timestamp';
import type { TieSlice } from '../sources/incident';
import { readPositionExtras } from './exportState';
import { BlobConflictError, JsonBlobStore } from './jsonBlobStore';
import { SINGLE_TENANT_LAYOUT, type BlobLayout } from './blobLayout';
import { property } from '../common/jsonFields';

/** Data retention of the incidents API: a backfill cannot reach further back. */
export const RETENTION_DAYS = 180;

/**
 * A re-export of a time window into `backfill/...` blobs, kept in `state/backfill/<id>.json` so that
 * it survives interruptions: the CLI, the HTTP trigger and the timer all continue the same job.
 */
export interface BackfillJob {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly from: Timestamp;
  readonly to: Timestamp;
  readonly status: 'pending' | 'running' | 'complete';
  /** Where the newest-first pull of the window continues; undefined before the first page. */
  readonly cursor?: Timestamp;
  readonly skip: number;
  /** Where the pull stands inside a deep tie at `cursor`, or that it is past it (see sources/pullPosition.ts). */
  readonly belowCursor?: boolean;
  readonly tie?: TieSlice;
  /** Ids of the incidents at `cursor` already written: the resumed pull reads them again and drops them. */
  readonly readAtCursor?: readonly string[];
  readonly incidents: number;
  readonly pages: number;
  readonly blobs: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly requestedBy: string;
  readonly lastError?: string;
}

/** Deterministic id of a window, so asking for the same window again resumes it. */
export function backfillJobId(from: Timestamp, to: Timestamp): string {
  const compact = (t: Timestamp): string => t.replace(/[-:]/g, '').replace('.', '');
  return `${compact(from)}-${compact(to)}`;
}

/** Checks a requested window; returns the problems, each with its fix (empty when valid). */
export function validateBackfillWindow(
  fromText: string | undefined,
  toText: string | undefined,
  now: Date,
): { problems: string[]; from?: Timestamp; to?: Timestamp } {
  const problems: string[] = [];
  const from = fromText === undefined ? undefined : parseTimestamp(fromText);
  const to = toText === undefined ? parseTimestamp(now.toISOString()) : parseTimestamp(toText);
  if (fromText === undefined) problems.push("'from' is required: an ISO 8601 time such as 2026-11-01T00:00:00Z.");
  else if (!from) problems.push(`'from' is not an ISO 8601 time: '${fromText}' (use e.g. 2026-11-01T00:00:00Z).`);
  if (toText !== undefined && !to)
    problems.push(`'to' is not an ISO 8601 time: '${toText}' (use e.g. 2026-11-02T00:00:00Z).`);
  if (from && to) {
    if (from >= to) problems.push(`'from' (${from}) must be before 'to' (${to}): swap them.`);
    const oldest = new Date(now.getTime() - RETENTION_DAYS * 86_400_000).toISOString();
    if (from < (parseTimestamp(oldest) ?? from))
      problems.push(
        `'from' (${from}) is beyond the API's ${RETENTION_DAYS}-day retention (oldest available: ` +
          `${oldest}): incidents older than that cannot be exported.`,
      );
    if (to > (parseTimestamp(new Date(now.getTime() + 60_000).toISOString()) ?? to))
      problems.push(`'to' (${to}) is in the future: leave it out to mean now.`);
  }
  return problems.length > 0 ? { problems } : { problems, from, to };
}

/**
 * Backfill jobs (`state/backfill/<id>.json`, or under `tenants/<id>/`) in the state container, on the
 * ETag-guarded JSON blob store, like the main state.
 */
export class BackfillJobStore {
  private readonly store: JsonBlobStore<BackfillJob>;
  private readonly prefix: string;

  constructor(container: ContainerClient, layout: BlobLayout = SINGLE_TENANT_LAYOUT) {
    const prefix = layout.backfillJobPrefix;
    this.prefix = prefix;
    this.store = new JsonBlobStore(container, {
      what: 'backfill job',
      parse: (text, blobName) => parseJob(text, blobName.slice(prefix.length).replace(/\.json$/, ''), prefix),
      writeHint: 'The blobs already written are kept; running the same backfill again resumes it.',
    });
  }

  async read(id: string): Promise<{ job: BackfillJob; etag: string } | undefined> {
    const found = await this.store.read(this.blobName(id));
    return found && { job: found.value, etag: found.etag };
  }

  /** Writes the job if it still has `etag` (undefined: must not exist yet); returns the new ETag, or undefined on a conflict. */
  async write(job: BackfillJob, etag: string | undefined): Promise<string | undefined> {
    try {
      return await this.store.write(this.blobName(job.id), job, etag);
    } catch (error) {
      if (error instanceof BlobConflictError) return undefined;
      throw error;
    }
  }

  /** Jobs not complete yet, oldest first. */
  async pending(): Promise<BackfillJob[]> {
    const jobs: BackfillJob[] = [];
    for (const name of await this.store.list(this.prefix)) {
      const found = await this.store.read(name);
      if (found && found.value.status !== 'complete') jobs.push(found.value);
    }
    return jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  private blobName(id: string): string {
    return `${this.prefix}${id}.json`;
  }
}

function parseJob(text: string, id: string, prefix: string): BackfillJob {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const get = (key: string): unknown => property(body, key);
  const time = (key: string): Timestamp | undefined => {
    const value = get(key);
    return typeof value === 'string' ? parseTimestamp(value) : undefined;
  };
  const from = time('from');
  const to = time('to');
  const status = get('status');
  const corrupted = new StateError(
    `Backfill job ${prefix}${id}.json is corrupted: delete it and start the backfill again (its blobs are kept).`,
    { code: 'BackfillCorrupted' },
  );
  if (
    get('schemaVersion') !== 1 ||
    !from ||
    !to ||
    (status !== 'pending' && status !== 'running' && status !== 'complete')
  )
    throw corrupted;
  const number = (key: string): number => (typeof get(key) === 'number' ? Number(get(key)) : 0);
  const textField = (key: string): string => (typeof get(key) === 'string' ? String(get(key)) : '');
  const blobs = get('blobs');
  const readAtCursor = get('readAtCursor');
  return {
    schemaVersion: 1,
    id,
    from,
    to,
    status,
    cursor: time('cursor'),
    skip: number('skip'),
    ...(typeof body === 'object' && body !== null ? readPositionExtras(body, () => corrupted) : {}),
    ...(Array.isArray(readAtCursor)
      ? { readAtCursor: readAtCursor.filter((x): x is string => typeof x === 'string') }
      : {}),
    incidents: number('incidents'),
    pages: number('pages'),
    blobs: Array.isArray(blobs) ? blobs.filter((b): b is string => typeof b === 'string') : [],
    createdAt: textField('createdAt'),
    updatedAt: textField('updatedAt'),
    requestedBy: textField('requestedBy'),
    lastError: get('lastError') === undefined ? undefined : textField('lastError'),
  };
}
