/**
 * Exact handling of the API's timestamps. The Defender and Graph APIs send 0 to 7 fractional digits
 * (`2020-06-03T18:04:29.4633333Z`, `...57.29Z`, `...57Z`); a JS Date keeps milliseconds only and plain
 * string comparison is wrong across lengths. We normalise to exactly 7 digits, UTC, `Z`: in that form
 * string order is time order and nothing is ever rounded up.
 */
export type Timestamp = string & { readonly __timestamp: unique symbol };

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})$/;
const TICKS_PER_MS = 10_000n;

/** Parses an ISO 8601 timestamp with 0-7 fractional digits; undefined when it is not one. */
export function parseTimestamp(text: string): Timestamp | undefined {
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const wholeSecondMs = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  const check = new Date(wholeSecondMs);
  if (Number.isNaN(wholeSecondMs) || check.getUTCDate() !== Number(day) || check.getUTCMonth() !== Number(month) - 1)
    return undefined;
  let offsetMs = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMs = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const ticks = BigInt(wholeSecondMs - offsetMs) * TICKS_PER_MS + BigInt(fraction.padEnd(7, '0'));
  return fromTicks(ticks);
}

/** Like parseTimestamp, but throws a message naming what was expected. */
export function requireTimestamp(text: string, what: string): Timestamp {
  const parsed = parseTimestamp(text);
  if (parsed === undefined)
    throw new Error(`${what} is not an ISO 8601 UTC timestamp (e.g. 2026-11-27T07:30:00Z): '${text}'`);
  return parsed;
}

/** 100-nanosecond ticks since the Unix epoch. */
export function toTicks(timestamp: Timestamp): bigint {
  const wholeSecondMs = Date.parse(`${timestamp.slice(0, 19)}Z`);
  return BigInt(wholeSecondMs) * TICKS_PER_MS + BigInt(timestamp.slice(20, 27));
}

export function fromTicks(ticks: bigint): Timestamp {
  const wholeSecondTicks = ticks - (((ticks % 10_000_000n) + 10_000_000n) % 10_000_000n);
  const fraction = ticks - wholeSecondTicks;
  const iso = new Date(Number(wholeSecondTicks / TICKS_PER_MS)).toISOString().slice(0, 19);
  return `${iso}.${fraction.toString().padStart(7, '0')}Z` as Timestamp;
}

export function fromDate(date: Date): Timestamp {
  return fromTicks(BigInt(date.getTime()) * TICKS_PER_MS);
}

/** Milliseconds since the epoch, truncated (for durations and display only, never for comparisons). */
export function toEpochMs(timestamp: Timestamp): number {
  return Number(toTicks(timestamp) / TICKS_PER_MS);
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxTimestamp(a: Timestamp, b: Timestamp): Timestamp {
  return a >= b ? a : b;
}

export function minusMs(timestamp: Timestamp, ms: number): Timestamp {
  return fromTicks(toTicks(timestamp) - BigInt(Math.round(ms)) * TICKS_PER_MS);
}
