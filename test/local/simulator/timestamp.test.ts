import { formatTicks, parseTimestamp } from '../../../src/local/simulator';

describe('simulator timestamps', () => {
  it('orders timestamps of different precision exactly at 100 ns', () => {
    // Act
    const values = [
      '2026-11-27T07:30:57Z',
      '2026-11-27T07:30:57.1Z',
      '2026-11-27T07:30:57.0000001Z',
      '2026-11-27T07:30:57.29Z',
    ].map(parseTimestamp);

    // Assess
    expect(values.every((value) => value !== undefined)).toBe(true);
    const [whole, tenth, oneTick, twentyNine] = values;
    expect(whole !== undefined && oneTick !== undefined && oneTick - whole).toBe(1n);
    expect(tenth !== undefined && whole !== undefined && tenth - whole).toBe(1_000_000n);
    expect(twentyNine !== undefined && whole !== undefined && twentyNine - whole).toBe(2_900_000n);
  });

  it('formats with 7 fraction digits and round-trips', () => {
    // Prepare
    const text = '2020-06-03T18:04:29.4633333Z';

    // Act
    const ticks = parseTimestamp(text);

    // Assess
    expect(ticks !== undefined && formatTicks(ticks)).toBe(text);
    expect(parseTimestamp('2020-06-03T20:04:29.4633333+02:00')).toBe(ticks);
  });

  it.each([
    '2020-13-01T00:00:00Z',
    '2020-02-30T00:00:00Z',
    '2020-06-03T18:04:29.12345678Z',
    '2020-06-03 18:04:29Z',
    '2020-06-03T18:04:29',
  ])('rejects %s', (text) => {
    // Act
    const ticks = parseTimestamp(text);

    // Assess
    expect(ticks).toBeUndefined();
  });
});
