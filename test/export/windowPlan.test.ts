import { requireTimestamp } from '../../src/common/timestamp';
import { ExportLedger } from '../../src/export/exportLedger';
import { parseState, type ExportState } from '../../src/export/exportState';
import { genesisState, planWindow } from '../../src/export/windowPlan';
import type { RawIncident } from '../../src/sources/incident';

const settings = { initialLookbackHours: 48, overlapMinutes: 15, sourceName: 'defender' as const };
const now = new Date('2026-11-28T12:00:00.000Z');
const ts = (text: string): ReturnType<typeof requireTimestamp> => requireTimestamp(text, 'test');
const state = (body: Record<string, unknown>): ExportState =>
  parseState(JSON.stringify({ schemaVersion: 1, exported: {}, source: 'defender', updatedAt: '', ...body }));
const incident = (id: string, time: string): RawIncident => ({
  id,
  lastUpdateTime: ts(time),
  json: Buffer.from(`{"incidentId":${id}}`),
});
const record = { runId: 'r', at: '2026-11-28T12:01:00Z', trigger: 'test' };

describe('planWindow', () => {
  it('reads the initial lookback on a first run', () => {
    expect(planWindow(undefined, now, settings)).toEqual({
      from: '2026-11-26T12:00:00.0000000Z',
      start: { cursor: undefined, skip: 0 },
      resumed: undefined,
    });
    expect(genesisState(now, settings).watermark).toBe('2026-11-26T12:00:00.0000000Z');
  });

  it('reads from the watermark minus the overlap', () => {
    expect(planWindow(state({ watermark: '2026-11-28T11:00:00Z' }), now, settings).from).toBe(
      '2026-11-28T10:45:00.0000000Z',
    );
  });

  it('resumes a pull in progress at its position, with its own window start', () => {
    const pass = {
      from: '2026-11-20T00:00:00Z',
      newest: '2026-11-28T11:00:00Z',
      cursor: '2026-11-25T00:00:00Z',
      skip: 3,
      startedAt: 'x',
    };
    const plan = planWindow(state({ watermark: '2026-11-20T00:15:00Z', pass }), now, settings);
    expect(plan.from).toBe('2026-11-20T00:00:00.0000000Z');
    expect(plan.start).toEqual({ cursor: '2026-11-25T00:00:00.0000000Z', skip: 3 });
  });

  it('re-reads the tie at the cursor when the other API resumes the pull', () => {
    const pass = {
      from: '2026-11-20T00:00:00Z',
      newest: '2026-11-28T11:00:00Z',
      cursor: '2026-11-25T00:00:00Z',
      skip: 3,
      startedAt: 'x',
    };
    expect(
      planWindow(state({ watermark: '2026-11-20T00:15:00Z', pass, source: 'graph' }), now, settings).start.skip,
    ).toBe(0);
  });
});

describe('ExportLedger', () => {
  const plan = (previous: ExportState | undefined): ReturnType<typeof planWindow> =>
    planWindow(previous, now, settings);

  it('drops a version already exported and a version read twice, keeps a newer version', () => {
    const previous = state({ watermark: '2026-11-28T11:00:00Z', exported: { '7': '2026-11-28T10:50:00Z' } });
    const ledger = new ExportLedger(previous, plan(previous), 15 * 60_000, now.toISOString());
    expect(ledger.accept(incident('7', '2026-11-28T10:50:00Z'))).toBe(false);
    expect(ledger.accept(incident('8', '2026-11-28T11:30:00Z'))).toBe(true);
    expect(ledger.accept(incident('8', '2026-11-28T11:30:00Z'))).toBe(false);
    expect(ledger.accept(incident('7', '2026-11-28T11:40:00Z'))).toBe(true);
    expect(ledger.duplicatesDropped).toBe(2);
  });

  it('moves the watermark to the newest incident when the pull is done, pruning what the overlap cannot re-read', () => {
    const previous = state({ watermark: '2026-11-28T11:00:00Z', exported: { '1': '2026-11-28T09:00:00Z' } });
    const ledger = new ExportLedger(previous, plan(previous), 15 * 60_000, now.toISOString());
    ledger.accept(incident('2', '2026-11-28T11:50:00Z'));
    ledger.advance(undefined);
    const next = ledger.nextState({
      done: ledger.complete,
      failed: false,
      record,
      sourceName: 'defender',
      at: record.at,
    });
    expect(next.watermark).toBe('2026-11-28T11:50:00.0000000Z');
    expect(next.pass).toBeUndefined();
    expect(next.exported).toEqual({ '2': '2026-11-28T11:50:00.0000000Z' });
    expect(next.lastSuccess).toEqual(record);
  });

  it('records a pull in progress (never the watermark) when the budget stops it, and a failure is no success', () => {
    const previous = state({ watermark: '2026-11-28T11:00:00Z' });
    const ledger = new ExportLedger(previous, plan(previous), 15 * 60_000, now.toISOString());
    ledger.accept(incident('3', '2026-11-28T11:55:00Z'));
    ledger.advance({ cursor: ts('2026-11-28T11:55:00Z'), skip: 1 });
    const next = ledger.nextState({ done: false, failed: true, record, sourceName: 'defender', at: record.at });
    expect(next.watermark).toBe('2026-11-28T11:00:00.0000000Z');
    expect(next.pass).toMatchObject({
      cursor: '2026-11-28T11:55:00.0000000Z',
      skip: 1,
      newest: '2026-11-28T11:55:00.0000000Z',
      from: '2026-11-28T10:45:00.0000000Z',
    });
    expect(next.lastSuccess).toBeUndefined();
    expect(ledger.movedOn).toBe(true);
  });

  it(
    'remembers the versions at the cursor, which the resumed pull reads again, and does not ' +
      'count them as duplicates',
    () => {
      const previous = state({ watermark: '2026-11-27T11:00:00Z' });
      const ledger = new ExportLedger(previous, plan(previous), 15 * 60_000, now.toISOString());
      ledger.accept(incident('5', '2026-11-28T11:55:00Z'));
      ledger.accept(incident('4', '2026-11-28T03:00:00Z'));
      ledger.advance({ cursor: ts('2026-11-28T03:00:00Z'), skip: 0 });
      const saved = ledger.nextState({ done: false, failed: false, record, sourceName: 'defender', at: record.at });
      // Neither in the overlap below the watermark nor below the newest incident: kept because it is at the cursor.
      expect(saved.exported['4']).toBe('2026-11-28T03:00:00.0000000Z');
      const resumed = new ExportLedger(saved, plan(saved), 15 * 60_000, now.toISOString());
      expect(resumed.accept(incident('4', '2026-11-28T03:00:00Z'))).toBe(false);
      expect(resumed.accept(incident('3', '2026-11-28T02:00:00Z'))).toBe(true);
      expect(resumed.duplicatesDropped).toBe(0);
    },
  );

  it('keeps a deep-tie position in the pull in progress', () => {
    const ledger = new ExportLedger(undefined, plan(undefined), 15 * 60_000, now.toISOString());
    ledger.accept(incident('4', '2026-11-28T11:00:00Z'));
    ledger.advance({ cursor: ts('2026-11-28T11:00:00Z'), skip: 0, tie: { createdFrom: ts('2026-11-28T10:00:00Z') } });
    expect(
      ledger.nextState({ done: false, failed: false, record, sourceName: 'graph', at: record.at }).pass,
    ).toMatchObject({ tie: { createdFrom: '2026-11-28T10:00:00.0000000Z' } });
  });
});
