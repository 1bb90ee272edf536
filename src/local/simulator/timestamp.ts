/**
 * Timestamps at the services' own precision: 100 ns "ticks" since the Unix epoch, as a bigint.
 * A JS Date keeps milliseconds only, so comparing through Date would merge distinct 7-digit timestamps.
 */
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})$/;

export const TICKS_PER_MS = 10_000n;

/** Parses an ISO 8601 / OData DateTimeOffset with 0-7 fraction digits; undefined when malformed. */
export function parseTimestamp(text: string): bigint | undefined {
  const match = TIMESTAMP_PATTERN.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const parts = [year, month, day, hour, minute, second ?? '00'].map(Number);
  const [y, mo, d, h, mi, s] = parts;
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || s === undefined)
    return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return undefined;
  }
  let ticks = BigInt(ms) * TICKS_PER_MS + BigInt((fraction ?? '').padEnd(7, '0'));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const offsetMinutes = BigInt(Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    ticks -= sign * offsetMinutes * 60_000n * TICKS_PER_MS;
  }
  return ticks;
}

/** Formats ticks as `YYYY-MM-DDTHH:MM:SS.fffffffZ` (always 7 fraction digits, like the services). */
export function formatTicks(ticks: bigint): string {
  const ms = ticks / TICKS_PER_MS;
  const wholeSecondMs = ms - (((ms % 1000n) + 1000n) % 1000n);
  const fraction = ticks - wholeSecondMs * TICKS_PER_MS;
  const seconds = new Date(Number(wholeSecondMs)).toISOString().slice(0, 19);
  return `${seconds}.${fraction.toString().padStart(7, '0')}Z`;
}

export function msToTicks(ms: number): bigint {
  return BigInt(Math.floor(ms)) * TICKS_PER_MS;
}

/** Parses a timestamp the simulator is told to store; throws on a malformed one (a test bug). */
export function requireTimestamp(text: string, what: string): bigint {
  const ticks = parseTimestamp(text);
  if (ticks === undefined)
    throw new Error(`${what} '${text}' is not an ISO 8601 UTC timestamp with 0-7 fraction digits`);
  return ticks;
}
