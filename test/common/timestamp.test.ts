import {
  compareTimestamps,
  fromDate,
  minusMs,
  parseTimestamp,
  requireTimestamp,
  toEpochMs,
  type Timestamp,
} from '../../src/common/timestamp';

const ts = (text: string): Timestamp => requireTimestamp(text, 'test');

describe('timestamps', () => {
  it('normalises 0 to 7 fractional digits to exactly seven', () => {
    expect(parseTimestamp('2020-06-03T18:04:29Z')).toBe('2020-06-03T18:04:29.0000000Z');
    expect(parseTimestamp('2020-06-03T18:04:57.29Z')).toBe('2020-06-03T18:04:57.2900000Z');
    expect(parseTimestamp('2020-06-03T18:04:29.4633333Z')).toBe('2020-06-03T18:04:29.4633333Z');
  });

  it('orders timestamps of different lengths by time, not by text', () => {
    expect(compareTimestamps(ts('2026-01-01T00:00:57Z'), ts('2026-01-01T00:00:57.1Z'))).toBe(-1);
    expect(compareTimestamps(ts('2026-01-01T00:00:57.1000001Z'), ts('2026-01-01T00:00:57.1Z'))).toBe(1);
    expect(compareTimestamps(ts('2026-01-01T00:00:57.10Z'), ts('2026-01-01T00:00:57.1Z'))).toBe(0);
  });

  it('converts offsets to UTC', () => {
    expect(parseTimestamp('2026-11-27T09:30:00.5+02:00')).toBe('2026-11-27T07:30:00.5000000Z');
  });

  it('rejects what is not a timestamp', () => {
    for (const text of [
      '',
      '2026-11-27',
      '2026-13-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-11-27T07:30:00.12345678Z',
      'yesterday',
    ]) {
      expect(parseTimestamp(text)).toBeUndefined();
    }
    expect(() => requireTimestamp('nope', '--from')).toThrow(/--from is not an ISO 8601/);
  });

  it('subtracts without losing the sub-millisecond digits and never rounds up', () => {
    expect(minusMs(ts('2026-11-27T00:00:00.0000001Z'), 1)).toBe('2026-11-26T23:59:59.9990001Z');
    expect(toEpochMs(ts('2026-11-27T00:00:00.0009999Z'))).toBe(Date.UTC(2026, 10, 27));
  });

  it('renders a Date with seven digits', () => {
    expect(fromDate(new Date('2026-11-27T07:30:00.123Z'))).toBe('2026-11-27T07:30:00.1230000Z');
  });
});
