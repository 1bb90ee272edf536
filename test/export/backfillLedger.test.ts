import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';
import type { BackfillJob } from '../../src/export/backfillJob';
import { BackfillLedger } from '../../src/export/backfillLedger';
import type { RawIncident } from '../../src/sources/incident';

const ts = (text: string): Timestamp => requireTimestamp(text, 'test');
const incident = (id: string, time: string): RawIncident => ({
  id,
  lastUpdateTime: ts(time),
  json: Buffer.from(`{"incidentId":${id}}`),
});
const at = '2026-11-28T12:05:00.000Z';

/** A job as startBackfill creates it: nothing read yet. */
const newJob: BackfillJob = {
  schemaVersion: 1,
  id: '20261120T000000Z-20261128T000000Z',
  from: ts('2026-11-20T00:00:00Z'),
  to: ts('2026-11-28T00:00:00Z'),
  status: 'pending',
  skip: 0,
  incidents: 0,
  pages: 0,
  blobs: [],
  createdAt: '2026-11-28T12:00:00.000Z',
  updatedAt: '2026-11-28T12:00:00.000Z',
  requestedBy: 'test',
};

describe('BackfillLedger, deciding what to write', () => {
  it('writes each version once: a version read again in the same invocation is dropped', () => {
    const ledger = new BackfillLedger(newJob);

    const first = ledger.accept(incident('9', '2026-11-27T00:00:00Z'));
    const again = ledger.accept(incident('9', '2026-11-27T00:00:00Z'));

    expect(first).toBe(true);
    expect(again).toBe(false);
    expect(ledger.written).toBe(1);
  });

  it('writes a version updated again (a newer lastUpdateTime of the same id) as a version of its own', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.accept(incident('9', '2026-11-26T00:00:00Z'));

    const updated = ledger.accept(incident('9', '2026-11-27T00:00:00Z'));

    expect(updated).toBe(true);
    expect(ledger.written).toBe(2);
  });

  it('knows a version once it was written, and not before, nor another version of the same id', () => {
    const ledger = new BackfillLedger(newJob);
    const version = incident('9', '2026-11-26T00:00:00Z');
    const before = ledger.knows(version);

    ledger.accept(version);

    expect(before).toBe(false);
    expect(ledger.knows(version)).toBe(true);
    expect(ledger.knows(incident('9', '2026-11-27T00:00:00Z'))).toBe(false);
  });
});

describe('BackfillLedger, where the pull stands', () => {
  it('starts a new job at the top of its window', () => {
    const ledger = new BackfillLedger(newJob);

    expect(ledger.start).toEqual({ cursor: undefined, skip: 0 });
  });

  it('follows the pull across pages and counts each page in the next job', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.accept(incident('9', '2026-11-27T00:00:00Z'));
    ledger.advance({ cursor: ts('2026-11-27T00:00:00Z'), skip: 1 });
    ledger.accept(incident('8', '2026-11-25T00:00:00Z'));
    ledger.accept(incident('7', '2026-11-25T00:00:00Z'));

    ledger.advance({ cursor: ts('2026-11-25T00:00:00Z'), skip: 2 });
    const next = ledger.nextJob(false, undefined, at);

    expect(next).toMatchObject({ cursor: '2026-11-25T00:00:00.0000000Z', skip: 2, pages: 2 });
  });

  it('keeps the last position when the final page reports no next one', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.advance({ cursor: ts('2026-11-25T00:00:00Z'), skip: 0 });

    ledger.advance(undefined);
    const next = ledger.nextJob(true, undefined, at);

    expect(next).toMatchObject({ status: 'complete', cursor: '2026-11-25T00:00:00.0000000Z', pages: 2 });
  });

  it('keeps a deep-tie position (its slice, or that the tie is read) in the next job', () => {
    const ledger = new BackfillLedger(newJob);
    const tie = { createdFrom: ts('2026-11-01T00:00:00Z') };

    ledger.advance({ cursor: ts('2026-11-25T00:00:00Z'), skip: 3, tie });
    const inTie = ledger.nextJob(false, undefined, at);
    ledger.advance({ cursor: ts('2026-11-25T00:00:00Z'), skip: 0, belowCursor: true });
    const pastTie = ledger.nextJob(false, undefined, at);

    expect(inTie).toMatchObject({ skip: 3, tie: { createdFrom: '2026-11-01T00:00:00.0000000Z' } });
    expect(inTie.belowCursor).toBeUndefined();
    expect(pastTie).toMatchObject({ skip: 0, belowCursor: true });
    expect(pastTie.tie).toBeUndefined();
  });
});

