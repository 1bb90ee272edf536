import { localRetirement } from '../../src/local/embeddedTenant';

describe('LOCAL_DEFENDER_END for npm start', () => {
  it('retires the simulated Defender API at the given time, answering 410 unless LOCAL_DEFENDER_END_REPLY says 404', () => {
    expect(localRetirement({})).toBeUndefined();
    expect(localRetirement({ LOCAL_DEFENDER_END: '2026-11-28T14:00:00Z' })).toEqual({
      at: Date.UTC(2026, 10, 28, 14),
      reply: '410',
    });
    expect(
      localRetirement({ LOCAL_DEFENDER_END: '2026-11-28T15:00:00+01:00', LOCAL_DEFENDER_END_REPLY: '404' }),
    ).toEqual({ at: Date.UTC(2026, 10, 28, 14), reply: '404' });
  });

  it.each([
    [
      { LOCAL_DEFENDER_END: '2026-11-28T14:00:00' },
      /LOCAL_DEFENDER_END '2026-11-28T14:00:00' is not a time with a time zone/,
    ],
    [{ LOCAL_DEFENDER_END: 'soon' }, /LOCAL_DEFENDER_END 'soon'/],
    [
      { LOCAL_DEFENDER_END: '2026-11-28T14:00:00Z', LOCAL_DEFENDER_END_REPLY: '500' },
      /LOCAL_DEFENDER_END_REPLY '500' is not 410 or 404/,
    ],
  ])('refuses %o with one message naming the setting', (env, message) => {
    expect(() => localRetirement(env)).toThrow(message);
  });
});
