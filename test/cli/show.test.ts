import { gzipSync } from 'zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import { defenderIncident, freshContainer, runCli, writeExportBlob, suiteWorld } from './cliHarness';

const OLDER = 'incidents/2026/11/26/2026-11-26T23-55-00.004Z.json';
const NEWER = 'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json';
const BACKFILL = 'backfill/2026/11/27/2026-11-27T09-00-00.000Z.json';

describe('defender-export show', () => {
  const world = suiteWorld();
  let container: ContainerClient;
  beforeEach(async () => {
    container = await freshContainer(world);
    await writeExportBlob(container, { name: OLDER, incidents: [defenderIncident(1, 'Low', '2026-11-26T23:50:00Z')] });
    await writeExportBlob(container, {
      name: NEWER,
      incidents: [
        defenderIncident(2, 'High', '2026-11-27T07:58:00Z'),
        defenderIncident(3, 'Medium', '2026-11-27T07:59:00Z'),
        defenderIncident(23, 'high', '2026-11-27T07:59:41.263Z'),
      ],
    });
    // A backfill written after the newest export: 'latest' still means the newest export run.
    await writeExportBlob(container, {
      name: BACKFILL,
      incidents: [defenderIncident(99, 'Low', '2026-11-01T00:00:00Z')],
    });
  });

  const ids = (incidents: unknown): unknown[] =>
    (incidents as { incidentId: number }[]).map((incident) => incident.incidentId);

  it('prints the incidents of the newest export as a pretty JSON array for latest', async () => {
    const result = await runCli(container, ['show', 'latest']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(ids(JSON.parse(result.stdout))).toEqual([2, 3, 23]);
    expect(result.lines[0]).toBe('[');
    expect(result.lines[1]).toBe('  {');
    expect(JSON.parse(result.stdout)).toEqual([
      defenderIncident(2, 'High', '2026-11-27T07:58:00Z'),
      defenderIncident(3, 'Medium', '2026-11-27T07:59:00Z'),
      defenderIncident(23, 'high', '2026-11-27T07:59:41.263Z'),
    ]);
  });

  it('prints the blob named, also when copied with the container in front', async () => {
    const byName = await runCli(container, ['show', OLDER]);
    const copied = await runCli(container, ['show', `${container.containerName}/${OLDER}`]);

    expect(ids(JSON.parse(byName.stdout))).toEqual([1]);
    expect(ids(JSON.parse(copied.stdout))).toEqual([1]);
  });

  it('prints one compact JSON object per line with --ndjson', async () => {
    const result = await runCli(container, ['show', 'latest', '--ndjson']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.lines).toHaveLength(3);
    expect(result.lines.map((line) => (JSON.parse(line) as { incidentId: number }).incidentId)).toEqual([2, 3, 23]);
    expect(result.lines[0]).toBe(JSON.stringify(defenderIncident(2, 'High', '2026-11-27T07:58:00Z')));
  });

  it('keeps only the incident whose id is given with --id, matched as text and not as a prefix', async () => {
    const result = await runCli(container, ['show', 'latest', '--id', '2']);

    expect(ids(JSON.parse(result.stdout))).toEqual([2]);
  });

  it("matches --id against Graph's id field too", async () => {
    await writeExportBlob(container, {
      name: 'incidents/2026/11/28/2026-11-28T00-00-00.000Z.json',
      incidents: [
        { id: '2971', severity: 'high', lastUpdateDateTime: '2026-11-27T23:59:00Z' },
        { id: '2972', severity: 'low', lastUpdateDateTime: '2026-11-27T23:59:30Z' },
      ],
    });

    const result = await runCli(container, ['show', 'latest', '--id', '2971', '--ndjson']);

    expect(result.lines).toEqual([
      JSON.stringify({ id: '2971', severity: 'high', lastUpdateDateTime: '2026-11-27T23:59:00Z' }),
    ]);
  });

  it('keeps only the incidents of the --severity given, ignoring case', async () => {
    const result = await runCli(container, ['show', 'latest', '--severity', 'HIGH']);

    expect(ids(JSON.parse(result.stdout))).toEqual([2, 23]);
  });

  it('prints an empty array when no incident matches the filters', async () => {
    const result = await runCli(container, ['show', 'latest', '--id', '2', '--severity', 'low']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.stdout).toBe('[]');
  });

  it('reads a gzip-compressed NDJSON blob by its name', async () => {
    const name = 'incidents/2026/11/28/2026-11-28T00-00-00.000Z.ndjson.gz';
    await writeExportBlob(container, {
      name,
      format: 'ndjson',
      encode: (body) => gzipSync(body),
      incidents: [
        defenderIncident(7, 'Low', '2026-11-27T23:00:00Z'),
        defenderIncident(8, 'High', '2026-11-27T23:01:00Z'),
      ],
    });

    const result = await runCli(container, ['show', name, '--severity', 'high']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(ids(JSON.parse(result.stdout))).toEqual([8]);
  });

  it('reads a JSON blob stored with Content-Encoding: gzip under a plain .json name', async () => {
    const name = 'incidents/2026/11/28/2026-11-28T00-00-00.000Z.json';
    await writeExportBlob(container, {
      name,
      contentEncoding: 'gzip',
      encode: (body) => gzipSync(body),
      incidents: [defenderIncident(9, 'Medium', '2026-11-27T23:00:00Z')],
    });

    const result = await runCli(container, ['show', 'latest']);

    expect(ids(JSON.parse(result.stdout))).toEqual([9]);
  });

  it('shows every part of the newest run for latest, in part order', async () => {
    await writeExportBlob(container, {
      name: 'incidents/2026/11/28/2026-11-28T00-00-00.000Z-part0002.json',
      incidents: [defenderIncident(12, 'Low', '2026-11-27T23:02:00Z')],
    });
    await writeExportBlob(container, {
      name: 'incidents/2026/11/28/2026-11-28T00-00-00.000Z-part0001.json',
      incidents: [defenderIncident(11, 'Low', '2026-11-27T23:01:00Z')],
    });

    const result = await runCli(container, ['show', 'latest', '--ndjson']);

    expect(result.lines.map((line) => (JSON.parse(line) as { incidentId: number }).incidentId)).toEqual([11, 12]);
  });

  it('names an unknown blob and points to the list command, with exit code 1', async () => {
    const result = await runCli(container, ['show', 'incidents/2026/01/01/2026-01-01T00-00-00.000Z.json']);

    expect(result.exitCode).toBe(EXIT.failed);
    expect(result.stderr).toContain(
      `error: Blob 'incidents/2026/01/01/2026-01-01T00-00-00.000Z.json' does not exist in ` +
        `container '${container.containerName}'. Run 'defender-export list' to see the export blobs`,
    );
    expect(result.stderr).not.toContain('RequestId');
    expect(result.lines).toEqual([]);
  });

  it('says there is no latest export when the container holds none', async () => {
    const empty = await freshContainer(world);

    const result = await runCli(empty, ['show', 'latest']);

    expect(result.exitCode).toBe(EXIT.failed);
    expect(result.stderr).toContain("there is no latest one: run 'defender-export run'");
  });

  it('refuses a blob that is not an array of incidents, saying which blob', async () => {
    await container.getBlockBlobClient('state/exporter-state.json').upload('{"schemaVersion":1}', 19);

    const result = await runCli(container, ['show', 'state/exporter-state.json']);

    expect(result.exitCode).toBe(EXIT.failed);
    expect(result.stderr).toContain(
      "error: Blob 'state/exporter-state.json' is not a readable export: it is not a JSON array of incidents.",
    );
  });

  it('asks for the blob when it is missing, with a usage error', async () => {
    const result = await runCli(container, ['show']);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toContain("error: missing required argument 'blob'");
  });

  it('explains its argument and options with --help', async () => {
    const result = await runCli(container, ['show', '--help']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.stdout).toContain('Usage: defender-export show [options] <blob>');
    expect(result.stdout).toMatch(/--ndjson[\s\S]*--id <incidentId>[\s\S]*--severity <severity>/);
  });
});
