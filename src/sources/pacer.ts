import type { Clock } from '../common/clock';
import { BudgetExceededError } from '../common/errors';
import type { RequestPacer } from './apiClient';

/** One documented quota: at most `maxCalls` in any `windowMs`. */
export interface RateLimit {
  readonly windowMs: number;
  readonly maxCalls: number;
}

/** Defender list incidents: 50 calls per minute and 1,500 per hour (per app). */
export const DEFENDER_RATE_LIMITS: readonly RateLimit[] = [
  { windowMs: 60_000, maxCalls: 50 },
  { windowMs: 3_600_000, maxCalls: 1500 },
];

/**
 * Keeps requests under an API's quotas so normal operation never sees a 429, while using the whole
 * allowance: a sliding log of send times per window; a request waits only until the oldest call in a
 * full window has aged out (plus a 1% margin for the trip to the server). Shared by every run of the
 * process, because the quota belongs to the app, not to a run.
 */
export class SlidingWindowPacer implements RequestPacer {
  private readonly sent: number[] = [];
  private readonly longestWindowMs: number;

  constructor(
    private readonly limits: readonly RateLimit[],
    private readonly clock: Clock,
  ) {
    this.longestWindowMs = Math.max(0, ...limits.map((l) => l.windowMs));
  }

  /** Waits for a free slot; throws BudgetExceededError if the slot comes after `deadlineMs`. */
  async acquire(abortSignal?: AbortSignal, deadlineMs = Number.POSITIVE_INFINITY): Promise<void> {
    for (;;) {
      const now = this.clock.now().getTime();
      const waitMs = this.waitFor(now);
      if (waitMs <= 0) {
        this.sent.push(now);
        return;
      }
      if (now + waitMs > deadlineMs) {
        throw new BudgetExceededError(`Pacing to the API's rate limit needs a ${Math.ceil(waitMs / 1000)} s wait, past the run's time budget; stopping cleanly, the next run continues.`, { code: 'BudgetExceeded', retryable: true });
      }
      await this.clock.sleep(waitMs, abortSignal);
    }
  }

  private waitFor(now: number): number {
    while (this.sent.length > 0 && (this.sent[0] ?? 0) <= now - this.longestWindowMs * 1.01) this.sent.shift();
    let waitMs = 0;
    for (const limit of this.limits) {
      const windowMs = limit.windowMs + Math.min(100, limit.windowMs * 0.01);
      let inWindow = 0;
      for (let i = this.sent.length - 1; i >= 0 && (this.sent[i] ?? 0) > now - windowMs; i -= 1) inWindow += 1;
      if (inWindow >= limit.maxCalls) {
        const oldestInWindow = this.sent[this.sent.length - limit.maxCalls] ?? now;
        waitMs = Math.max(waitMs, oldestInWindow + windowMs - now + 1);
      }
    }
    return waitMs;
  }
}