describe('BackfillLedger, ties at the cursor', () => {
  it('records only the ids written at exactly the cursor as read there', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.accept(incident('9', '2026-11-27T00:00:00Z'));
    ledger.accept(incident('8', '2026-11-26T00:00:00Z'));
    ledger.accept(incident('7', '2026-11-26T00:00:00Z'));

    ledger.advance({ cursor: ts('2026-11-26T00:00:00Z'), skip: 2 });
    const next = ledger.nextJob(false, undefined, at);

    expect([...(next.readAtCursor ?? [])].sort()).toEqual(['7', '8']);
  });

  it('leaves readAtCursor out when nothing was written at the cursor', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.accept(incident('9', '2026-11-27T00:00:00Z'));

    ledger.advance({ cursor: ts('2026-11-26T00:00:00Z'), skip: 0 });
    const next = ledger.nextJob(false, undefined, at);

    expect(next.readAtCursor).toBeUndefined();
  });

  it('knows the versions a saved job read at its cursor, so the resumed pull drops them when it reads them again', () => {
    const saved: BackfillJob = {
      ...newJob,
      status: 'running',
      cursor: ts('2026-11-26T00:00:00Z'),
      skip: 2,
      readAtCursor: ['8', '7'],
    };
    const ledger = new BackfillLedger(saved);

    const reread = ledger.accept(incident('8', '2026-11-26T00:00:00Z'));
    const newInTie = ledger.accept(incident('6', '2026-11-26T00:00:00Z'));

    expect(ledger.knows(incident('7', '2026-11-26T00:00:00Z'))).toBe(true);
    expect(reread).toBe(false);
    expect(newInTie).toBe(true);
    expect(ledger.written).toBe(1);
  });

  it('does not treat a saved id as read at another time: only the version at the cursor is known', () => {
    const saved: BackfillJob = { ...newJob, cursor: ts('2026-11-26T00:00:00Z'), skip: 1, readAtCursor: ['8'] };
    const ledger = new BackfillLedger(saved);

    const older = ledger.accept(incident('8', '2026-11-25T00:00:00Z'));

    expect(older).toBe(true);
  });

  it('carries the ids read at the cursor by earlier invocations while the pull is still inside the same tie', () => {
    const saved: BackfillJob = { ...newJob, cursor: ts('2026-11-26T00:00:00Z'), skip: 1, readAtCursor: ['8'] };
    const ledger = new BackfillLedger(saved);
    ledger.accept(incident('7', '2026-11-26T00:00:00Z'));

    ledger.advance({ cursor: ts('2026-11-26T00:00:00Z'), skip: 2 });
    const next = ledger.nextJob(false, undefined, at);

    expect([...(next.readAtCursor ?? [])].sort()).toEqual(['7', '8']);
  });

  it('drops the saved ids once the cursor has moved below their tie', () => {
    const saved: BackfillJob = { ...newJob, cursor: ts('2026-11-26T00:00:00Z'), skip: 1, readAtCursor: ['8'] };
    const ledger = new BackfillLedger(saved);
    ledger.accept(incident('5', '2026-11-24T00:00:00Z'));

    ledger.advance({ cursor: ts('2026-11-24T00:00:00Z'), skip: 1 });
    const next = ledger.nextJob(false, undefined, at);

    expect(next.readAtCursor).toEqual(['5']);
  });

  it('carries the ids written at the cursor into the job, so the resumed backfill drops them once read again', () => {
    const ledger = new BackfillLedger(newJob);
    expect(ledger.accept(incident('9', '2026-11-27T00:00:00Z'))).toBe(true);
    expect(ledger.accept(incident('8', '2026-11-26T00:00:00Z'))).toBe(true);
    ledger.advance({ cursor: ts('2026-11-26T00:00:00Z'), skip: 0 });
    const saved = ledger.nextJob(false, undefined, at);
    expect(saved.readAtCursor).toEqual(['8']);
    const resumed = new BackfillLedger(saved);
    expect(resumed.accept(incident('8', '2026-11-26T00:00:00Z'))).toBe(false);
    expect(resumed.accept(incident('7', '2026-11-26T00:00:00Z'))).toBe(true);
    expect(ledger.nextJob(true, undefined, at).readAtCursor).toBeUndefined();
  });
});

