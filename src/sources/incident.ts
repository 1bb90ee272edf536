import type { Timestamp } from '../common/timestamp';

/**
 * One incident version as received: the fields we rely on, validated, and the exact JSON text,
 * which is what gets exported.
 */
export interface RawIncident {
  /** Incident id as text (Defender's numeric `incidentId`, Graph's string `id`). */
  readonly id: string;
  readonly lastUpdateTime: Timestamp;
  /** The incident's JSON exactly as the API sent it (UTF-8 bytes). */
  readonly json: Buffer;
}

/** Identity of one version: id plus update time. Two equal keys are the same version. */
export function versionKey(incident: Pick<RawIncident, 'id' | 'lastUpdateTime'>): string {
  return `${incident.id}@${incident.lastUpdateTime}`;
}

/**
 * Where a newest-first pull stands. Normally the next page is `lastUpdateTime le cursor`, skipping `skip`
 * incidents at exactly `cursor`. After a tie too deep for `$skip`, `tie` says which creation-time slice of
 * the incidents at exactly `cursor` is being read (`skip` counts within it), and `belowCursor` that the
 * whole tie is read and the pull continues with `lastUpdateTime lt cursor` (see pullPosition.ts).
 */
export interface PullPosition {
  /** Oldest update time seen so far; undefined before the first page. */
  readonly cursor: Timestamp | undefined;
  /** How many incidents at exactly `cursor` (or within the tie slice) were already read. */
  readonly skip: number;
  /** Every incident at exactly `cursor` was read: continue strictly below it. */
  readonly belowCursor?: boolean;
  /** Reading a deep tie at `cursor` one creation-time slice at a time. */
  readonly tie?: TieSlice;
}

/** Incidents updated at exactly the cursor and created in [createdFrom, createdBefore); a missing bound is open. */
export interface TieSlice {
  readonly createdFrom?: Timestamp;
  readonly createdBefore?: Timestamp;
}

/** One page of a pull, in the API's order (newest first). */
export interface IncidentPage {
  readonly incidents: readonly RawIncident[];
  readonly requestUrl: string;
  /** Where the pull continues after this page; undefined when this was the last page. */
  readonly next: PullPosition | undefined;
}

export interface PullOptions {
  /** Resume a pull that an earlier run stopped (default: the newest incident). */
  readonly start?: PullPosition;
  /** Asked before each request; false stops the pull cleanly (the run's budget is nearly spent). */
  readonly shouldContinue?: () => boolean;
  readonly abortSignal?: AbortSignal;
  /**
   * True for a version the caller already has (written, or dropped as a duplicate). Given, a tie paged with
   * `$skip` re-reads a few of its incidents already read, to notice members that left the tie meanwhile.
   */
  readonly known?: (incident: RawIncident) => boolean;
}

/** The time window of a pull: from (inclusive), to (exclusive, optional). */
export interface PullWindow {
  readonly from: Timestamp;
  readonly to?: Timestamp;
}

/** An incidents API as the export sees it. */
export interface IncidentSource {
  readonly name: 'defender' | 'graph';
  pull(window: PullWindow, options?: PullOptions): AsyncIterable<IncidentPage>;
  readonly stats: SourceStats;
}

export interface SourceStats {
  apiCalls: number;
  pages: number;
  throttledWaits: number;
  throttledMs: number;
  retries: number;
  /**
   * Pages read without the alerts the settings asked for (Graph: `$expand=alerts` failed persistently, so the
   * page was read again without it). Above 0, the run's incidents are complete but some lack their `alerts`.
   */
  alertsOmittedPages: number;
}

export function newSourceStats(): SourceStats {
  return { apiCalls: 0, pages: 0, throttledWaits: 0, throttledMs: 0, retries: 0, alertsOmittedPages: 0 };
}
