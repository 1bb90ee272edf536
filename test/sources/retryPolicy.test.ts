import { backoffDelayMs, parseRetryAfterBody, parseRetryAfterHeader } from '../../src/sources/retryPolicy';

describe('retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 10, 27, 7, 0, 0);
    expect(parseRetryAfterHeader('17', now)).toBe(17_000);
    expect(parseRetryAfterHeader(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfterHeader(null, now)).toBeUndefined();
    expect(parseRetryAfterHeader('soon', now)).toBeUndefined();
  });

  it('reads the wait from a throttling body', () => {
    expect(parseRetryAfterBody('{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded. Try again in 17 seconds."}}')).toBe(17_000);
    expect(parseRetryAfterBody('Try again in 250 milliseconds')).toBe(250);
    expect(parseRetryAfterBody('Try again in 2 minutes')).toBe(120_000);
    expect(parseRetryAfterBody('{"error":{"code":"TooManyRequests"}}')).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelayMs(0, 1000, 30_000, () => 0)).toBe(500);
    expect(backoffDelayMs(3, 1000, 30_000, () => 1)).toBe(8000);
    expect(backoffDelayMs(10, 1000, 30_000, () => 1)).toBe(30_000);
  });
});
