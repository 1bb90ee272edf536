import { parseExportBlobName } from '../../src/cli/exportBlobName';
import { exportBlobName } from '../../src/export/blobNames';

describe('parseExportBlobName', () => {
  it('reads back the execution time of a name the exporter writes', () => {
    const name = exportBlobName(new Date('2026-11-27T07:30:00.123Z'));

    expect(parseExportBlobName(name)).toEqual({
      name,
      kind: 'export',
      executionTime: '2026-11-27T07:30:00.1230000Z',
      part: undefined,
      format: 'json',
      gzip: false,
      tenantId: undefined,
    });
  });

  it("reads a registered tenant's blob names, naming the tenant", () => {
    expect(
      parseExportBlobName('tenants/contoso.onmicrosoft.com/backfill/2026/11/27/2026-11-27T07-30-00.000Z-part0002.json'),
    ).toEqual(expect.objectContaining({ kind: 'backfill', part: 2, tenantId: 'contoso.onmicrosoft.com' }));
    expect(parseExportBlobName('tenants/x/state/exporter-state.json')).toBeUndefined();
  });

  it.each([
    ['incidents/2026/11/27/2026-11-27T07-30-00.000Z.ndjson', { format: 'ndjson', gzip: false, part: undefined }],
    ['incidents/2026/11/27/2026-11-27T07-30-00.000Z.json.gz', { format: 'json', gzip: true, part: undefined }],
    ['incidents/2026/11/27/2026-11-27T07-30-00.000Z.ndjson.gz', { format: 'ndjson', gzip: true, part: undefined }],
    ['incidents/2026/11/27/2026-11-27T07-30-00.000Z-part0002.json', { format: 'json', gzip: false, part: 2 }],
    [
      'backfill/2026-11-01_2026-11-02/2026-11-27T07-30-00.000Z-part0011.ndjson.gz',
      { kind: 'backfill', format: 'ndjson', gzip: true, part: 11 },
    ],
  ])('understands the future name %s', (name, expected) => {
    expect(parseExportBlobName(name)).toEqual(
      expect.objectContaining({ executionTime: '2026-11-27T07:30:00.0000000Z', ...expected }),
    );
  });

  it('keeps a blob whose name carries no execution time, leaving the time to the listing', () => {
    expect(parseExportBlobName('backfill/manual/window.json')).toEqual(
      expect.objectContaining({ kind: 'backfill', executionTime: undefined }),
    );
  });

  it.each([
    'state/exporter-state.json',
    'config/tenants.json',
    'incidents/readme.txt',
    'other/2026-11-27T07-30-00.000Z.json',
  ])('ignores %s, which is no export', (name) => {
    expect(parseExportBlobName(name)).toBeUndefined();
  });
});
