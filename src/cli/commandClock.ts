import type { Clock } from '../common/clock';
import { BudgetExceededError } from '../common/errors';

/**
 * The clock a command's runtime is built with: the system clock, plus what a person at the terminal needs
 * around the run's waits (pacing to the API quota, a 429's Retry-After, a retry's backoff): hearing that a
 * wait starts, and ending every wait at once after Ctrl+C.
 */
export interface CommandClock extends Clock {
  /** Calls `listener` with the length of each wait as it starts; returns the function that unsubscribes. */
  onWait(listener: (waitMs: number) => void): () => void;
  /**
   * From now on every wait, the current ones included, ends at once with a BudgetExceededError: the run
   * stops cleanly where it stands, at the page boundary it was waiting at, and commits what it has.
   */
  stopWaiting(): void;
}

/** Wraps `base` (the system clock; a fake one in tests). */
export function commandClock(base: Clock): CommandClock {
  const listeners = new Set<(waitMs: number) => void>();
  const waiting = new Set<AbortController>();
  let stopped = false;
  const stoppedError = (): BudgetExceededError =>
    new BudgetExceededError('Interrupted: stopping at the page boundary; the next run continues from here.', {
      code: 'Interrupted',
      retryable: true,
    });
  return {
    now: () => base.now(),
    sleep: async (ms, signal) => {
      if (stopped) throw stoppedError();
      for (const listener of listeners) listener(ms);
      // Our own abort also cancels the underlying timer, so a stopped wait does not keep the process alive.
      const interrupt = new AbortController();
      waiting.add(interrupt);
      try {
        await base.sleep(ms, signal === undefined ? interrupt.signal : AbortSignal.any([signal, interrupt.signal]));
      } catch (error) {
        throw interrupt.signal.aborted ? stoppedError() : error;
      } finally {
        waiting.delete(interrupt);
      }
    },
    onWait: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stopWaiting: () => {
      stopped = true;
      for (const interrupt of waiting) interrupt.abort();
    },
  };
}
