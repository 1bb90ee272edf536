import { fromDate, type Timestamp } from '../../src/common/timestamp';
import { runExport } from '../../src/export/runExport';
import { runBackfill, startBackfill } from '../../src/export/runBackfill';
import { readExports } from '../support/exports';
import { FaultyStorageProxy, storageRequests } from '../support/faultyStorageProxy';
import { currentVersions, duplicates, keyOf, missing } from '../support/invariants';
import { reconfigureWorld, startWorld, type World } from '../support/world';

/**
 * `exportImmutabilityDays` puts a time-based retention policy on the export container: Azure then refuses any
 * overwrite or delete there. Azurite cannot enforce it, so the storage proxy refuses those requests, and every
 * path of the exporter must work without them: exports are created once (`If-None-Match: *`) and everything that
 * is rewritten (state, backfill jobs, registry) lives in EXPORT_STATE_CONTAINER.
 */
describe('an export container under a retention policy (overwrite and delete refused)', () => {
  let base: World;
  let proxy: FaultyStorageProxy;
  const hoursAgo = (hours: number): Timestamp => fromDate(new Date(Date.now() - hours * 3_600_000));

  beforeEach(async () => {
    base = await startWorld({
      tenant: { seedIncidents: 0, realisticIncidents: true },
      settings: { EXPORT_MAX_BLOB_MB: '1' },
    });
    proxy = await FaultyStorageProxy.start(base.azurite.connectionString);
  });
  afterEach(async () => {
    await proxy.close();
    await base.close();
  });

  it('exports, resumes after a failed part, dedupes and backfills without ever overwriting or deleting an export', async () => {
    const world = reconfigureWorld(base, {
      EXPORT_STORAGE: proxy.connectionString,
      EXPORT_STATE_CONTAINER: `${base.config.container}-state`,
    });
    proxy.makeImmutable(world.config.container);
    world.tenant.incidents.seed(400, { spreadHours: 30 });

    await world.run();
    // A part's commit fails mid-run: the run fails, and the next one exports what the failed one lost.
    world.tenant.incidents.seed(200, { spreadHours: 0.2 });
    let commits = 0;
    void proxy.inject({
      match: (request) => storageRequests.commitBlockList(request) && (commits += 1) >= 2,
      fault: { kind: 'status', status: 500, code: 'InternalError' },
      persistent: true,
    });
    await expect(runExport(world.deps, { trigger: 'test', logger: world.logger })).rejects.toThrow();
    proxy.clear();
    for (const incident of world.tenant.incidents.all().slice(0, 50)) world.tenant.incidents.update(incident.id);
    let runs = 0;
    while (!(await world.run()).complete && runs < 5) runs += 1;
    await world.run(); // nothing new: no blob, state rewritten in its own container only

    const job = await startBackfill(world.deps, hoursAgo(20), hoursAgo(10), 'test');
    const backfill = await runBackfill(world.deps, job.id, { trigger: 'test', logger: world.logger });
    expect(backfill.job.status).toBe('complete');

    const exportWrites = proxy.requests.filter(
      (request) => storageRequests.commitBlockList(request) && request.path.includes(`/${world.config.container}/`),
    );
    expect(exportWrites.length).toBeGreaterThan(3); // the exports did go through the immutable container
    expect(proxy.refused).toEqual([]);
    const exported = await readExports(base.container);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(duplicates(exported)).toEqual([]);
    const backfilled = (await readExports(base.container, 'backfill/')).map((v) => keyOf(v.id, v.lastUpdateTime));
    expect(backfilled.length).toBe(backfill.job.incidents);
  });

  it('the proxy does refuse a rewrite: with the state in the export container a run fails, naming the fix', async () => {
    const world = reconfigureWorld(base, { EXPORT_STORAGE: proxy.connectionString });
    proxy.makeImmutable(world.config.container);
    world.tenant.incidents.seed(20, { spreadHours: 2 });

    // The run's state is written more than once (after the part, then the watermark): the rewrite is refused.
    await expect(world.run()).rejects.toMatchObject({
      code: 'StateContainerImmutable',
      message: expect.stringContaining('EXPORT_STATE_CONTAINER') as unknown,
    });
    expect(proxy.refused.some((request) => request.path.endsWith('/state/exporter-state.json'))).toBe(true);
  });
});
