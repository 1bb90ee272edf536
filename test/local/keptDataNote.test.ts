import { keptDataNote } from '../../src/local/embeddedTenant';

describe('keptDataNote (npm start after a restart)', () => {
  it('says nothing on a first start', () => {
    expect(keptDataNote(undefined)).toBeUndefined();
  });

  it('explains in one line that only incidents after the kept watermark are exported, and how to start over', () => {
    const note = keptDataNote('2026-11-27T08:12:53.0420000Z');

    expect(note).toBe(
      '.azurite/ keeps the exports and the watermark 2026-11-27T08:12:53.0420000Z of an earlier ' +
        'start, but the simulated tenant is new: only its incidents updated after that are ' +
        'exported. To start over, stop and delete .azurite/ (rm -rf .azurite).',
    );
    expect(note).not.toContain('\n');
  });
});
