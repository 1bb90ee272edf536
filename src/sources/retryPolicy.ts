import { ApiError } from '../common/errors';
import { describeRequest, hintFor, readErrorBody } from './errorReply';

/**
 * When to retry a request to an incidents API and how long to wait, following the Azure SDK's policy:
 * honour Retry-After on 429/503, exponential backoff with jitter on 408/5xx/network errors, fail fast on
 * other 4xx. Defender documents that a 429's body tells when the quota resets, so that is read too.
 *
 * `decideRetry` is pure: what happened to one attempt, the counters so far and the time in, a decision
 * out. The client (apiClient.ts) carries the decision out: it waits, renews the token, or throws.
 */
export const RETRYABLE_STATUS = new Set([408, 500, 502, 503, 504]);

/** What one attempt that did not give a usable reply ended with. */
export type AttemptFailure =
  /** The server answered, but not with a usable 2xx: its status, the headers the policy reads, and the body as text. */
  | {
      readonly kind: 'reply';
      readonly status: number;
      readonly retryAfter: string | null;
      readonly location: string | null;
      readonly body: string;
    }
  /** A 2xx whose body is not valid JSON (cut off mid-way, most likely). */
  | { readonly kind: 'invalidJson'; readonly bytes: number }
  /** No complete reply: connection refused or reset, or the request timed out (`reason` says which). */
  | { readonly kind: 'networkError'; readonly reason: string };

/** What the client should do next. */
export type RetryDecision =
  /** A transient fault: wait `delayMs` (backoff with jitter), then try again; `attempt` counts the failures so far. */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly reason: string; readonly attempt: number }
  /** The API is throttling: wait `waitMs` as it asked (or backoff when it did not say), then try again. */
  | { readonly kind: 'throttled'; readonly waitMs: number; readonly reason: string }
  /** 401 for the first time: get a new token and try again at once. */
  | { readonly kind: 'renewToken'; readonly trackingId: string | undefined }
  /** Give up with this error. */
  | { readonly kind: 'fail'; readonly error: ApiError };

/** How many attempts have failed in which way, for one request. */
export interface AttemptCounters {
  /** Transient failures so far (network, truncated JSON, 408/5xx). */
  readonly failures: number;
  readonly tokenRenewed: boolean;
  /** Throttling waits so far (the exponent of the backoff when the API does not say how long). */
  readonly throttledWaits: number;
}

export interface RetryPolicy {
  /** Display name in messages, e.g. 'Defender API'. */
  readonly apiName: string;
  /** The origin the token is confined to, for the redirect message. */
  readonly origin: string;
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** Jitter source in [0, 1); tests pass a constant. */
  readonly random?: () => number;
}

/** Decides what follows a failed attempt at GET `url`, at `nowMs` (epoch ms, used to read a Retry-After date). */
export function decideRetry(
  failure: AttemptFailure,
  counters: AttemptCounters,
  policy: RetryPolicy,
  url: string,
  nowMs: number,
): RetryDecision {
  const { apiName } = policy;
  if (failure.kind === 'networkError')
    return backoff(`${apiName} request failed (${failure.reason})`, counters, policy, url, {});
  if (failure.kind === 'invalidJson')
    return backoff(
      `${apiName} sent a reply that is not valid JSON (${failure.bytes} bytes, possibly truncated)`,
      counters,
      policy,
      url,
      { code: 'MalformedResponse' },
    );

  const { status, body } = failure;
  const detail = readErrorBody(body);
  const apiCode = detail.code ? ` ${detail.code}` : '';
  if (status >= 300 && status < 400) {
    const error = new ApiError(
      `${apiName} answered ${status} with a redirect to '${failure.location ?? '?'}'; redirects ` +
        `are not followed so the token stays on ${policy.origin}. Check the API URL setting ` +
        `(DEFENDER_API_URL or GRAPH_API_URL).`,
      { code: 'RedirectRefused', statusCode: status },
    );
    return { kind: 'fail', error };
  }
  if (status === 401 && !counters.tokenRenewed) return { kind: 'renewToken', trackingId: detail.trackingId };
  if (status === 429 || (status === 503 && failure.retryAfter !== null)) {
    const waitMs =
      parseRetryAfterHeader(failure.retryAfter, nowMs) ??
      parseRetryAfterBody(body, nowMs) ??
      backoffDelayMs(counters.throttledWaits, policy.retryBaseDelayMs, policy.retryMaxDelayMs, policy.random);
    return { kind: 'throttled', waitMs, reason: `${apiName} is throttling (HTTP ${status}${apiCode})` };
  }
  if (RETRYABLE_STATUS.has(status)) {
    return backoff(
      `${apiName} answered ${status}${apiCode}${detail.message ? `: ${detail.message}` : ''}`,
      counters,
      policy,
      url,
      { statusCode: status, code: detail.code, trackingId: detail.trackingId },
    );
  }
  const error = new ApiError(
    `${apiName} refused ${describeRequest(url)} with ${status}${apiCode}: ` +
      `${detail.message ?? body.slice(0, 300)}` +
      `${detail.trackingId ? ` (tracking id ${detail.trackingId})` : ''}. ` +
      `${hintFor(status, apiName)}`,
    {
      code: detail.code ?? `Http${status}`,
      apiCode: detail.code,
      apiMessage: detail.message,
      trackingId: detail.trackingId,
      statusCode: status,
    },
  );
  return { kind: 'fail', error };
}

/** Another attempt after a backoff, or a retryable failure once the attempts are used up. */
function backoff(
  reason: string,
  counters: AttemptCounters,
  policy: RetryPolicy,
  url: string,
  fault: { statusCode?: number; code?: string; trackingId?: string },
): RetryDecision {
  const attempt = counters.failures + 1;
  if (attempt >= policy.maxAttempts) {
    const error = new ApiError(
      `${reason}; gave up on ${describeRequest(url)} after ${attempt} attempts` +
        `${fault.trackingId ? ` (tracking id ${fault.trackingId})` : ''}. The watermark is ` +
        `unchanged; the next run retries.`,
      {
        code: fault.code ?? 'ApiUnavailable',
        statusCode: fault.statusCode,
        retryable: true,
        trackingId: fault.trackingId,
      },
    );
    return { kind: 'fail', error };
  }
  return {
    kind: 'retry',
    delayMs: backoffDelayMs(counters.failures, policy.retryBaseDelayMs, policy.retryMaxDelayMs, policy.random),
    reason,
    attempt,
  };
}

/** Milliseconds to wait from a Retry-After header (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfterHeader(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const UNIT = String.raw`(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b`;

/** Milliseconds to wait as told by a throttling body ("Rate limit is exceeded. Try again in 17 seconds.", or a reset time). */
export function parseRetryAfterBody(body: string, nowMs: number): number | undefined {
  const match =
    new RegExp(String.raw`try again in (\d+(?:\.\d+)?)\s*${UNIT}`, 'i').exec(body) ??
    new RegExp(String.raw`retry after (\d+(?:\.\d+)?)\s*${UNIT}`, 'i').exec(body);
  if (!match) {
    const time = /(?:reset|available)[^0-9]*(\d{4}-\d{2}-\d{2}T[0-9:.]+Z)/i.exec(body);
    return time?.[1] ? Math.max(0, Date.parse(time[1]) - nowMs) : undefined;
  }
  const amount = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  if (unit.startsWith('ms') || unit.startsWith('milli')) return amount;
  if (unit.startsWith('min')) return amount * 60_000;
  return amount * 1000;
}

/** Exponential backoff with full jitter between half and all of the step, capped. */
export function backoffDelayMs(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.round(step / 2 + (random() * step) / 2);
}
