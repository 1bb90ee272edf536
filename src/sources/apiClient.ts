import type { Agent } from 'https';
import fetch, { type Response } from 'node-fetch';
import type { Clock } from '../common/clock';
import { ApiError, BudgetExceededError, describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { TokenProvider } from '../auth/tokenProvider';
import type { SourceStats } from './incident';
import type { RequestPacer } from './pacer';
import { decideRetry, type AttemptFailure, type RetryPolicy } from './retryPolicy';
import { ReplyBuffer } from './replyBuffer';

/** A parsed reply whose bytes are held until `release` (what `value` refers to is valid until then). */
export interface HeldReply<T> {
  readonly value: T;
  readonly release: () => void;
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
  private readonly policy: RetryPolicy;
  private readonly replies = new ReplyBuffer();

  constructor(private readonly options: ApiClientOptions) {
    this.origin = new URL(options.baseUrl).origin;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.policy = {
      apiName: options.apiName,
      origin: this.origin,
      maxAttempts: options.maxAttempts ?? 6,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 1000,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 30_000,
    };
  }

  /**
   * GETs `url` (which must be on the configured host) and returns `parse(body)`. `body` (the reply's bytes)
   * is reused for a later reply once `parse` returns, so `parse` must return nothing that refers to it.
   * A SyntaxError from `parse` (invalid or truncated JSON) is retried like a transient fault; any other
   * error propagates. What follows a failed attempt is `decideRetry`'s choice (retryPolicy.ts).
   */
  async getJson<T>(url: string, parse: (body: Buffer) => T, abortSignal?: AbortSignal): Promise<T> {
    const reply = await this.getHeld(url, parse, abortSignal);
    reply.release();
    return reply.value;
  }

  /**
   * As `getJson`, but the reply's bytes stay valid, and may be referred to by what `parse` returns, until
   * `release` is called (then a later reply reuses them): a page's incidents are views into its reply.
   */
  async getHeld<T>(url: string, parse: (body: Buffer) => T, abortSignal?: AbortSignal): Promise<HeldReply<T>> {
    this.assertAllowed(url);
    const { stats, logger, tokens, clock } = this.options;
    let failures = 0;
    let tokenRenewed = false;
    for (;;) {
      const outcome = await this.attempt(url, parse, abortSignal);
      if (outcome.kind === 'parsed') return outcome;
      // Throttling waits are counted per run (stats), so the backoff keeps growing across pages.
      const decision = decideRetry(
        outcome,
        { failures, tokenRenewed, throttledWaits: stats.throttledWaits },
        this.policy,
        url,
        clock.now().getTime(),
      );
      switch (decision.kind) {
        case 'fail':
          throw decision.error;
        case 'renewToken':
          tokens.invalidate();
          logger.warn(`${this.options.apiName} rejected the token (401); renewing it once`, {
            trackingId: decision.trackingId,
          });
          tokenRenewed = true;
          break;
        case 'throttled':
          await this.wait(decision.waitMs, decision.reason, abortSignal);
          stats.throttledWaits += 1;
          stats.throttledMs += decision.waitMs;
          break;
        case 'retry':
          stats.retries += 1;
          logger.warn(`${decision.reason}; retrying`, { attempt: decision.attempt, delayMs: decision.delayMs });
          await this.wait(decision.delayMs, decision.reason, abortSignal);
          failures = decision.attempt;
          break;
      }
    }
  }

  /** One attempt: a token, a paced slot, the request with its timeout, the whole reply, and `parse` on a 2xx. */
  private async attempt<T>(
    url: string,
    parse: (body: Buffer) => T,
    abortSignal: AbortSignal | undefined,
  ): Promise<({ readonly kind: 'parsed' } & HeldReply<T>) | AttemptFailure> {
    const token = await this.options.tokens.getToken(abortSignal);
    // The slot is taken right before sending (after any token request), so the server counts it when we do.
    const releaseSlot = await this.options.pacer?.acquire(abortSignal, this.options.deadlineMs);
    this.options.stats.apiCalls += 1;
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
      return {
        kind: 'networkError',
        reason: timeout.signal.aborted ? `no complete reply within ${this.requestTimeoutMs} ms` : describeError(error),
      };
    } finally {
      clearTimeout(timer);
      abortSignal?.removeEventListener('abort', onAbort);
      releaseSlot?.();
    }
    let parsed = false;
    try {
      const status = response.status;
      if (status < 200 || status >= 300)
        return {
          kind: 'reply',
          status,
          retryAfter: response.headers.get('retry-after'),
          location: response.headers.get('location'),
          body: reply.body.toString('utf8'),
        };
      try {
        const value = parse(reply.body);
        parsed = true;
        return { kind: 'parsed', value, release: reply.release };
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        return { kind: 'invalidJson', bytes: reply.body.length };
      }
    } finally {
      // A parsed reply is the caller's to release.
      if (!parsed) reply.release();
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
      throw new ApiError(
        `${this.options.apiName} pointed to ${target.origin}, which is not the configured host ` +
          `${this.origin}; the request was refused so the token is not sent there.`,
        { code: 'ForeignHost' },
      );
    }
  }

  /** Waits on the injected clock (ending early if the run is aborted), or throws when the wait would pass the run's deadline. */
  private async wait(ms: number, reason: string, abortSignal: AbortSignal | undefined): Promise<void> {
    const now = this.options.clock.now().getTime();
    if (now + ms > this.options.deadlineMs) {
      throw new BudgetExceededError(
        `${reason}: waiting ${Math.ceil(ms / 1000)} s would pass the run's time budget; stopping ` +
          `cleanly, the next run continues from the watermark.`,
        { code: 'BudgetExceeded', retryable: true },
      );
    }
    this.options.logger.info(`${reason}; waiting`, { waitMs: Math.round(ms) });
    await this.options.clock.sleep(ms, abortSignal);
  }
}
