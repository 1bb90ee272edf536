import { systemClock } from '../../src/common/clock';
import { STATE_BLOB, type ExportState } from '../../src/export/exportState';
import { runExport } from '../../src/export/runExport';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, duplicates, missing } from '../support/invariants';
import { SOURCES, startWorld, type World } from '../support/world';

// Sizes are counted in pages of the source's $top (100 for Defender, 50 for Graph) so each scenario makes the same number of calls.
describe.each([SOURCES.defender, SOURCES.graph])(
  'a backlog larger than one run can fetch from the $name source',
  (source) => {
    let world: World;
    afterEach(async () => {
      await world.close();
    });

    it('makes forward progress every run, ends each inside its budget, and drains without replaying a window', async () => {
      // Every page takes 100 ms and a run may take 1.2 s: about 10 pages per run, 30 pages in all.
      const total = 30 * source.pageSize;
      world = await startWorld({ source: source.name, tenant: { seedIncidents: 0 }, build: { runBudgetMs: 1200 } });
      world.tenant.faults.inject({ server: source.server, kind: 'slow', delayMs: 100, persistent: true });
      world.tenant.incidents.seed(total, { spreadHours: 40 });
      const cursors: string[] = [];
      const summaries = [];
      for (let run = 0; run < 8; run += 1) {
        const summary = await world.run();
        summaries.push(summary);
        // Inside its budget, counted in pages (never in wall-clock time): a 1.2 s budget holds at most 12 pages of 100 ms.
        expect(summary.pages).toBeLessThanOrEqual(13);
        const state = JSON.parse(
          (await world.container.getBlockBlobClient(STATE_BLOB).downloadToBuffer()).toString('utf8'),
        ) as { pass?: { cursor: string } };
        if (summary.complete) break;
        expect(summary.incidents).toBeGreaterThan(0);
        expect(state.pass?.cursor).toBeDefined();
        if (cursors.length > 0) expect((state.pass?.cursor ?? '') < (cursors[cursors.length - 1] ?? '')).toBe(true);
        cursors.push(state.pass?.cursor ?? '');
      }
      expect(summaries.length).toBeGreaterThan(2);
      expect(summaries[summaries.length - 1]?.complete).toBe(true);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
      // ceil(N/pageSize) list calls in all, plus one per resumed run at most.
      const calls = summaries.reduce((n, s) => n + s.apiCalls, 0);
      expect(calls).toBeLessThanOrEqual(Math.ceil(total / source.pageSize) + summaries.length);
    });

    it('keeps the pull consistent when incidents change between the runs of a pull', async () => {
      world = await startWorld({ source: source.name, tenant: { seedIncidents: 0 }, build: { runBudgetMs: 800 } });
      world.tenant.faults.inject({ server: source.server, kind: 'slow', delayMs: 100, persistent: true });
      world.tenant.incidents.seed(20 * source.pageSize, { spreadHours: 40 });
      const ids = world.tenant.incidents.all().map((i) => i.id);
      for (let run = 0; run < 6; run += 1) {
        await world.run();
        for (let k = 0; k < 25; k += 1) world.tenant.incidents.update(ids[(run * 97 + k * 31) % ids.length] ?? 0);
        world.tenant.incidents.add();
      }
      // A pull that completes now may have started before the last changes (under load a run reads few pages):
      // the versions updated above its start are the next pull's. So drain until a pull started after them completes.
      let runs = 0;
      for (let completed = 0; completed < 2 && runs < 20; runs += 1) if ((await world.run()).complete) completed += 1;
      expect(runs).toBeLessThan(20);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
    });

    it('loses nothing when the incidents at the cursor are updated before the pull resumes', async () => {
      world = await startWorld({ source: source.name, tenant: { seedIncidents: 0 } });
      world.tenant.incidents.seed(5 * source.pageSize, { spreadHours: 10 });
      // Each run reads two pages: then its budget is spent (by the injected clock).
      let pages = 0;
      world.tenant.faults.onIncidentsPage = () => void (pages += 1);
      const stateOf = async (): Promise<ExportState> =>
        JSON.parse((await world.container.getBlockBlobClient(STATE_BLOB).downloadToBuffer()).toString()) as ExportState;
      let updatedAtCursor = 0;
      for (let runs = 0, completed = 0; completed < 2; runs += 1) {
        expect(runs).toBeLessThan(20);
        const first = pages;
        const clock = { ...systemClock, now: () => new Date(Date.now() + (pages - first >= 2 ? 3_600_000 : 0)) };
        const summary = await runExport({ ...world.deps, clock }, { trigger: 'test', logger: world.logger });
        if (summary.complete) completed += 1;
        const cursor = (await stateOf()).pass?.cursor;
        // The incident read last (at the cursor) changes before the next run resumes the pull there.
        for (const incident of world.tenant.incidents.all())
          if (incident.lastUpdateTime === cursor) {
            world.tenant.incidents.update(incident.id);
            updatedAtCursor += 1;
          }
      }
      expect(updatedAtCursor).toBeGreaterThan(0);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
    });

    it('splits a large run into parts, each committed with the progress', async () => {
      world = await startWorld({
        source: source.name,
        tenant: { seedIncidents: 0, realisticIncidents: true },
        settings: { EXPORT_MAX_BLOB_MB: '1' },
      });
      world.tenant.incidents.seed(900, { spreadHours: 10 });
      const summary = await world.run();
      const names = await listBlobNames(world.container, 'incidents/');
      expect(summary.blobs.length).toBeGreaterThan(1);
      expect(names).toEqual([...summary.blobs].sort());
      expect(summary.blobs[1]).toMatch(/-part0002\.json$/);
      const exported = await readExports(world.container);
      expect(exported).toHaveLength(900);
      expect(duplicates(exported)).toEqual([]);
    });

    it('paces requests so the API never answers 429 under its own limit', async () => {
      const total = 25 * source.pageSize;
      world = await startWorld({
        source: source.name,
        tenant: { seedIncidents: 0, rateLimits: [{ windowMs: 1000, maxCalls: 10 }] },
        build: { rateLimits: [{ windowMs: 1000, maxCalls: 10 }] },
      });
      world.tenant.incidents.seed(total, { spreadHours: 10 });
      const summary = await world.run();
      expect(summary.throttledWaits).toBe(0);
      expect(world.tenant.requests.filter((r) => r.status === 429)).toEqual([]);
      expect(summary.incidents).toBe(total);
    });
  },
);
