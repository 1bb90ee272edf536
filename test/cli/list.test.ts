import type { ContainerClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import { listTable } from '../../src/cli/commands/list';
import type { ExportBlob } from '../../src/cli/exportListing';
import { requireTimestamp } from '../../src/common/timestamp';
import { defenderIncident, freshContainer, runCli, writeExportBlob, writeState, suiteWorld } from './cliHarness';

describe('defender-export list', () => {
  const world = suiteWorld();
  let container: ContainerClient;
  beforeEach(async () => {
    container = await freshContainer(world);
  });

  async function writeThreeExports(): Promise<void> {
    // Written out of order: the listing orders by execution time, not by upload.
    await writeExportBlob(container, {
      name: 'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json',
      incidents: [defenderIncident(3, 'High', '2026-11-27T07:59:41.263Z')],
      metadata: {
        incidentcount: '1',
        windowfrom: '2026-11-27T07:15:00.0000000Z',
        windowto: '2026-11-27T07:59:41.2630000Z',
        source: 'defender',
        runid: 'run-3',
        trigger: 'timer',
      },
    });
    await writeExportBlob(container, {
      name: 'incidents/2026/11/26/2026-11-26T23-55-00.004Z.json',
      incidents: [
        defenderIncident(1, 'Low', '2026-11-26T23:50:00Z'),
        defenderIncident(2, 'Medium', '2026-11-26T23:51:00Z'),
      ],
      metadata: {
        incidentcount: '2',
        windowfrom: '2026-11-24T23:55:00.0040000Z',
        windowto: '2026-11-26T23:51:00.0000000Z',
        source: 'defender',
        runid: 'run-1',
        trigger: 'timer',
      },
    });
    await writeExportBlob(container, {
      name: 'backfill/2026/11/27/2026-11-27T06-00-00.000Z-part0002.ndjson.gz',
      incidents: [defenderIncident(1, 'Low', '2026-11-20T10:00:00Z')],
      metadata: {
        incidentcount: '1',
        windowfrom: '2026-11-20T00:00:00.0000000Z',
        windowto: '2026-11-21T00:00:00.0000000Z',
        source: 'defender',
        runid: 'run-2',
        trigger: 'backfill',
      },
    });
    await writeState(container, {
      schemaVersion: 1,
      watermark: '2026-11-27T07:59:41.2630000Z',
      exported: {},
      source: 'defender',
      updatedAt: '2026-11-27T08:00:04.000Z',
    });
  }

  it('prints the export and backfill blobs as an aligned table, newest last, without the state blob', async () => {
    await writeThreeExports();

    const result = await runCli(container, ['list']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.lines[0]).toMatch(/^KIND +EXECUTED +INCIDENTS +WINDOW +SIZE +BLOB$/);
    const rows = result.lines.slice(1, 4);
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['export', 'backfill', 'export']);
    expect(rows[0]).toContain('2026-11-26T23:55:00.004Z');
    expect(rows[0]).toContain('2026-11-24T23:55:00.0040000Z → 2026-11-26T23:51:00.0000000Z');
    expect(rows[1]).toContain('backfill/2026/11/27/2026-11-27T06-00-00.000Z-part0002.ndjson.gz');
    expect(rows[2]).toMatch(
      /2026-11-27T08:00:03\.512Z +1 +2026-11-27T07:15:00\.0000000Z → 2026-11-27T07:59:41\.2630000Z +\d+ B +incidents\/2026\/11\/27\/2026-11-27T08-00-03\.512Z\.json$/,
    );
    // Columns line up: every row starts its BLOB column where the header does.
    const blobColumn = result.lines[0]?.indexOf('BLOB');
    for (const row of rows)
      expect(row.indexOf(row.includes('backfill/') ? 'backfill/' : 'incidents/')).toBe(blobColumn);
    expect(result.lines[4]).toMatch(/^3 blobs, 4 incidents, \d+ B$/);
    expect(result.stdout).not.toContain('state/');
  });

  it('prints a JSON array with the metadata for scripts with --json', async () => {
    await writeThreeExports();

    const result = await runCli(container, ['list', '--json']);

    expect(result.exitCode).toBe(EXIT.ok);
    const listed = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(listed.map((blob) => blob.name)).toEqual([
      'incidents/2026/11/26/2026-11-26T23-55-00.004Z.json',
      'backfill/2026/11/27/2026-11-27T06-00-00.000Z-part0002.ndjson.gz',
      'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json',
    ]);
    expect(listed[1]).toEqual(
      expect.objectContaining({
        kind: 'backfill',
        executionTime: '2026-11-27T06:00:00.000Z',
        part: 2,
        incidents: 1,
        format: 'ndjson',
        compression: 'gzip',
        trigger: 'backfill',
      }),
    );
    expect(listed[2]).toEqual(
      expect.objectContaining({
        kind: 'export',
        executionTime: '2026-11-27T08:00:03.512Z',
        part: null,
        incidents: 1,
        windowFrom: '2026-11-27T07:15:00.0000000Z',
        windowTo: '2026-11-27T07:59:41.2630000Z',
        source: 'defender',
        runId: 'run-3',
        format: 'json',
        compression: 'none',
      }),
    );
    expect(listed[2]?.sizeBytes).toEqual(expect.any(Number));
  });

  it('keeps only the blobs executed between --from and --to, both included', async () => {
    await writeThreeExports();

    const result = await runCli(container, [
      'list',
      '--json',
      '--from',
      '2026-11-27T06:00:00Z',
      '--to',
      '2026-11-27T08:00:03.512Z',
    ]);

    expect(result.exitCode).toBe(EXIT.ok);
    expect((JSON.parse(result.stdout) as { name: string }[]).map((blob) => blob.name)).toEqual([
      'backfill/2026/11/27/2026-11-27T06-00-00.000Z-part0002.ndjson.gz',
      'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json',
    ]);
  });

  it('accepts times with an offset and compares them in UTC', async () => {
    await writeThreeExports();

    const beforeFirst = await runCli(container, ['list', '--json', '--to', '2026-11-27T01:00:00+02:00']);
    const afterFirst = await runCli(container, ['list', '--json', '--to', '2026-11-27T02:00:00+02:00']);

    expect(JSON.parse(beforeFirst.stdout)).toEqual([]);
    expect((JSON.parse(afterFirst.stdout) as { name: string }[]).map((blob) => blob.name)).toEqual([
      'incidents/2026/11/26/2026-11-26T23-55-00.004Z.json',
    ]);
  });

  it('says so when no blob falls in the range', async () => {
    await writeThreeExports();

    const result = await runCli(container, ['list', '--from', '2027-01-01T00:00:00Z']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.lines).toEqual([
      `No export blobs in container '${container.containerName}' executed in that time range.`,
    ]);
  });

  it('tells how to get a first export when the container holds none', async () => {
    const table = await runCli(container, ['list']);
    const json = await runCli(container, ['list', '--json']);

    expect(table.lines).toEqual([
      `No export blobs yet in container '${container.containerName}': run 'defender-export run' ` +
        `(or wait for the timer).`,
    ]);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('treats a container the exporter has not created yet as empty', async () => {
    const missing = world.service.getContainerClient(`missing-${container.containerName}`);

    const result = await runCli(missing, ['list']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.lines).toEqual([
      `No export blobs yet in container '${missing.containerName}': run 'defender-export run' (or wait for the timer).`,
    ]);
  });

  it('rejects a malformed time with a usage error naming the expected format', async () => {
    const result = await runCli(container, ['list', '--from', '27/11/2026']);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toContain("'27/11/2026' is not an ISO 8601 time; use e.g. 2026-11-27T07:30:00Z (UTC)");
    expect(result.lines).toEqual([]);
  });

  it('rejects --from after --to with a usage error that says to swap them', async () => {
    await writeThreeExports();

    const result = await runCli(container, ['list', '--from', '2026-11-28T00:00:00Z', '--to', '2026-11-27T00:00:00Z']);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toContain(
      'error: --from 2026-11-28T00:00:00.0000000Z is after --to 2026-11-27T00:00:00.0000000Z: swap the two times.',
    );
    expect(result.lines).toEqual([]);
  });

  it('explains its options with --help', async () => {
    const result = await runCli(container, ['list', '--help']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.stdout).toContain('Usage: defender-export list [options]');
    expect(result.stdout).toMatch(/--from <time>[\s\S]*--to <time>[\s\S]*--json/);
  });
});

describe('listTable', () => {
  const blob = (name: string): ExportBlob => ({
    name,
    kind: 'export',
    executionTime: requireTimestamp('2026-11-27T08:12:52.891Z', 'test'),
    part: undefined,
    tenantId: undefined,
    format: 'json',
    gzip: false,
    incidents: 172,
    windowFrom: '2026-11-25T08:12:52.8910000Z',
    windowTo: '2026-11-27T08:01:03.3740700Z',
    sizeBytes: 467_763,
    metadata: {},
  });
  const blobs = [
    blob('incidents/2026/11/27/2026-11-27T08-12-52.891Z.json'),
    blob('incidents/2026/11/27/2026-11-27T08-12-54.316Z-part0002.json'),
  ];

  it('prints every column in full when nothing limits the width (a pipe)', () => {
    const table = listTable(blobs);

    expect(table.lines[0]).toMatch(/^KIND +EXECUTED +INCIDENTS +WINDOW +SIZE +BLOB$/);
    expect(table.hidden).toEqual([]);
  });

  it.each([80, 100, 120, 140])(
    'fits %i columns, keeping the blob name whole and saying which columns it left out',
    (columns) => {
      const table = listTable(blobs, columns);

      for (const line of table.lines) expect(line.length).toBeLessThanOrEqual(columns);
      expect(table.lines[2]).toContain('incidents/2026/11/27/2026-11-27T08-12-54.316Z-part0002.json');
      expect(table.hidden.length).toBeGreaterThan(0);
    },
  );

  it('shortens the window to the minute before leaving it out', () => {
    const table = listTable(blobs, 140);

    expect(table.lines[0]).toContain('WINDOW (UTC)');
    expect(table.lines[1]).toContain('11-25 08:12 → 11-27 08:01');
  });
});
