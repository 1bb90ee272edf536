import type { Clock } from '../../src/common/clock';
import { SECRET_MAX_AGE_MS, TickSecrets } from '../../src/tenants/tickSecrets';

function manualClock(): Clock & { nowMs: number } {
  const clock = { nowMs: 0, now: () => new Date(clock.nowMs), sleep: () => Promise.resolve() };
  return clock;
}

describe('secrets read once per tick', () => {
  function vault(): { reads: string[]; read: (name: string) => Promise<string>; fail: Set<string> } {
    const reads: string[] = [];
    const fail = new Set<string>();
    return {
      reads,
      fail,
      read: (name) => {
        reads.push(name);
        return fail.has(name)
          ? Promise.reject(new Error('vault down'))
          : Promise.resolve(`${name}-value-${reads.length}`);
      },
    };
  }

  it('shares one read between the tenants that use the same secret name, concurrent or not', async () => {
    const kv = vault();
    const secrets = new TickSecrets(kv.read, manualClock());

    const values = await Promise.all([secrets.get('shared'), secrets.get('shared'), secrets.get('own')]);
    await secrets.get('shared');

    expect(values).toEqual(['shared-value-1', 'shared-value-1', 'own-value-2']);
    expect(kv.reads).toEqual(['shared', 'own']);
    expect(secrets.reads).toBe(2);
  });

  it('reads the vault again at the next tick (a rotated secret is picked up)', async () => {
    const kv = vault();
    const secrets = new TickSecrets(kv.read, manualClock());
    await secrets.get('shared');

    secrets.beginTick();

    expect(await secrets.get('shared')).toBe('shared-value-2');
  });

  it('never keeps a failed read, and forgets a secret a run found refused', async () => {
    const kv = vault();
    const secrets = new TickSecrets(kv.read, manualClock());
    kv.fail.add('s');
    await expect(secrets.get('s')).rejects.toThrow('vault down');
    kv.fail.delete('s');

    expect(await secrets.get('s')).toBe('s-value-2');
    secrets.forget('s');
    expect(await secrets.get('s')).toBe('s-value-3');
  });

  it('reads again once a value is older than the guard age, even without a new tick', async () => {
    const kv = vault();
    const clock = manualClock();
    const secrets = new TickSecrets(kv.read, clock);
    await secrets.get('s');
    clock.nowMs += SECRET_MAX_AGE_MS - 1;
    await secrets.get('s');
    clock.nowMs += 1;
    await secrets.get('s');

    expect(kv.reads).toHaveLength(2);
  });
});
