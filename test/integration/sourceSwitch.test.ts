import { STATE_BLOB } from '../../src/export/exportState';
import { listBlobNames, readExports, type ExportedVersion } from '../support/exports';
import { currentVersions, keyOf, missing } from '../support/invariants';
import { reconfigureWorld, startWorld, type World } from '../support/world';

async function stateOf(world: World): Promise<{ watermark: string; source: string; exported: Record<string, string> }> {
  const text = (await world.container.getBlockBlobClient(STATE_BLOB).downloadToBuffer()).toString('utf8');
  return JSON.parse(text) as { watermark: string; source: string; exported: Record<string, string> };
}

/** Versions exported more than once, each with the blobs' sources: a repeat is only ever the same id and the same update time. */
function repeats(exported: readonly ExportedVersion[]): string[] {
  const seen = new Set<string>();
  return exported
    .map((version) => keyOf(version.id, version.lastUpdateTime))
    .filter((key) => (seen.has(key) ? true : (seen.add(key), false)));
}

describe('switching INCIDENTS_API from defender to graph with the same container and state', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('continues from the Defender watermark: nothing lost, nothing exported twice', async () => {
    // Prepare: a Defender history, then changes while the setting is switched.
    world = await startWorld({ source: 'defender', tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(180, { spreadHours: 30 });
    const first = await world.run();
    const defenderState = await stateOf(world);
    const ids = world.tenant.incidents.all().map((incident) => incident.id);
    for (const id of ids.slice(0, 12)) world.tenant.incidents.update(id);
    world.tenant.incidents.seed(40, { spreadHours: 0.05 });
    const graph = reconfigureWorld(world, { INCIDENTS_API: 'graph' });

    // Act
    const second = await graph.run();
    const third = await graph.run();

    // Assess
    expect(graph.source.name).toBe('graph');
    expect(second.windowFrom < defenderState.watermark).toBe(true);
    expect(second.watermarkBefore).toBe(first.watermarkAfter);
    expect(second.incidents).toBe(52);
    expect(third.incidents).toBe(0);
    const exported = await readExports(world.container);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(repeats(exported)).toEqual([]);
    const state = await stateOf(graph);
    expect(state.source).toBe('graph');
    const blobs = await listBlobNames(world.container, 'incidents/');
    const sources = await Promise.all(
      blobs.map(async (name) => (await world.container.getBlockBlobClient(name).getProperties()).metadata?.source),
    );
    expect(sources).toEqual(['defender', 'graph']);
    expect(graph.logLines.join('\n')).not.toMatch(/stops working after 2027-02-01/);
  });

  it(
    'recognises a version read by both sources inside the overlap window as the same (same id, ' +
      'same update time) and drops it',
    async () => {
      // Prepare: versions just under the Defender watermark are re-read by Graph's first run (the overlap window).
      world = await startWorld({ source: 'defender', tenant: { seedIncidents: 0 } });
      world.tenant.incidents.seed(30, { spreadHours: 0.1 });
      await world.run();
      const graph = reconfigureWorld(world, { INCIDENTS_API: 'graph' });

      // Act
      const summary = await graph.run();

      // Assess
      expect(summary.incidents).toBe(0);
      expect(summary.duplicatesDropped).toBe(30);
      expect(await listBlobNames(world.container, 'incidents/')).toHaveLength(1);
    },
  );
});

describe('the Defender source near its retirement', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('warns once per process past DEFENDER_RETIREMENT_WARNING_DATE, in one short line naming INCIDENTS_API=graph', async () => {
    world = await startWorld({ source: 'defender', settings: { DEFENDER_RETIREMENT_WARNING_DATE: '2020-01-01' } });
    await world.run();
    await world.run();
    const warnings = world.logLines.filter((line) =>
      /stops working after 2027-02-01.*set INCIDENTS_API=graph/.test(line),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.length).toBeLessThan(160);
  });

  it('stays quiet before that date', async () => {
    world = await startWorld({ source: 'defender', settings: { DEFENDER_RETIREMENT_WARNING_DATE: '2999-01-01' } });
    await world.run();
    expect(world.logLines.join('\n')).not.toMatch(/stops working after/);
  });
});

describe('Graph fallbacks against the simulated tenant', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it(
    'exports every incident without alerts when $expand=alerts fails persistently, says so ' +
      'loudly, and tries $expand again next run',
    async () => {
      // Prepare
      world = await startWorld({ source: 'graph', tenant: { seedIncidents: 0 } });
      world.tenant.incidents.seed(120, { spreadHours: 2 });
      world.tenant.faults.inject({
        server: 'graph',
        kind: '500',
        persistent: true,
        match: (request) => request.query.$expand !== undefined,
      });

      // Act
      const degraded = await world.run();
      world.tenant.faults.clear();
      world.tenant.incidents.seed(5, { spreadHours: 0.01 });
      const healthy = await world.run();

      // Assess
      expect(degraded.incidents).toBe(120);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      const firstRun = exported.filter((version) => version.blob === degraded.blobs[0]);
      expect(firstRun.some((version) => JSON.stringify(version.json).includes('"alerts"'))).toBe(false);
      const secondRun = exported.filter((version) => version.blob === healthy.blobs[0]);
      expect(secondRun.every((version) => JSON.stringify(version.json).includes('"alerts"'))).toBe(true);
      expect(world.logLines.filter((line) => line.includes('ALERTS LEFT OUT'))).toHaveLength(1);
      const withExpand = world.tenant.requests.filter((r) => r.server === 'graph' && r.query.$expand !== undefined);
      expect(withExpand.filter((r) => r.status === 500)).toHaveLength(6);
      expect(withExpand.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    },
  );

  it('drops $orderby for the rest of the process when Graph answers 400 to it, losing nothing', async () => {
    // Prepare
    world = await startWorld({ source: 'graph', tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(120, { spreadHours: 2 });
    world.tenant.faults.inject({
      server: 'graph',
      kind: 'status',
      status: 400,
      code: 'BadRequest',
      message: "Query option '$orderby' is not supported.",
      persistent: true,
      match: (request) => request.query.$orderby !== undefined,
    });

    // Act
    await world.run();
    world.tenant.incidents.seed(3, { spreadHours: 0.01 });
    await world.run();

    // Assess
    expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
    expect(world.tenant.requests.filter((r) => r.server === 'graph' && r.query.$orderby !== undefined)).toHaveLength(1);
    expect(world.logLines.join('\n')).toMatch(/refused \$orderby=lastUpdateDateTime desc \(400\)/);
  });
});