describe('BackfillLedger, resuming a saved job', () => {
  const saved: BackfillJob = {
    ...newJob,
    status: 'running',
    cursor: ts('2026-11-26T00:00:00Z'),
    skip: 2,
    tie: { createdBefore: ts('2026-11-10T00:00:00Z') },
    readAtCursor: ['8', '7'],
    incidents: 40,
    pages: 4,
    blobs: ['backfill/2026/11/28/120000000.json'],
    lastError: 'ApiError: 503',
  };

  it('starts where the saved job stands, its deep-tie slice included', () => {
    const ledger = new BackfillLedger(saved);

    expect(ledger.start).toEqual({
      cursor: '2026-11-26T00:00:00.0000000Z',
      skip: 2,
      tie: { createdBefore: '2026-11-10T00:00:00.0000000Z' },
    });
  });

  it('adds this invocation to the saved totals in the next job', () => {
    const ledger = new BackfillLedger(saved);
    ledger.accept(incident('5', '2026-11-24T00:00:00Z'));
    ledger.advance({ cursor: ts('2026-11-24T00:00:00Z'), skip: 1 });
    const part = { name: 'backfill/2026/11/28/120500000.json', incidents: 1, bytes: 20 };

    const next = ledger.nextJob(false, part, at);

    expect(next).toMatchObject({
      incidents: 41,
      pages: 5,
      blobs: ['backfill/2026/11/28/120000000.json', 'backfill/2026/11/28/120500000.json'],
    });
  });

  it('counts pages from the last recorded job, not from the start of the invocation', () => {
    const ledger = new BackfillLedger(saved);
    ledger.advance({ cursor: ts('2026-11-25T00:00:00Z'), skip: 0 });
    ledger.advance({ cursor: ts('2026-11-24T00:00:00Z'), skip: 0 });
    const first = ledger.nextJob(false, { name: 'a.json', incidents: 3, bytes: 30 }, at);
    ledger.recorded(first);

    ledger.advance({ cursor: ts('2026-11-23T00:00:00Z'), skip: 0 });
    const second = ledger.nextJob(false, { name: 'b.json', incidents: 2, bytes: 20 }, at);

    expect(first).toMatchObject({ pages: 6, incidents: 43 });
    expect(second).toMatchObject({ pages: 7, incidents: 45 });
    expect(second.blobs).toEqual([...saved.blobs, 'a.json', 'b.json']);
    expect(ledger.job).toBe(first);
  });
});

describe('BackfillLedger, the next job record', () => {
  it('at a budget stop: running, at the position reached, with the ids read at the cursor and no error', () => {
    const saved: BackfillJob = { ...newJob, status: 'running', lastError: 'ApiError: 503' };
    const ledger = new BackfillLedger(saved);
    ledger.accept(incident('9', '2026-11-27T00:00:00Z'));
    ledger.advance({ cursor: ts('2026-11-27T00:00:00Z'), skip: 1 });
    const part = { name: 'backfill/p1.json', incidents: 1, bytes: 20 };

    const next = ledger.nextJob(false, part, at);

    expect(next).toEqual({
      ...saved,
      status: 'running',
      cursor: '2026-11-27T00:00:00.0000000Z',
      skip: 1,
      belowCursor: undefined,
      tie: undefined,
      readAtCursor: ['9'],
      incidents: 1,
      pages: 1,
      blobs: ['backfill/p1.json'],
      updatedAt: at,
      lastError: undefined,
    });
  });

  it('at a budget stop before the first page: the job stays at the top of its window', () => {
    const ledger = new BackfillLedger(newJob);

    const next = ledger.nextJob(false, undefined, at);

    expect(next).toMatchObject({ status: 'running', cursor: undefined, skip: 0, pages: 0, incidents: 0, blobs: [] });
    expect(next.readAtCursor).toBeUndefined();
  });

  it('at completion: complete, with no ids to re-read and the last part counted', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.accept(incident('9', '2026-11-27T00:00:00Z'));
    ledger.accept(incident('8', '2026-11-27T00:00:00Z'));
    ledger.advance(undefined);
    const part = { name: 'backfill/p1.json', incidents: 2, bytes: 40 };

    const next = ledger.nextJob(true, part, at);

    expect(next).toMatchObject({ status: 'complete', incidents: 2, pages: 1, blobs: ['backfill/p1.json'] });
    expect(next.readAtCursor).toBeUndefined();
    expect(next.updatedAt).toBe(at);
  });

  it('leaves the job itself unchanged until it is recorded', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.advance({ cursor: ts('2026-11-27T00:00:00Z'), skip: 0 });

    ledger.nextJob(false, undefined, at);

    expect(ledger.job).toBe(newJob);
  });
});

describe('BackfillLedger, progress', () => {
  it('reports the share of the window covered, newest first, with the open part counted', () => {
    const ledger = new BackfillLedger(newJob);
    ledger.advance({ cursor: ts('2026-11-26T00:00:00Z'), skip: 0 });

    const progress = ledger.progress(5, false);

    expect(progress.fraction).toBeCloseTo(0.25);
    expect(progress.job).toMatchObject({ incidents: 5, pages: 1, cursor: '2026-11-26T00:00:00.0000000Z' });
  });

  it('reports 0 before the first page and 1 once the pull is complete', () => {
    const ledger = new BackfillLedger(newJob);
    const before = ledger.progress(0, false);

    ledger.advance(undefined);
    const done = ledger.progress(0, true);

    expect(before.fraction).toBe(0);
    expect(done.fraction).toBe(1);
    expect(done.job.cursor).toBeUndefined();
  });
});
