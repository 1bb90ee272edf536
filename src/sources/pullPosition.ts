import { fromTicks, toTicks, type Timestamp } from '../common/timestamp';
import type { PullPosition, RawIncident, TieSlice } from './incident';

/**
 * Largest `$skip` a pull ever sends. Microsoft Graph's security API answers 400 above 500
 * (https://learn.microsoft.com/graph/api/resources/security-error-codes, "Constraints"); the Defender API
 * documents no limit, but a deep `$skip` over a list that shifts is slow and fragile, so both keep to it.
 */
export const MAX_SKIP = 500;

const TICKS_PER_MS = 10_000n;
/** Creation-time span of the first slice of a deep tie; later slices double while they stay shallow. */
const FIRST_SLICE_TICKS = 3_600_000n * TICKS_PER_MS;
/** Past this far below the tie, the last slice is open-ended (the API keeps 180 days of incidents). */
const OPEN_SLICE_AFTER_TICKS = 200n * 86_400_000n * TICKS_PER_MS;

/** Field names of one API in `$filter`. */
export interface KeysetFields {
  readonly updated: string;
  readonly created: string;
}

/** The `$filter` clauses that select the page at `position` (besides the pull's window). */
export function positionClauses(position: PullPosition, fields: KeysetFields): string[] {
  const { cursor, tie } = position;
  if (cursor === undefined) return [];
  if (position.belowCursor === true) return [`${fields.updated} lt ${cursor}`];
  if (tie === undefined) return [`${fields.updated} le ${cursor}`];
  const clauses = [`${fields.updated} eq ${cursor}`];
  if (tie.createdFrom !== undefined) clauses.push(`${fields.created} ge ${tie.createdFrom}`);
  if (tie.createdBefore !== undefined) clauses.push(`${fields.created} lt ${tie.createdBefore}`);
  return clauses;
}

/**
 * Where the pull continues after a page read at `position`; undefined when the pull is complete. Pure:
 * a function of the position, the page (newest first) and whether the API said more remain.
 *
 * A full page continues at its oldest update time, read again from the top (no `$skip`): an incident read
 * there and updated before the next request cannot make the `$skip` pass over an unread one.
 * A tie (a full page updated at one instant) is read with a growing `$skip` while that stays within
 * MAX_SKIP. Deeper, the tie is read in slices of creation time (`lastUpdateTime eq T and createdTime ge a
 * and createdTime lt b`), each again within MAX_SKIP: a slice that overflows is halved (the incidents
 * re-read are the same versions, dropped by the caller's dedupe), a slice that ends makes room for the
 * next, older one at twice the span, and the last one is open-ended. Then the pull goes on below T. This
 * relies on no order inside a tie, only on the filters both APIs document.
 */
export function nextPosition(
  position: PullPosition,
  incidents: readonly Pick<RawIncident, 'lastUpdateTime'>[],
  pageSize: number,
  moreRemain: boolean,
): PullPosition | undefined {
  const full = moreRemain || incidents.length >= pageSize;
  if (position.tie !== undefined && position.cursor !== undefined) {
    if (!full) return nextSlice(position.cursor, position.tie);
    const skip = position.skip + incidents.length;
    return skip <= MAX_SKIP ? { ...position, skip } : splitSlice(position.cursor, position.tie, skip);
  }
  if (!full) return undefined;
  const oldest = incidents[incidents.length - 1]?.lastUpdateTime;
  if (oldest === undefined) return position;
  // A page that reaches below its oldest time: the next one starts again at that time with no $skip, and the
  // caller's dedupe drops the few versions there already read. A $skip over them would pass over an unread
  // incident if one of them is updated (leaves the list) before the next request.
  if (incidents.some((incident) => incident.lastUpdateTime !== oldest)) return { cursor: oldest, skip: 0 };
  // A page wholly at one time is a tie: only a $skip (or creation-time slices) gets past it.
  const continued = oldest === position.cursor && position.belowCursor !== true ? position.skip : 0;
  const skip = continued + incidents.length;
  if (skip <= MAX_SKIP) return { cursor: oldest, skip };
  return { cursor: oldest, skip: 0, tie: { createdFrom: fromTicks(toTicks(oldest) + 1n - FIRST_SLICE_TICKS) } };
}

/** True when `next` continues the same query as `position` (so an `@odata.nextLink` of the page may be followed). */
export function sameQuery(position: PullPosition, next: PullPosition): boolean {
  if (position.tie === undefined && next.tie === undefined) return true;
  return (
    position.cursor === next.cursor &&
    position.tie?.createdFrom === next.tie?.createdFrom &&
    position.tie?.createdBefore === next.tie?.createdBefore &&
    next.skip > position.skip
  );
}

/** The slice below a finished one, twice as wide; after the open-ended one, the tie is done. */
function nextSlice(cursor: Timestamp, slice: TieSlice): PullPosition {
  if (slice.createdFrom === undefined) return { cursor, skip: 0, belowCursor: true };
  const from = toTicks(slice.createdFrom);
  const width = upperTicks(cursor, slice) - from;
  const nextFrom = from - 2n * width;
  const tie: TieSlice =
    nextFrom < toTicks(cursor) - OPEN_SLICE_AFTER_TICKS
      ? { createdBefore: slice.createdFrom }
      : { createdFrom: fromTicks(nextFrom), createdBefore: slice.createdFrom };
  return { cursor, skip: 0, tie };
}

/**
 * A slice deeper than MAX_SKIP: keep its newer half. One that cannot be halved any more (more than
 * MAX_SKIP incidents updated and created within the same tick) continues with the deeper `$skip`: the
 * Defender API serves it; Microsoft Graph refuses it loudly rather than anything being skipped.
 */
function splitSlice(cursor: Timestamp, slice: TieSlice, skip: number): PullPosition {
  const upper = upperTicks(cursor, slice);
  if (slice.createdFrom === undefined)
    return {
      cursor,
      skip: 0,
      tie: { createdFrom: fromTicks(upper - FIRST_SLICE_TICKS), createdBefore: slice.createdBefore },
    };
  const width = upper - toTicks(slice.createdFrom);
  if (width <= 1n) return { cursor, skip, tie: slice };
  return { cursor, skip: 0, tie: { createdFrom: fromTicks(upper - width / 2n), createdBefore: slice.createdBefore } };
}

/** The slice's upper bound in ticks; an open one ends just after the tie's update time (an incident is created before it is updated). */
function upperTicks(cursor: Timestamp, slice: TieSlice): bigint {
  return slice.createdBefore === undefined ? toTicks(cursor) + 1n : toTicks(slice.createdBefore);
}
