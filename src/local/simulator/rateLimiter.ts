import type { Clock } from './types';

export interface RateLimit {
  windowMs: number;
  maxCalls: number;
}

/** The documented Defender list-incidents quota: 50 calls per minute and 1,500 per hour. */
export const DEFENDER_LIST_RATE_LIMITS: readonly RateLimit[] = [
  { windowMs: 60_000, maxCalls: 50 },
  { windowMs: 3_600_000, maxCalls: 1500 },
];

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Sliding-window quotas per key (client app); rejected calls do not count. */
export class RateLimiter {
  private readonly calls = new Map<string, number[]>();
  private readonly longestWindowMs: number;

  constructor(
    private readonly limits: readonly RateLimit[],
    private readonly clock: Clock,
  ) {
    this.longestWindowMs = Math.max(0, ...limits.map((limit) => limit.windowMs));
  }

  tryCall(key: string): RateDecision {
    const now = this.clock();
    const calls = (this.calls.get(key) ?? []).filter((at) => at > now - this.longestWindowMs);
    this.calls.set(key, calls);
    let waitMs = 0;
    for (const limit of this.limits) {
      const inWindow = calls.filter((at) => at > now - limit.windowMs);
      const oldest = inWindow[inWindow.length - limit.maxCalls];
      if (inWindow.length >= limit.maxCalls && oldest !== undefined)
        waitMs = Math.max(waitMs, oldest + limit.windowMs - now);
      else if (limit.maxCalls <= 0) waitMs = Math.max(waitMs, limit.windowMs);
    }
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    calls.push(now);
    return { allowed: true };
  }
}
