/**
 * When to retry a request to an incidents API and how long to wait, following the Azure SDK's policy:
 * honour Retry-After on 429/503, exponential backoff with jitter on 408/5xx/network errors, fail fast on
 * other 4xx. Defender documents that a 429's body tells when the quota resets, so that is read too.
 */
export const RETRYABLE_STATUS = new Set([408, 500, 502, 503, 504]);

/** Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfterHeader(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Milliseconds to wait as told by a throttling body ("Rate limit is exceeded. Try again in 17 seconds."). */
export function parseRetryAfterBody(body: string): number | undefined {
  const match = /try again in (\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b/i.exec(body) ?? /retry after (\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b/i.exec(body);
  if (!match) {
    const time = /(?:reset|available)[^0-9]*(\d{4}-\d{2}-\d{2}T[0-9:.]+Z)/i.exec(body);
    return time?.[1] ? Math.max(0, Date.parse(time[1]) - Date.now()) : undefined;
  }
  const amount = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  if (unit.startsWith('ms') || unit.startsWith('milli')) return amount;
  if (unit.startsWith('min')) return amount * 60_000;
  return amount * 1000;
}

/** Exponential backoff with full jitter between half and all of the step, capped. */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.round(step / 2 + (random() * step) / 2);
}
