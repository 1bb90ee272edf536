import type { Clock } from '../common/clock';
import { BudgetExceededError } from '../common/errors';

/** Spreads requests to stay under an API's rate limits. */
export interface RequestPacer {
  /**
   * Resolves when a request may be sent, with the function to call once its reply has arrived (or it
   * failed); throws BudgetExceededError when the slot would come after `deadlineMs`.
   */
  acquire(abortSignal?: AbortSignal, deadlineMs?: number): Promise<() => void>;
}

/** One documented quota: at most `maxCalls` in any `windowMs`. */
export interface RateLimit {
  readonly windowMs: number;
  readonly maxCalls: number;
}

/** How often to look again while every slot of a full window is still in flight. */
const IN_FLIGHT_POLL_MS = 10;

/** One request's slot: when its reply arrived, Infinity while it is still in flight. */
interface Slot {
  doneAt: number;
}

/**
 * Keeps requests under an API's quotas so normal operation never sees a 429, while using the whole
 * allowance. A slot is held from the moment a request is sent until its reply has arrived, and only then
 * starts to age: the server stamps a request somewhere between those two moments, so a new request sent
 * a full window after the previous reply can never share a server-side window with it, however the
 * network or the server delays either. Shared by every run of the process: the quota belongs to the app.
 */
export class SlidingWindowPacer implements RequestPacer {
  private slots: Slot[] = [];
  private readonly longestWindowMs: number;

  constructor(
    private readonly limits: readonly RateLimit[],
    private readonly clock: Clock,
  ) {
    this.longestWindowMs = Math.max(0, ...limits.map((l) => l.windowMs));
  }

  /**
   * Waits for a free slot and returns the function to call when the reply has arrived (or failed).
   * Throws BudgetExceededError if the slot comes after `deadlineMs`.
   */
  async acquire(abortSignal?: AbortSignal, deadlineMs = Number.POSITIVE_INFINITY): Promise<() => void> {
    for (;;) {
      const now = this.clock.now().getTime();
      const waitMs = this.waitFor(now);
      if (waitMs <= 0) {
        const slot: Slot = { doneAt: Number.POSITIVE_INFINITY };
        this.slots.push(slot);
        return () => {
          if (slot.doneAt === Number.POSITIVE_INFINITY) slot.doneAt = this.clock.now().getTime();
        };
      }
      if (now + waitMs > deadlineMs) {
        throw new BudgetExceededError(
          `Pacing to the API's rate limit needs a ${Math.ceil(waitMs / 1000)} s wait, past the run's ` +
            `time budget; stopping cleanly, the next run continues.`,
          { code: 'BudgetExceeded', retryable: true },
        );
      }
      await this.clock.sleep(waitMs, abortSignal);
    }
  }

  private waitFor(now: number): number {
    // Slots that finished longer ago than the longest window no longer count anywhere.
    this.slots = this.slots.filter((slot) => slot.doneAt > now - this.longestWindowMs);
    let waitMs = 0;
    for (const limit of this.limits) {
      const inWindow = this.slots
        .map((slot) => slot.doneAt)
        .filter((t) => t > now - limit.windowMs)
        .sort((a, b) => a - b);
      if (inWindow.length < limit.maxCalls) continue;
      const oldest = inWindow[inWindow.length - limit.maxCalls] ?? now;
      waitMs = Math.max(
        waitMs,
        oldest === Number.POSITIVE_INFINITY ? IN_FLIGHT_POLL_MS : oldest + limit.windowMs - now + 1,
      );
    }
    return waitMs;
  }
}
