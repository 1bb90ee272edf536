import type { Clock } from '../../src/common/clock';
import { SlidingWindowPacer } from '../../src/sources/pacer';

/** A clock the test moves by hand; sleeping advances it. */
function manualClock(): Clock & { advance(ms: number): void; nowMs: number } {
  const clock = {
    nowMs: 0,
    now: () => new Date(clock.nowMs),
    sleep: (ms: number) => {
      clock.nowMs += ms;
      return Promise.resolve();
    },
    advance: (ms: number) => {
      clock.nowMs += ms;
    },
  };
  return clock;
}

describe('SlidingWindowPacer', () => {
  it('lets a full window through at once, then one call per freed slot', async () => {
    const clock = manualClock();
    const pacer = new SlidingWindowPacer([{ windowMs: 1000, maxCalls: 3 }], clock);
    const sentAt: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const release = await pacer.acquire();
      sentAt.push(clock.nowMs);
      clock.advance(10); // the reply takes 10 ms
      release();
    }
    expect(sentAt.slice(0, 3)).toEqual([0, 10, 20]);
    // Each later call waits a full window after the reply of the call whose slot it takes.
    expect(sentAt[3]).toBeGreaterThanOrEqual(10 + 1000);
    expect(sentAt[4]).toBeGreaterThanOrEqual(20 + 1000);
  });

  it('counts a request still in flight as occupying its slot', async () => {
    const clock = manualClock();
    const pacer = new SlidingWindowPacer([{ windowMs: 1000, maxCalls: 1 }], clock);
    const release = await pacer.acquire();
    let second = false;
    const waiting = pacer.acquire().then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    clock.advance(5000); // in flight for 5 s: its slot only starts ageing when the reply arrives
    release();
    await waiting;
    expect(clock.nowMs).toBeGreaterThanOrEqual(5000 + 1000);
  });

  it('refuses a slot past the deadline with a clean budget stop', async () => {
    const clock = manualClock();
    const pacer = new SlidingWindowPacer([{ windowMs: 60_000, maxCalls: 1 }], clock);
    (await pacer.acquire())();
    await expect(pacer.acquire(undefined, 30_000)).rejects.toMatchObject({ code: 'BudgetExceeded' });
  });
});
