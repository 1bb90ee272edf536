import { commandClock } from '../../src/cli/commandClock';
import { systemClock } from '../../src/common/clock';
import { BudgetExceededError } from '../../src/common/errors';

describe('commandClock', () => {
  it('tells its listeners how long each wait is', async () => {
    const clock = commandClock(systemClock);
    const waits: number[] = [];
    clock.onWait((waitMs) => waits.push(waitMs));

    await clock.sleep(5);

    expect(waits).toEqual([5]);
  });

  it('ends a running wait at once with a clean stop when told to stop waiting, and every later one too', async () => {
    const clock = commandClock(systemClock);
    const started = Date.now();
    const waiting = clock.sleep(60_000);

    clock.stopWaiting();

    await expect(waiting).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(clock.sleep(60_000)).rejects.toMatchObject({ code: 'Interrupted' });
    // Half the wait: a wait that is not ended runs the full minute.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
