import { ApiError } from '../../src/common/errors';
import {
  backoffDelayMs,
  decideRetry,
  parseRetryAfterBody,
  parseRetryAfterHeader,
  type AttemptCounters,
  type AttemptFailure,
  type RetryDecision,
  type RetryPolicy,
} from '../../src/sources/retryPolicy';

const now = Date.UTC(2026, 10, 27, 7, 0, 0);
const url = 'https://api.security.microsoft.com/api/incidents?$top=100';
/** Jitter fixed at its middle: a backoff step of S waits 0.75 S. */
const policy: RetryPolicy = {
  apiName: 'Defender API',
  origin: 'https://api.security.microsoft.com',
  maxAttempts: 6,
  retryBaseDelayMs: 1000,
  retryMaxDelayMs: 30_000,
  random: () => 0.5,
};
const fresh: AttemptCounters = { failures: 0, tokenRenewed: false, throttledWaits: 0 };

function reply(status: number, body = '', headers: { retryAfter?: string; location?: string } = {}): AttemptFailure {
  return { kind: 'reply', status, body, retryAfter: headers.retryAfter ?? null, location: headers.location ?? null };
}

function decide(failure: AttemptFailure, counters: AttemptCounters = fresh): RetryDecision {
  return decideRetry(failure, counters, policy, url, now);
}

function failureOf(decision: RetryDecision): ApiError {
  if (decision.kind !== 'fail') throw new Error(`expected a failure, got ${decision.kind}`);
  return decision.error;
}

describe('the retry decision', () => {
  it('renews the token once on a 401, then fails with the 401 and a hint', () => {
    // Act
    const first = decide(reply(401, '{"error":{"code":"Unauthorized","message":"bad token","target":"track-1"}}'));
    const second = decide(reply(401, '{"error":{"code":"Unauthorized"}}'), { ...fresh, tokenRenewed: true });

    // Assess
    expect(first).toEqual({ kind: 'renewToken', trackingId: 'track-1' });
    expect(failureOf(second)).toMatchObject({ code: 'Unauthorized', statusCode: 401, retryable: false });
  });

  it('waits as long as the Retry-After header of a 429 says', () => {
    expect(decide(reply(429, '', { retryAfter: '17' }))).toEqual({
      kind: 'throttled',
      waitMs: 17_000,
      reason: 'Defender API is throttling (HTTP 429)',
    });
  });

  it('reads a Retry-After date against the time it is given, not the system clock', () => {
    expect(decide(reply(429, '', { retryAfter: new Date(now + 5000).toUTCString() }))).toMatchObject({
      kind: 'throttled',
      waitMs: 5000,
    });
  });

  it('falls back to the wait in a 429 body, then to a growing backoff', () => {
    // Act
    const fromBody = decide(
      reply(429, '{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded. Try again in 3 seconds."}}'),
    );
    const silent = decide(reply(429, '{"error":{"code":"TooManyRequests"}}'), { ...fresh, throttledWaits: 2 });

    // Assess
    expect(fromBody).toEqual({
      kind: 'throttled',
      waitMs: 3000,
      reason: 'Defender API is throttling (HTTP 429 TooManyRequests)',
    });
    expect(silent).toMatchObject({ kind: 'throttled', waitMs: 3000 });
  });

  it('treats a 503 with Retry-After as throttling and one without as a transient fault', () => {
    expect(decide(reply(503, '', { retryAfter: '2' }))).toMatchObject({ kind: 'throttled', waitMs: 2000 });
    expect(decide(reply(503))).toMatchObject({ kind: 'retry', attempt: 1, delayMs: 750 });
  });

  it.each([408, 500, 502, 504])('backs off exponentially with jitter on %i', (status) => {
    expect(decide(reply(status), { ...fresh, failures: 2 })).toEqual({
      kind: 'retry',
      attempt: 3,
      delayMs: 3000,
      reason: `Defender API answered ${status}`,
    });
  });

  it('backs off on a network error and on truncated JSON', () => {
    expect(decide({ kind: 'networkError', reason: 'socket hang up' })).toEqual({
      kind: 'retry',
      attempt: 1,
      delayMs: 750,
      reason: 'Defender API request failed (socket hang up)',
    });
    expect(decide({ kind: 'invalidJson', bytes: 512 })).toMatchObject({ kind: 'retry', attempt: 1 });
  });

  it('gives up after the last attempt with a retryable error carrying the status, API code and tracking id', () => {
    // Act
    const error = failureOf(
      decide(reply(500, '{"error":{"code":"InternalServerError","message":"oops","target":"track-9"}}'), {
        ...fresh,
        failures: 5,
      }),
    );

    // Assess
    expect(error).toMatchObject({
      code: 'InternalServerError',
      statusCode: 500,
      retryable: true,
      trackingId: 'track-9',
    });
  });

  it(
    'gives up on a network error after the last attempt as ApiUnavailable, and on truncated ' +
      'JSON as MalformedResponse',
    () => {
      expect(
        failureOf(decide({ kind: 'networkError', reason: 'ECONNRESET' }, { ...fresh, failures: 5 })),
      ).toMatchObject({
        code: 'ApiUnavailable',
        retryable: true,
        statusCode: undefined,
      });
      expect(failureOf(decide({ kind: 'invalidJson', bytes: 10 }, { ...fresh, failures: 5 }))).toMatchObject({
        code: 'MalformedResponse',
        retryable: true,
      });
    },
  );

  it('fails fast on other 4xx with the API code and tracking id', () => {
    // Act
    const error = failureOf(
      decide(
        reply(403, '{"error":{"code":"Forbidden","message":"no permission","innerError":{"request-id":"req-7"}}}'),
      ),
    );

    // Assess
    expect(error).toMatchObject({
      code: 'Forbidden',
      apiCode: 'Forbidden',
      statusCode: 403,
      trackingId: 'req-7',
      retryable: false,
    });
  });

  it('names a 4xx without an error body by its status', () => {
    expect(failureOf(decide(reply(404, 'not here')))).toMatchObject({
      code: 'Http404',
      statusCode: 404,
      retryable: false,
    });
  });

  it('refuses to follow a redirect', () => {
    expect(failureOf(decide(reply(302, '', { location: 'https://elsewhere.example/' })))).toMatchObject({
      code: 'RedirectRefused',
      statusCode: 302,
    });
  });
});

