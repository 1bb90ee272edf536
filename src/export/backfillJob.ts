import type { ContainerClient } from '@azure/storage-blob';
import { describeError, StateError, StorageError } from '../common/errors';
import { parseTimestamp, type Timestamp } from '../common/timestamp';
import { statusOf } from './stateStore';
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
  readonly incidents: number;
  readonly pages: number;
  readonly blobs: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly requestedBy: string;
  readonly lastError?: string;
}

export const BACKFILL_STATE_PREFIX = 'state/backfill/';

/** Deterministic id of a window, so asking for the same window again resumes it. */
export function backfillJobId(from: Timestamp, to: Timestamp): string {
  const compact = (t: Timestamp): string => t.replace(/[-:]/g, '').replace('.', '');
  return `${compact(from)}-${compact(to)}`;
}

/** Checks a requested window; returns the problems, each with its fix (empty when valid). */
export function validateBackfillWindow(fromText: string | undefined, toText: string | undefined, now: Date): { problems: string[]; from?: Timestamp; to?: Timestamp } {
  const problems: string[] = [];
  const from = fromText === undefined ? undefined : parseTimestamp(fromText);
  const to = toText === undefined ? parseTimestamp(now.toISOString()) : parseTimestamp(toText);
  if (fromText === undefined) problems.push("'from' is required: an ISO 8601 time such as 2026-11-01T00:00:00Z.");
  else if (!from) problems.push(`'from' is not an ISO 8601 time: '${fromText}' (use e.g. 2026-11-01T00:00:00Z).`);
  if (toText !== undefined && !to) problems.push(`'to' is not an ISO 8601 time: '${toText}' (use e.g. 2026-11-02T00:00:00Z).`);
  if (from && to) {
    if (from >= to) problems.push(`'from' (${from}) must be before 'to' (${to}): swap them.`);
    const oldest = new Date(now.getTime() - RETENTION_DAYS * 86_400_000).toISOString();
    if (from < (parseTimestamp(oldest) ?? from)) problems.push(`'from' (${from}) is beyond the API's ${RETENTION_DAYS}-day retention (oldest available: ${oldest}): incidents older than that cannot be exported.`);
    if (to > (parseTimestamp(new Date(now.getTime() + 60_000).toISOString()) ?? to)) problems.push(`'to' (${to}) is in the future: leave it out to mean now.`);
  }
  return problems.length > 0 ? { problems } : { problems, from, to };
}

/** Reads and writes backfill jobs with ETags, like the main state. */
export class BackfillJobStore {
  constructor(private readonly container: ContainerClient) {}

  async read(id: string): Promise<{ job: BackfillJob; etag: string } | undefined> {
    const blob = this.container.getBlockBlobClient(`${BACKFILL_STATE_PREFIX}${id}.json`);
    try {
      const response = await blob.download();
      const text = response.readableStreamBody ? await streamToString(response.readableStreamBody) : '';
      return { job: parseJob(text, id), etag: response.etag ?? '' };
    } catch (error) {
      if (error instanceof StateError) throw error;
      if (statusOf(error) === 404) return undefined;
      throw new StorageError(`Reading backfill job ${id} failed: ${describeError(error)}.`, { code: 'BackfillReadFailed', retryable: true, cause: error });
    }
  }

  /** Writes the job if it still has `etag` (undefined: must not exist yet); returns the new ETag, or undefined on a conflict. */
  async write(job: BackfillJob, etag: string | undefined): Promise<string | undefined> {
    const body = JSON.stringify(job, null, 2);
    try {
      const result = await this.container.getBlockBlobClient(`${BACKFILL_STATE_PREFIX}${job.id}.json`).upload(body, Buffer.byteLength(body), {
        conditions: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return result.etag ?? '';
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412) return undefined;
      throw new StorageError(`Writing backfill job ${job.id} failed: ${describeError(error)}.`, { code: 'BackfillWriteFailed', retryable: true, cause: error });
    }
  }

  /** Jobs not complete yet, oldest first. */
  async pending(): Promise<BackfillJob[]> {
    const jobs: BackfillJob[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: BACKFILL_STATE_PREFIX })) {
      const id = blob.name.slice(BACKFILL_STATE_PREFIX.length).replace(/\.json$/, '');
      const found = await this.read(id);
      if (found && found.job.status !== 'complete') jobs.push(found.job);
    }
    return jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}

async function streamToString(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJob(text: string, id: string): BackfillJob {
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
  if (get('schemaVersion') !== 1 || !from || !to || (status !== 'pending' && status !== 'running' && status !== 'complete')) {
    throw new StateError(`Backfill job ${BACKFILL_STATE_PREFIX}${id}.json is corrupted: delete it and start the backfill again (its blobs are kept).`, { code: 'BackfillCorrupted' });
  }
  const number = (key: string): number => (typeof get(key) === 'number' ? Number(get(key)) : 0);
  const text2 = (key: string): string => (typeof get(key) === 'string' ? String(get(key)) : '');
  const blobs = get('blobs');
  return {
    schemaVersion: 1,
    id,
    from,
    to,
    status,
    cursor: time('cursor'),
    skip: number('skip'),
    incidents: number('incidents'),
    pages: number('pages'),
    blobs: Array.isArray(blobs) ? blobs.filter((b): b is string => typeof b === 'string') : [],
    createdAt: text2('createdAt'),
    updatedAt: text2('updatedAt'),
    requestedBy: text2('requestedBy'),
    lastError: get('lastError') === undefined ? undefined : text2('lastError'),
  };
}
