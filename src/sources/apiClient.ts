import type { Agent } from 'https';
import fetch, { type Response } from 'node-fetch';
import type { Clock } from '../common/clock';
import { ApiError, BudgetExceededError, describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { TokenProvider } from '../auth/tokenProvider';
import type { SourceStats } from './incident';
import { backoffDelayMs, parseRetryAfterBody, parseRetryAfterHeader, RETRYABLE_STATUS } from './retryPolicy';
import { property, stringProperty } from '../common/jsonFields';
import { ReplyBuffer } from './replyBuffer';

/** Spreads requests to stay under an API's rate limits (see pacer.ts). */
export interface RequestPacer {
  /**
   * Resolves when a request may be sent, with the function to call once its reply has arrived (or it
   * failed); throws BudgetExceededError when the slot would come after `deadlineMs`.
   */
  acquire(abortSignal?: AbortSignal, deadlineMs?: number): Promise<() => void>;
}

export interface ApiClientOptions {
  /** Display name in messages, e.g. 'Defender API'. */
  readonly apiName: string;
  /** The only origin a token is ever sent to. */
  readonly baseUrl: string;
  readonly tokens: TokenProvider;
  readonly agent: Agent;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly stats: SourceStats;
  /** Epoch ms after which no wait may end: the run's budget. */
  readonly deadlineMs: number;
  readonly requestTimeoutMs?: number;
  readonly maxAttempts?: number;
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  readonly pacer?: RequestPacer;
}


/**
 * The one HTTP client of the incidents sources: bearer token, keep-alive agent, request timeout,
 * retries, throttling waits bounded by the run's deadline, and a host allow-list so the token
 * never leaves the configured API host (redirects are not followed).
 */
export class ApiClient {
  private readonly origin: string;
  private readonly requestTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly replies = new ReplyBuffer();

  constructor(private readonly options: ApiClientOptions) {
    this.origin = new URL(options.baseUrl).origin;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 1000;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 30_000;
  }

  /**
   * GETs `url` (which must be on the configured host) and returns `parse(body)`. `body` (the reply's bytes)
   * is reused for the next reply once `parse` returns, so `parse` must return nothing that refers to it.
   * A SyntaxError from `parse` (invalid or truncated JSON) is retried like a transient fault; any other
   * error propagates.
   */
  async getJson<T>(url: string, parse: (body: Buffer) => T, abortSignal?: AbortSignal): Promise<T> {
    this.assertAllowed(url);
    const { stats, apiName } = this.options;
    let failures = 0;
    let refreshedToken = false;
    for (;;) {
      const token = await this.options.tokens.getToken(abortSignal);
      // The slot is taken right before sending (after any token request), so the server counts it when we do.
      const releaseSlot = await this.options.pacer?.acquire(abortSignal, this.options.deadlineMs);
      stats.apiCalls += 1;
      let response: Response;
      let reply: { body: Buffer; release: () => void };
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), this.requestTimeoutMs);
      const onAbort = (): void => timeout.abort();
      abortSignal?.addEventListener('abort', onAbort, { once: true });
      try {
        response = await fetch(url, {
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
          agent: this.options.agent,
          redirect: 'manual',
          signal: timeout.signal,
        });
        reply = await this.replies.read(response.body, Number(response.headers.get('content-length')));
      } catch (error) {
        if (abortSignal?.aborted) throw error;
        const reason = timeout.signal.aborted ? `no complete reply within ${this.requestTimeoutMs} ms` : describeError(error);
        failures = await this.backoff(failures, `${apiName} request failed (${reason})`, url, undefined);
        continue;
      } finally {
        clearTimeout(timer);
        abortSignal?.removeEventListener('abort', onAbort);
        releaseSlot?.();
      }

      const status = response.status;
      let invalidJsonBytes: number | undefined;
      let text = '';
      try {
        if (status >= 200 && status < 300) {
          try {
            return parse(reply.body);
          } catch (error) {
            if (!(error instanceof SyntaxError)) throw error;
            invalidJsonBytes = reply.body.length;
          }
        } else {
          text = reply.body.toString('utf8');
        }
      } finally {
        reply.release();
      }
      if (invalidJsonBytes !== undefined) {
        failures = await this.backoff(failures, `${apiName} sent a reply that is not valid JSON (${invalidJsonBytes} bytes, possibly truncated)`, url, undefined, 'MalformedResponse');
        continue;
      }
      const detail = readErrorBody(text);
      if (status >= 300 && status < 400) {
        throw new ApiError(`${apiName} answered ${status} with a redirect to '${response.headers.get('location') ?? '?'}'; redirects are not followed so the token stays on ${this.origin}. Check the API URL setting (DEFENDER_API_URL or GRAPH_API_URL).`, { code: 'RedirectRefused', statusCode: status });
      }
      if (status === 401 && !refreshedToken) {
        refreshedToken = true;
        this.options.tokens.invalidate();
        this.options.logger.warn(`${apiName} rejected the token (401); renewing it once`, { trackingId: detail.trackingId });
        continue;
      }
      if (status === 429 || (status === 503 && response.headers.get('retry-after') !== null)) {
        const waitMs = parseRetryAfterHeader(response.headers.get('retry-after'), this.options.clock.now().getTime()) ?? parseRetryAfterBody(text) ?? backoffDelayMs(stats.throttledWaits, this.retryBaseDelayMs, this.retryMaxDelayMs);
        await this.wait(waitMs, `${apiName} is throttling (HTTP ${status}${detail.code ? ` ${detail.code}` : ''})`, abortSignal);
        stats.throttledWaits += 1;
        stats.throttledMs += waitMs;
        continue;
      }
      if (RETRYABLE_STATUS.has(status)) {
        failures = await this.backoff(failures, `${apiName} answered ${status}${detail.code ? ` ${detail.code}` : ''}${detail.message ? `: ${detail.message}` : ''}`, url, status, detail.code, detail.trackingId);
        continue;
      }
      throw new ApiError(`${apiName} refused ${describeRequest(url)} with ${status}${detail.code ? ` ${detail.code}` : ''}: ${detail.message ?? text.slice(0, 300)}${detail.trackingId ? ` (tracking id ${detail.trackingId})` : ''}. ${hintFor(status, apiName)}`, {
        code: detail.code ?? `Http${status}`,
        apiCode: detail.code,
        trackingId: detail.trackingId,
        statusCode: status,
      });
    }
  }

  private assertAllowed(url: string): void {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new ApiError(`${this.options.apiName} gave a link that is not a URL: '${url}'.`, { code: 'ForeignHost' });
    }
    if (target.origin !== this.origin) {
      throw new ApiError(`${this.options.apiName} pointed to ${target.origin}, which is not the configured host ${this.origin}; the request was refused so the token is not sent there.`, { code: 'ForeignHost' });
    }
  }

  /** Waits before the next attempt, or throws when attempts or the run's budget are used up. */
  private async backoff(failures: number, problem: string, url: string, statusCode: number | undefined, code?: string, trackingId?: string): Promise<number> {
    const attempt = failures + 1;
    if (attempt >= this.maxAttempts) {
      throw new ApiError(`${problem}; gave up on ${describeRequest(url)} after ${attempt} attempts${trackingId ? ` (tracking id ${trackingId})` : ''}. The watermark is unchanged; the next run retries.`, {
        code: code ?? 'ApiUnavailable',
        statusCode,
        retryable: true,
        trackingId,
      });
    }
    this.options.stats.retries += 1;
    const delayMs = backoffDelayMs(failures, this.retryBaseDelayMs, this.retryMaxDelayMs);
    this.options.logger.warn(`${problem}; retrying`, { attempt, delayMs });
    await this.wait(delayMs, problem);
    return attempt;
  }

  private async wait(ms: number, reason: string, abortSignal?: AbortSignal): Promise<void> {
    const now = this.options.clock.now().getTime();
    if (now + ms > this.options.deadlineMs) {
      throw new BudgetExceededError(`${reason}: waiting ${Math.ceil(ms / 1000)} s would pass the run's time budget; stopping cleanly, the next run continues from the watermark.`, { code: 'BudgetExceeded', retryable: true });
    }
    this.options.logger.info(`${reason}; waiting`, { waitMs: Math.round(ms) });
    await this.options.clock.sleep(ms, abortSignal);
  }
}