describe('reading Retry-After', () => {
  it('reads the header as seconds or as an HTTP date', () => {
    expect(parseRetryAfterHeader('17', now)).toBe(17_000);
    expect(parseRetryAfterHeader(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfterHeader(null, now)).toBeUndefined();
    expect(parseRetryAfterHeader('soon', now)).toBeUndefined();
  });

  it('reads the wait from a throttling body', () => {
    expect(
      parseRetryAfterBody(
        '{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded. Try again in 17 seconds."}}',
        now,
      ),
    ).toBe(17_000);
    expect(parseRetryAfterBody('Try again in 250 milliseconds', now)).toBe(250);
    expect(parseRetryAfterBody('Try again in 2 minutes', now)).toBe(120_000);
    expect(parseRetryAfterBody('{"error":{"code":"TooManyRequests"}}', now)).toBeUndefined();
  });

  it('reads a reset time in the body against the time it is given', () => {
    expect(parseRetryAfterBody(`Quota resets at ${new Date(now + 42_000).toISOString()}`, now)).toBe(42_000);
    expect(parseRetryAfterBody(`Quota resets at ${new Date(now - 1000).toISOString()}`, now)).toBe(0);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter, capped', () => {
    expect(backoffDelayMs(0, 1000, 30_000, () => 0)).toBe(500);
    expect(backoffDelayMs(3, 1000, 30_000, () => 1)).toBe(8000);
    expect(backoffDelayMs(10, 1000, 30_000, () => 1)).toBe(30_000);
  });
});
