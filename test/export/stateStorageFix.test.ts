import { STATE_STORAGE_ROLE, stateStorageFix } from '../../src/export/stateStorageFix';

describe('stateStorageFix', () => {
  it('names the role to grant for a 403', () => {
    expect(stateStorageFix(403)).toContain(STATE_STORAGE_ROLE);
  });

  it.each([
    ['no answer at all (connection refused, DNS)', undefined],
    ['a 500', 500],
    ['a 503', 503],
    ['a 401', 401],
    ['a 400', 400],
  ])('names no role for %s', (_, statusCode) => {
    const fix = stateStorageFix(statusCode);

    expect(fix).not.toMatch(/role/i);
    expect(fix).toContain('EXPORT_STORAGE');
  });
});
