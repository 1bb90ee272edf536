import { systemClock } from '../../src/common/clock';

describe('the system clock', () => {
  it('ends a sleep as soon as its run is aborted', async () => {
    // Prepare
    const controller = new AbortController();
    const started = Date.now();

    // Act
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('run aborted'));

    // Assess
    await expect(sleeping).rejects.toThrow('run aborted');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('does not start a sleep for a run already aborted', async () => {
    await expect(systemClock.sleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
