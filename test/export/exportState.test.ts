import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';
import { mergeStates, parseState, pruneExported, type ExportState } from '../../src/export/exportState';

const t = (text: string): Timestamp => requireTimestamp(text, 't');
const state = (watermark: string, exported: Record<string, string>): ExportState => ({
  schemaVersion: 1,
  watermark: t(watermark),
  exported: Object.fromEntries(Object.entries(exported).map(([id, time]) => [id, t(time)])),
  source: 'defender',
  updatedAt: '2026-11-27T00:00:00Z',
});

describe('export state', () => {
  it('keeps only versions inside the overlap window below the watermark', () => {
    const kept = pruneExported(
      { a: t('2026-11-27T06:00:00Z'), b: t('2026-11-27T06:50:00Z'), c: t('2026-11-27T07:00:00Z') },
      t('2026-11-27T07:00:00Z'),
      15 * 60_000,
    );
    expect(Object.keys(kept).sort()).toEqual(['b', 'c']);
  });

  it('merges with a concurrent run without moving the watermark backwards', () => {
    const ours = state('2026-11-27T07:00:00Z', { a: '2026-11-27T07:00:00Z', b: '2026-11-27T06:59:00Z' });
    const theirs = state('2026-11-27T07:05:00Z', { a: '2026-11-27T07:05:00Z', c: '2026-11-27T07:01:00Z' });
    const merged = mergeStates(ours, theirs, 15 * 60_000);
    expect(merged.watermark).toBe(t('2026-11-27T07:05:00Z'));
    expect(merged.exported).toEqual({
      a: t('2026-11-27T07:05:00Z'),
      b: t('2026-11-27T06:59:00Z'),
      c: t('2026-11-27T07:01:00Z'),
    });
    expect(mergeStates(theirs, ours, 15 * 60_000).watermark).toBe(t('2026-11-27T07:05:00Z'));
  });

  it('round-trips through JSON', () => {
    const original = state('2026-11-27T07:00:00.1234567Z', { '42': '2026-11-27T07:00:00.1234567Z' });
    expect(parseState(JSON.stringify(original))).toMatchObject({
      watermark: original.watermark,
      exported: original.exported,
    });
  });

  it.each([
    ['not JSON', '{oops', /not valid JSON/],
    ['a wrong schema version', '{"schemaVersion":2}', /schemaVersion is 2/],
    ['no watermark', '{"schemaVersion":1,"exported":{}}', /watermark is missing/],
    [
      'a bad exported entry',
      '{"schemaVersion":1,"watermark":"2026-11-27T07:00:00Z","exported":{"1":"x"}}',
      /exported.1/,
    ],
  ])('refuses a corrupted state (%s) loudly, naming the recovery command', (_name, text, message) => {
    expect(() => parseState(text)).toThrow(message);
    expect(() => parseState(text)).toThrow(/defender-export state reset --watermark/);
  });
});
