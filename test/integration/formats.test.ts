import { gunzipSync } from 'zlib';
import { readExportBlob } from '../../src/cli/readExportBlob';
import { listBlobNames } from '../support/exports';
import { startWorld, type World } from '../support/world';

describe('export formats', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('writes one compact incident per line with EXPORT_FORMAT=ndjson, every value kept', async () => {
    world = await startWorld({
      tenant: { seedIncidents: 0, realisticIncidents: true },
      settings: { EXPORT_FORMAT: 'ndjson' },
    });
    world.tenant.incidents.seed(120, { spreadHours: 2 });
    const first = world.tenant.incidents.all()[0];
    world.tenant.incidents.setRaw(first?.id ?? 0, { note: 'line one\nline two', nested: { deep: [1.5, null, true] } });
    const summary = await world.run();
    const [name = ''] = summary.blobs;
    expect(name).toMatch(/\.ndjson$/);
    const blob = world.container.getBlockBlobClient(name);
    const text = (await blob.downloadToBuffer()).toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(120);
    expect(text).toContain('"note":"line one\\nline two","nested":{"deep":[1.5,null,true]}');
    expect(
      lines
        .map((line) => JSON.parse(line) as { incidentId: number })
        .map((i) => i.incidentId)
        .sort(),
    ).toEqual(
      world.tenant.incidents
        .all()
        .map((i) => i.id)
        .sort(),
    );
    const properties = await blob.getProperties();
    expect(properties.contentType).toBe('application/x-ndjson');
    expect(properties.metadata).toMatchObject({
      format: 'ndjson',
      compression: 'none',
      kind: 'export',
      incidentcount: '120',
    });
  });

  it('gzips blobs with EXPORT_COMPRESSION=gzip as valid .gz files, streamed in members', async () => {
    world = await startWorld({
      tenant: { seedIncidents: 0, realisticIncidents: true },
      settings: { EXPORT_COMPRESSION: 'gzip' },
    });
    world.tenant.incidents.seed(400, { spreadHours: 2 });
    const summary = await world.run();
    const [name = ''] = summary.blobs;
    expect(name).toMatch(/\.json\.gz$/);
    const blob = world.container.getBlockBlobClient(name);
    const raw = await blob.downloadToBuffer();
    const incidents = JSON.parse(gunzipSync(raw).toString('utf8')) as unknown[];
    expect(incidents).toHaveLength(400);
    expect(raw.length).toBeLessThan(summary.bytesWritten + 1);
    const properties = await blob.getProperties();
    expect(properties.contentType).toBe('application/gzip');
    expect(properties.contentEncoding).toBeUndefined();
    const read = await readExportBlob(world.container, name);
    expect(read).toHaveLength(400);
  });

  it('sets index tags for filtering by window when EXPORT_INDEX_TAGS=true', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 }, settings: { EXPORT_INDEX_TAGS: 'true' } });
    world.tenant.incidents.seed(10, { spreadHours: 1 });
    const summary = await world.run();
    const tags = await world.container.getBlockBlobClient(summary.blobs[0] ?? '').getTags();
    expect(tags.tags).toEqual({
      kind: 'export',
      source: 'defender',
      windowfrom: summary.windowFrom,
      windowto: summary.watermarkAfter,
    });
    expect(await listBlobNames(world.container, 'incidents/')).toHaveLength(1);
  });
});
