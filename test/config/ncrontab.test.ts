import { parseNcrontab } from '../../src/config/ncrontab';

const next = (expression: string, after: string): string | undefined =>
  parseNcrontab(expression).next(new Date(after))?.toISOString();

describe('parseNcrontab', () => {
  it('finds the next five-minute mark', () => {
    expect(next('0 */5 * * * *', '2026-11-27T07:31:10Z')).toBe('2026-11-27T07:35:00.000Z');
    expect(next('0 */5 * * * *', '2026-11-27T07:35:00Z')).toBe('2026-11-27T07:40:00.000Z');
  });

  it('supports lists, ranges, names and day-of-week', () => {
    expect(next('30 0 9-17 * * mon-fri', '2026-11-27T17:01:00Z')).toBe('2026-11-30T09:00:30.000Z');
    expect(next('0 0 0 1 Jan,Jul *', '2026-11-27T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('*/30 * * * * *', '2026-11-27T07:30:10Z')).toBe('2026-11-27T07:30:30.000Z');
  });

  it('explains what is wrong with a bad expression', () => {
    expect(() => parseNcrontab('*/5 * * * *')).toThrow(/has 5 fields; NCRONTAB needs 6/);
    expect(() => parseNcrontab('0 61 * * * *')).toThrow(/minute 61 is outside 0-59/);
    expect(() => parseNcrontab('0 */0 * * * *')).toThrow(/step/);
    expect(() => parseNcrontab('0 0 5-1 * * *')).toThrow(/backwards/);
    expect(() => parseNcrontab('0 0 0 * * funday')).toThrow(/not a valid day-of-week/);
  });
});
