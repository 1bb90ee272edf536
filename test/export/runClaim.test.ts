import { requireTimestamp } from '../../src/common/timestamp';
import {
  backfillsMayBePending,
  mergeBackfillCounters,
  mergeStates,
  parseState,
  type ExportState,
} from '../../src/export/exportState';
import { claimIsLive, liveClaimOfOther, RUN_CLAIM_MS } from '../../src/export/runClaim';

const base: ExportState = {
  schemaVersion: 1,
  watermark: requireTimestamp('2026-11-27T07:00:00Z', 'watermark'),
  exported: {},
  source: 'defender',
  updatedAt: '2026-11-27T07:00:00Z',
};
const claim = { claimId: 'c-1', runId: 'run-1', trigger: 'queue', claimedAt: '2026-11-27T07:00:00Z' };
const at = (seconds: number): Date => new Date(Date.UTC(2026, 10, 27, 7, 0, seconds));
const snapshot = (state: ExportState, modifiedS: number, readS: number) => ({
  state,
  etag: '"e"',
  lastModified: at(modifiedS),
  serviceTime: at(readS),
});

describe('a run claim, judged in service time', () => {
  it('is live while the state was written less than the claim time (plus a second of granularity) ago', () => {
    const claimed = { ...base, runClaim: claim };
    expect(claimIsLive(snapshot(claimed, 0, 30))).toBe(true);
    expect(claimIsLive(snapshot(claimed, 0, RUN_CLAIM_MS / 1000))).toBe(true);
    expect(claimIsLive(snapshot(claimed, 0, RUN_CLAIM_MS / 1000 + 1))).toBe(false);
    expect(claimIsLive(snapshot(claimed, 0, 2), 2000)).toBe(true);
    expect(claimIsLive(snapshot(claimed, 0, 3), 2000)).toBe(false);
  });

  it('uses only the service’s two times, never this machine’s clock', () => {
    const claimed = { ...base, runClaim: claim };
    // Both times are years away from now: only their difference counts.
    const old = { state: claimed, etag: '"e"', lastModified: new Date(0), serviceTime: new Date(10_000) };
    expect(claimIsLive(old)).toBe(true);
  });

  it('falls back to the claim’s own time and this clock when the read carried no times; absent without a claim', () => {
    const claimedAt = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const without = (when: string) => ({ state: { ...base, runClaim: { ...claim, claimedAt: when } }, etag: '"e"' });
    expect(claimIsLive(without(claimedAt(1000)))).toBe(true);
    expect(claimIsLive(without(claimedAt(RUN_CLAIM_MS + 5000)))).toBe(false);
    expect(claimIsLive(without(''))).toBe(false);
    expect(claimIsLive(snapshot(base, 0, 1))).toBe(false);
    expect(claimIsLive({ state: undefined, etag: undefined })).toBe(false);
  });

  it('blocks only another run: a run’s own claim, a lapsed claim or none lets it claim', () => {
    const claimed = snapshot({ ...base, runClaim: claim }, 0, 10);
    expect(liveClaimOfOther(claimed, 'c-2', RUN_CLAIM_MS)).toEqual(claim);
    expect(liveClaimOfOther(claimed, 'c-1', RUN_CLAIM_MS)).toBeUndefined();
    expect(liveClaimOfOther(snapshot({ ...base, runClaim: claim }, 0, 120), 'c-2', RUN_CLAIM_MS)).toBeUndefined();
    expect(liveClaimOfOther(snapshot(base, 0, 10), 'c-2', RUN_CLAIM_MS)).toBeUndefined();
  });
});

describe('the state’s run claim and backfill counters', () => {
  it('round-trip through the state blob', () => {
    const stored = { ...base, runClaim: claim, backfillRequests: 3, backfillSeen: 2 };
    expect(parseState(JSON.stringify(stored))).toMatchObject({ runClaim: claim, backfillRequests: 3, backfillSeen: 2 });
  });

  it('drop a malformed claim or counters instead of failing the run (safe either way)', () => {
    const parsed = parseState(
      JSON.stringify({ ...base, runClaim: { runId: 'no claim id' }, backfillRequests: -1, backfillSeen: 'x' }),
    );
    expect(parsed.runClaim).toBeUndefined();
    expect(parsed.backfillRequests).toBeUndefined();
    expect(parseState(JSON.stringify({ ...base, backfillRequests: 2, backfillSeen: 1.5 }))).toMatchObject({
      backfillRequests: 2,
    });
  });

  it('list the backfill jobs when a request is unseen or the counters are unknown (a state older than them)', () => {
    expect(backfillsMayBePending(undefined)).toBe(true);
    expect(backfillsMayBePending(base)).toBe(true);
    expect(backfillsMayBePending({ ...base, backfillRequests: 0 })).toBe(false);
    expect(backfillsMayBePending({ ...base, backfillRequests: 2, backfillSeen: 2 })).toBe(false);
    expect(backfillsMayBePending({ ...base, backfillRequests: 3, backfillSeen: 2 })).toBe(true);
  });

  it('merge to the larger of each counter, so a request counted by either writer stays pending until seen', () => {
    expect(
      mergeBackfillCounters({ backfillRequests: 2, backfillSeen: 2 }, { backfillRequests: 3, backfillSeen: 1 }),
    ).toEqual({ backfillRequests: 3, backfillSeen: 2 });
    expect(mergeBackfillCounters({}, { backfillRequests: 1 })).toEqual({ backfillRequests: 1 });
    expect(mergeBackfillCounters({}, {})).toEqual({});
    const merged = mergeStates(
      { ...base, backfillRequests: 4, backfillSeen: 4 },
      { ...base, backfillRequests: 5, backfillSeen: 3 },
      15 * 60_000,
    );
    expect(backfillsMayBePending(merged)).toBe(true);
  });
});
