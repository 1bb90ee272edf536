import { versionKey, type PullPosition, type RawIncident } from '../sources/incident';
import type { BackfillJob } from './backfillJob';
import type { CommittedPart } from './partWriter';

/** How far a backfill job got, for a progress bar. */
export interface BackfillProgress {
  readonly job: BackfillJob;
  /** Share of the window's time span already covered (newest first), 0 to 1. */
  readonly fraction: number;
}

/**
 * The bookkeeping of one backfill invocation over plain data: each version written once (`accept`), where
 * the pull stands (`advance`), and the job to record after a committed part (`nextJob`). Pure: no I/O.
 */
export class BackfillLedger {
  private readonly seen = new Set<string>();
  private position: PullPosition;
  private pagesSinceCheckpoint = 0;
  private writtenCount = 0;

  constructor(private current: BackfillJob) {
    this.position = jobPosition(current);
    const { cursor } = current;
    if (cursor !== undefined)
      for (const id of current.readAtCursor ?? []) this.seen.add(versionKey({ id, lastUpdateTime: cursor }));
  }

  get job(): BackfillJob {
    return this.current;
  }

  get start(): PullPosition {
    return jobPosition(this.current);
  }

  /** Incidents this invocation wrote. */
  get written(): number {
    return this.writtenCount;
  }

  accept(incident: RawIncident): boolean {
    const key = versionKey(incident);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.writtenCount += 1;
    return true;
  }

  /** True for a version this job already wrote (this invocation, or at the cursor before it). */
  knows(incident: RawIncident): boolean {
    return this.seen.has(versionKey(incident));
  }

  advance(next: PullPosition | undefined): void {
    this.pagesSinceCheckpoint += 1;
    if (next !== undefined) this.position = next;
  }

  /** The progress to show after a page, counting the incidents in the open part. */
  progress(openIncidents: number, complete: boolean): BackfillProgress {
    const job = this.current;
    const cursor = complete ? undefined : this.position.cursor;
    const spanMs = Date.parse(job.to) - Date.parse(job.from);
    const fraction =
      cursor === undefined
        ? complete
          ? 1
          : 0
        : Math.min(1, Math.max(0, (Date.parse(job.to) - Date.parse(cursor)) / spanMs));
    return {
      job: { ...job, incidents: job.incidents + openIncidents, pages: job.pages + this.pagesSinceCheckpoint, cursor },
      fraction,
    };
  }

  /** The job after `part` (if any) was committed at `at`. */
  nextJob(done: boolean, part: CommittedPart | undefined, at: string): BackfillJob {
    const job = this.current;
    const { cursor, skip, belowCursor, tie } = this.position;
    const readAtCursor = done || cursor === undefined ? [] : this.readAt(cursor);
    return {
      ...job,
      status: done ? 'complete' : 'running',
      cursor: cursor ?? job.cursor,
      skip,
      belowCursor,
      tie,
      readAtCursor: readAtCursor.length > 0 ? readAtCursor : undefined,
      incidents: job.incidents + (part?.incidents ?? 0),
      pages: job.pages + this.pagesSinceCheckpoint,
      blobs: part ? [...job.blobs, part.name] : job.blobs,
      updatedAt: at,
      lastError: undefined,
    };
  }

  /** Ids of the versions at `cursor` written so far (the resumed pull starts by reading them again). */
  private readAt(cursor: string): string[] {
    const suffix = `@${cursor}`;
    return [...this.seen].filter((key) => key.endsWith(suffix)).map((key) => key.slice(0, -suffix.length));
  }

  /** `job` was recorded: the next checkpoint counts from here. */
  recorded(job: BackfillJob): void {
    this.current = job;
    this.pagesSinceCheckpoint = 0;
  }
}

function jobPosition(job: BackfillJob): PullPosition {
  return {
    cursor: job.cursor,
    skip: job.skip,
    ...(job.belowCursor === true ? { belowCursor: true } : {}),
    ...(job.tie ? { tie: job.tie } : {}),
  };
}
