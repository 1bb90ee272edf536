import { STATE_BLOB } from '../../src/export/exportState';
import { fromDate, minusMs } from '../../src/common/timestamp';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, duplicates, keyOf, missing } from '../support/invariants';
import { SOURCES, startWorld, type World } from '../support/world';

async function stateOf(world: World): Promise<{ watermark: string; exported: Record<string, string> }> {
  const text = (await world.container.getBlockBlobClient(STATE_BLOB).downloadToBuffer()).toString('utf8');
  return JSON.parse(text) as { watermark: string; exported: Record<string, string> };
}

describe.each([SOURCES.defender, SOURCES.graph])(
  'an export run from the $name source against Azurite and the simulated tenant',
  (source) => {
    let world: World;
    beforeEach(async () => {
      world = await startWorld({ source: source.name, tenant: { seedIncidents: 0 } });
    });
    afterEach(async () => {
      await world.close();
    });

    it('exports the last 48 hours on its first run into one blob named by the execution time, exactly as received', async () => {
      const hour = 3_600_000;
      const now = Date.now();
      const old = world.tenant.incidents.add({ lastUpdateTime: minusMs(fromDate(new Date(now)), 50 * hour) });
      const recent = Array.from({ length: 250 }, (_, i) =>
        world.tenant.incidents.add({ lastUpdateTime: minusMs(fromDate(new Date(now)), (i + 1) * 60_000) }),
      );
      world.tenant.incidents.setRaw(recent[0]?.id ?? 0, { futureField: { nested: [1.5, 'x'] } });

      const summary = await world.run();

      expect(summary.incidents).toBe(250);
      expect(summary.blobs).toHaveLength(1);
      const [name = ''] = summary.blobs;
      expect(name).toMatch(/^incidents\/\d{4}\/\d{2}\/\d{2}\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.json$/);
      expect(name).toBe(
        `incidents/${summary.executionTime.slice(0, 4)}/${summary.executionTime.slice(5, 7)}/` +
          `${summary.executionTime.slice(8, 10)}/${summary.executionTime.replace(/:/g, '-')}.json`,
      );
      const exported = await readExports(world.container);
      expect(
        missing(
          currentVersions(world.tenant).filter((k) => !k.startsWith(`${old.id}@`)),
          exported,
        ),
      ).toEqual([]);
      expect(exported.some((v) => v.id === String(old.id))).toBe(false);
      const withExtra = exported.find((v) => v.id === String(recent[0]?.id));
      expect(withExtra?.json).toMatchObject({ futureField: { nested: [1.5, 'x'] } });
      const properties = await world.container.getBlockBlobClient(name).getProperties();
      expect(properties.contentType).toBe('application/json');
      expect(properties.metadata).toMatchObject({ incidentcount: '250', source: source.name });
      expect((await stateOf(world)).watermark).toBe(summary.watermarkAfter);
      // Full pages of $top, then the short (or empty) page that ends the pull: 3 calls of 100, 6 calls of 50.
      expect(summary.apiCalls).toBe(Math.floor(250 / source.pageSize) + 1);
    });

    it('writes no blob and keeps the watermark when nothing changed', async () => {
      world.tenant.incidents.add();
      const first = await world.run();
      const second = await world.run();
      expect(second.incidents).toBe(0);
      expect(second.blobs).toEqual([]);
      expect(second.duplicatesDropped).toBe(1);
      expect(second.watermarkAfter).toBe(first.watermarkAfter);
      expect(await listBlobNames(world.container, 'incidents/')).toHaveLength(1);
    });

    it('exports each new version of an updated incident once, in the next run', async () => {
      const incident = world.tenant.incidents.add();
      await world.run();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const updated = world.tenant.incidents.update(incident.id, { status: 'Resolved' });
      const summary = await world.run();
      expect(summary.incidents).toBe(1);
      const exported = await readExports(world.container);
      expect(exported.map((v) => keyOf(v.id, v.lastUpdateTime))).toEqual([
        keyOf(incident.id, incident.lastUpdateTime),
        keyOf(updated.id, updated.lastUpdateTime),
      ]);
    });

    it('exports incidents sharing one lastUpdateTime across a page boundary and a run boundary exactly once', async () => {
      world.tenant.incidents.addTied(130);
      await world.run();
      world.tenant.incidents.addTied(70, { lastUpdateTime: world.tenant.incidents.all()[0]?.lastUpdateTime });
      await world.run();
      await world.run();
      const exported = await readExports(world.container);
      expect(duplicates(exported)).toEqual([]);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(exported).toHaveLength(200);
    });

    it('loses nothing when incidents are updated and created while the run pages through the newest-first list', async () => {
      world.tenant.incidents.seed(450, { spreadHours: 24 });
      const all = world.tenant.incidents.all();
      world.tenant.faults.onIncidentsPage = ({ requestIndex }) => {
        // Every page: update two unread (older) incidents and one already read, and create one.
        const oldest = all.slice(0, 450).sort((a, b) => (a.lastUpdateTime < b.lastUpdateTime ? -1 : 1));
        const pick = (i: number): number => oldest[(requestIndex * 7 + i) % oldest.length]?.id ?? 0;
        world.tenant.incidents.update(pick(0));
        world.tenant.incidents.update(pick(3));
        world.tenant.incidents.update(oldest[oldest.length - 1 - requestIndex]?.id ?? 0);
        world.tenant.incidents.add();
      };
      const before = new Set(currentVersions(world.tenant));
      await world.run();
      world.tenant.faults.onIncidentsPage = undefined;
      await world.run();
      const exported = await readExports(world.container);
      // Every final version, and every version that stayed current through the first run, is exported.
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      const untouched = [...before].filter((key) => currentVersions(world.tenant).includes(key));
      expect(missing(untouched, exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
    });

    it('catches an update that becomes visible late, within the overlap window, without duplicating it later', async () => {
      world.tenant.incidents.add();
      await world.run();
      const late = world.tenant.incidents.add({ lastUpdateTime: minusMs(fromDate(new Date()), 60_000) });
      world.tenant.incidents.setVisibleAfter(late.id, Date.now() + 3_600_000);
      const before = await world.run();
      world.tenant.incidents.setVisibleAfter(late.id, 0);
      const caught = await world.run();
      expect(before.incidents).toBe(0);
      const again = await world.run();
      expect(caught.incidents).toBe(1);
      expect(again.incidents).toBe(0);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
    });

    it('creates the container on first use', async () => {
      world.tenant.incidents.add();
      expect(await world.container.exists()).toBe(false);
      await world.run();
      expect(await world.container.exists()).toBe(true);
    });

    it('lets two runs at once lose nothing and never move the watermark backwards', async () => {
      world.tenant.incidents.seed(300, { spreadHours: 24 });
      await world.run();
      world.tenant.incidents.seed(120, { spreadHours: 0.01 });
      const [a, b] = await Promise.allSettled([world.run(), world.run()]);
      expect([a.status, b.status]).toContain('fulfilled');
      const state = await stateOf(world);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      const newest = exported
        .map((v) => keyOf(v.id, v.lastUpdateTime).split('@')[1] ?? '')
        .sort()
        .pop();
      expect(state.watermark).toBe(newest);
      // Any duplicate across the two concurrent blobs is the same version (same id and lastUpdateTime).
      for (const key of duplicates(exported)) expect(currentVersions(world.tenant)).toContain(key);
    });
  },
);
