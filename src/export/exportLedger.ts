import { maxTimestamp, type Timestamp } from '../common/timestamp';
import { versionKey, type PullPosition, type RawIncident } from '../sources/incident';
import {
  pruneExported,
  prunePassExported,
  type ExportState,
  type PassProgress,
  type RunRecord,
  type SourceNotes,
} from './exportState';
import type { WindowPlan } from './windowPlan';

/** Above this many entries, the ledger trims what the rest of the pull can no longer read again. */
const TRIM_ABOVE_ENTRIES = 5000;

/** What the next state records besides the ledger's own bookkeeping. */
export interface StateInput {
  /** The pull reached its window start: the watermark moves. */
  readonly done: boolean;
  /** The run failed: the record is not a success. */
  readonly failed: boolean;
  readonly record: RunRecord;
  readonly sourceName: string;
  readonly at: string;
  /** The source switch and the Graph readiness as the run knows them (default: as in the previous state). */
  readonly notes?: SourceNotes;
}

/**
 * The bookkeeping of one export run, over plain data: which versions are new (`accept`), how far the pull
 * got (`advance`), and what the state becomes (`nextState`). Pure: no I/O, no clock.
 */
export class ExportLedger {
  private readonly exported: Record<string, Timestamp>;
  /** Versions read this run, by update time: with keyset paging only those at the cursor can come again. */
  private readonly seenThisRun = new Map<string, Timestamp>();
  private newestSeen: Timestamp | undefined;
  private current: PullPosition | undefined;
  private duplicates = 0;

  constructor(
    private readonly previous: ExportState | undefined,
    private readonly plan: WindowPlan,
    private readonly overlapMs: number,
    private readonly startedAt: string,
  ) {
    this.exported = { ...(previous?.exported ?? {}) };
    this.newestSeen = plan.resumed?.newest;
    this.current = plan.start;
  }

  /** True when the incident is a version not exported yet (and records it); false for a duplicate. */
  accept(incident: RawIncident): boolean {
    this.newestSeen =
      this.newestSeen === undefined ? incident.lastUpdateTime : maxTimestamp(this.newestSeen, incident.lastUpdateTime);
    const key = versionKey(incident);
    const known = this.exported[incident.id];
    if (known === incident.lastUpdateTime || this.seenThisRun.has(key)) {
      // The versions at the cursor are read again by design (see nextPosition): not duplicates the API sent.
      if (incident.lastUpdateTime !== this.current?.cursor) this.duplicates += 1;
      return false;
    }
    this.seenThisRun.set(key, incident.lastUpdateTime);
    if (known === undefined || incident.lastUpdateTime > known) this.exported[incident.id] = incident.lastUpdateTime;
    return true;
  }

  /** True for a version exported before or read earlier in this run. */
  knows(incident: RawIncident): boolean {
    return this.exported[incident.id] === incident.lastUpdateTime || this.seenThisRun.has(versionKey(incident));
  }

  /** The pull moved on to `next` (undefined: it reached the window start). */
  advance(next: PullPosition | undefined): void {
    this.current = next;
    this.trim();
  }

  get position(): PullPosition | undefined {
    return this.current;
  }

  get complete(): boolean {
    return this.current === undefined;
  }

  get duplicatesDropped(): number {
    return this.duplicates;
  }

  get newest(): Timestamp | undefined {
    return this.newestSeen;
  }

  /** True when the pull got past where it started: then a failure still keeps the pages read (see runExport). */
  get movedOn(): boolean {
    const cursor = this.current?.cursor;
    return cursor !== undefined && cursor !== this.plan.resumed?.cursor;
  }

  /** The state after this run's committed parts: the new watermark when done, else the pull in progress. */
  nextState(input: StateInput): ExportState {
    const watermarkBefore = this.previous?.watermark;
    const notes = input.notes ?? this.previous ?? {};
    const common = {
      ...(notes.apiSwitch ? { apiSwitch: notes.apiSwitch } : {}),
      ...(notes.graphReadiness ? { graphReadiness: notes.graphReadiness } : {}),
      schemaVersion: 1 as const,
      source: input.sourceName,
      updatedAt: input.at,
      lastRun: input.record,
      lastSuccess: input.failed ? this.previous?.lastSuccess : input.record,
      lastError: this.previous?.lastError,
    };
    const position = this.current;
    const newest = this.newestSeen;
    if (input.done || position?.cursor === undefined || newest === undefined) {
      const watermark =
        newest === undefined ? (watermarkBefore ?? this.plan.from) : maxTimestamp(watermarkBefore ?? newest, newest);
      return { ...common, watermark, exported: pruneExported(this.exported, watermark, this.overlapMs) };
    }
    const watermark = watermarkBefore ?? this.plan.from;
    const pass: PassProgress = {
      from: this.plan.from,
      newest,
      cursor: position.cursor,
      skip: position.skip,
      ...(position.belowCursor === true ? { belowCursor: true } : {}),
      ...(position.tie ? { tie: position.tie } : {}),
      startedAt: this.plan.resumed?.startedAt ?? this.startedAt,
    };
    return {
      ...common,
      watermark,
      pass,
      exported: prunePassExported(this.exported, { watermark, newest, cursor: position.cursor }, this.overlapMs),
    };
  }

  /**
   * Keeps a long pull's bookkeeping bounded: versions above the cursor cannot be read again in this pull,
   * and only the overlap windows (below the old watermark and below the newest incident) matter for dedupe.
   */
  private trim(): void {
    const cursor = this.current?.cursor;
    if (cursor !== undefined && this.seenThisRun.size > TRIM_ABOVE_ENTRIES) {
      for (const [key, time] of this.seenThisRun) if (time > cursor) this.seenThisRun.delete(key);
    }
    const newest = this.newestSeen;
    if (newest !== undefined && Object.keys(this.exported).length > TRIM_ABOVE_ENTRIES) {
      const watermark = this.previous?.watermark ?? this.plan.from;
      const kept = prunePassExported(this.exported, { watermark, newest, cursor }, this.overlapMs);
      for (const id of Object.keys(this.exported)) if (!(id in kept)) delete this.exported[id];
    }
  }
}
