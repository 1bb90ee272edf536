import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';
import type { PullPosition } from '../../src/sources/incident';
import { MAX_SKIP, nextPosition, positionClauses, sameQuery } from '../../src/sources/pullPosition';

const T = requireTimestamp('2026-11-20T10:00:00.1234567Z', 'T');
const at = (time: Timestamp, count: number): { lastUpdateTime: Timestamp }[] =>
  Array.from({ length: count }, () => ({ lastUpdateTime: time }));
const fields = { updated: 'lastUpdateTime', created: 'createdTime' };

describe('nextPosition', () => {
  it('ends the pull on a short page', () => {
    expect(nextPosition({ cursor: undefined, skip: 0 }, at(T, 3), 100, false)).toBeUndefined();
  });

  it('continues a full page at its oldest time with no $skip (the dedupe drops what is read again there)', () => {
    const older = requireTimestamp('2026-11-20T09:00:00Z', 'older');
    expect(nextPosition({ cursor: undefined, skip: 0 }, [...at(T, 97), ...at(older, 3)], 100, false)).toEqual({
      cursor: older,
      skip: 0,
    });
    expect(nextPosition({ cursor: T, skip: 0 }, [...at(T, 60), ...at(older, 40)], 100, false)).toEqual({
      cursor: older,
      skip: 0,
    });
  });

  it('reads a page wholly at one time as a tie, with a growing $skip', () => {
    const older = requireTimestamp('2026-11-20T09:00:00Z', 'older');
    expect(nextPosition({ cursor: older, skip: 0 }, at(older, 100), 100, false)).toEqual({ cursor: older, skip: 100 });
    expect(nextPosition({ cursor: older, skip: 100 }, at(older, 100), 100, false)).toEqual({
      cursor: older,
      skip: 200,
    });
    expect(nextPosition({ cursor: undefined, skip: 0 }, at(T, 100), 100, false)).toEqual({ cursor: T, skip: 100 });
  });

  it('follows a page that the API says is not the last although it is short', () => {
    expect(nextPosition({ cursor: undefined, skip: 0 }, at(T, 20), 50, true)).toEqual({ cursor: T, skip: 20 });
  });

  it(`reads a tie deeper than $skip ${MAX_SKIP} in creation-time slices instead of a deeper $skip`, () => {
    const next = nextPosition({ cursor: T, skip: 450 }, at(T, 100), 100, false);
    expect(next?.cursor).toBe(T);
    expect(next?.skip).toBe(0);
    expect(next?.tie?.createdBefore).toBeUndefined();
    expect(next?.tie?.createdFrom).toBe('2026-11-20T09:00:00.1234568Z');
    expect(positionClauses(next as PullPosition, fields)).toEqual([
      `lastUpdateTime eq ${T}`,
      'createdTime ge 2026-11-20T09:00:00.1234568Z',
    ]);
  });

  it('halves a slice that is itself too deep, and grows the next one when a slice ends', () => {
    const slice: PullPosition = {
      cursor: T,
      skip: 500,
      tie: {
        createdFrom: requireTimestamp('2026-11-20T06:00:00Z', 'from'),
        createdBefore: requireTimestamp('2026-11-20T08:00:00Z', 'before'),
      },
    };
    expect(nextPosition(slice, at(T, 50), 50, false)).toEqual({
      cursor: T,
      skip: 0,
      tie: { createdFrom: '2026-11-20T07:00:00.0000000Z', createdBefore: '2026-11-20T08:00:00.0000000Z' },
    });
    expect(nextPosition({ ...slice, skip: 0 }, at(T, 10), 50, false)).toEqual({
      cursor: T,
      skip: 0,
      tie: { createdFrom: '2026-11-20T02:00:00.0000000Z', createdBefore: '2026-11-20T06:00:00.0000000Z' },
    });
  });

  it('ends the tie after the open-ended oldest slice and continues strictly below it', () => {
    const last: PullPosition = {
      cursor: T,
      skip: 0,
      tie: { createdBefore: requireTimestamp('2026-05-01T00:00:00Z', 'before') },
    };
    const next = nextPosition(last, at(T, 3), 100, false);
    expect(next).toEqual({ cursor: T, skip: 0, belowCursor: true });
    expect(positionClauses(next as PullPosition, fields)).toEqual([`lastUpdateTime lt ${T}`]);
  });

  it("makes the slice open-ended once it reaches past the API's retention", () => {
    const wide: PullPosition = {
      cursor: T,
      skip: 0,
      tie: {
        createdFrom: requireTimestamp('2026-09-01T00:00:00Z', 'from'),
        createdBefore: requireTimestamp('2026-11-01T00:00:00Z', 'before'),
      },
    };
    expect(nextPosition(wide, [], 100, false)).toEqual({
      cursor: T,
      skip: 0,
      tie: { createdBefore: '2026-09-01T00:00:00.0000000Z' },
    });
  });

  it('moves to a new cursor below a finished tie without carrying its skip', () => {
    const older = requireTimestamp('2026-11-19T00:00:00Z', 'older');
    expect(nextPosition({ cursor: T, skip: 0, belowCursor: true }, at(older, 100), 100, false)).toEqual({
      cursor: older,
      skip: 100,
    });
  });

  it('keeps a deeper $skip only for a slice that cannot be halved any more', () => {
    const instant: PullPosition = { cursor: T, skip: 500, tie: { createdFrom: T } };
    expect(nextPosition(instant, at(T, 50), 50, false)).toEqual({ cursor: T, skip: 550, tie: { createdFrom: T } });
  });
});

describe('sameQuery', () => {
  it('lets a nextLink be followed within one query and never across slices', () => {
    const slice: PullPosition = { cursor: T, skip: 0, tie: { createdFrom: T } };
    expect(sameQuery({ cursor: undefined, skip: 0 }, { cursor: T, skip: 20 })).toBe(true);
    expect(sameQuery(slice, { ...slice, skip: 50 })).toBe(true);
    expect(sameQuery(slice, { cursor: T, skip: 0, belowCursor: true })).toBe(false);
  });
});