interface ErrorDetail {
  readonly code?: string;
  readonly message?: string;
  readonly trackingId?: string;
}

/** Reads the documented error bodies: Defender `{error:{code,message,target}}`, Graph `{error:{code,message,innerError:{request-id}}}`. */
export function readErrorBody(text: string): ErrorDetail {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  const error = property(body, 'error');
  if (typeof error !== 'object' || error === null) return {};
  const inner = property(error, 'innerError') ?? property(error, 'innererror');
  return { code: stringProperty(error, 'code'), message: stringProperty(error, 'message'), trackingId: stringProperty(error, 'target') ?? stringProperty(inner, 'request-id') };
}

function describeRequest(url: string): string {
  const parsed = new URL(url);
  return `GET ${parsed.pathname}${decodeURIComponent(parsed.search)}`;
}

function hintFor(status: number, apiName: string): string {
  if (status === 401) return `The token was refused twice: check that the app registration belongs to DEFENDER_TENANT_ID and that AZURE_AUTHORITY_HOST matches the ${apiName}'s cloud.`;
  if (status === 403) return "Grant the app registration the API's application permission (Incident.Read.All for Defender, SecurityIncident.Read.All for Graph) with admin consent.";
  if (status === 404) return 'Check DEFENDER_API_URL (the API base, without /api) or GRAPH_API_URL (without /v1.0), and DEFENDER_CLOUD.';
  return 'This is not retryable; the watermark is unchanged.';
}
