import { BlobServiceClient } from '@azure/storage-blob';
import { runExport, type ExportDependencies } from '../../src/export/runExport';
import { FAST_PACING, incompleteBlobs } from '../support/exportChecks';
import { readExports } from '../support/exports';
import { FaultyStorageProxy, storageRequests } from '../support/faultyStorageProxy';
import { currentVersions, missing } from '../support/invariants';
import { startWorld, type World } from '../support/world';

/**
 * Two runs that start in the same millisecond (a portal Test/Run during a scheduled run, two runs of one
 * host) write to the same blob name. Found by the chaos test: both stage their block under the same block
 * id, so the uncommitted block of one replaces the other's, and the run whose commit wins publishes the
 * other run's incidents under its own metadata and state. Storage timings are sequenced by the proxy.
 */
describe('two runs with the same execution time', () => {
  let world: World;
  let proxy: FaultyStorageProxy;
  afterAll(async () => {
    await proxy.close();
    await world.close();
  });

  // BUG (reported): ExportBlobWriter's block ids ('block-000000', ...) are the same for every run.
  it('each commit only its own incidents, and nothing is lost', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 }, settings: FAST_PACING });
    proxy = await FaultyStorageProxy.start(world.azurite.connectionString);
    world.tenant.incidents.seed(20, { spreadHours: 1 });
    await world.run();
    world.tenant.incidents.seed(5, { spreadHours: 0.01 });

    const executionTime = new Date();
    const container = BlobServiceClient.fromConnectionString(proxy.connectionString).getContainerClient(
      world.config.container,
    );
    const deps: ExportDependencies = {
      ...world.deps,
      container,
      clock: { now: () => executionTime, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    };
    // One run sees one incident more than the other.
    let pages = 0;
    world.tenant.faults.onIncidentsPage = () => {
      if ((pages += 1) === 2) world.tenant.incidents.add();
    };
    // The first block staged lands last; the first commit waits until it has landed, the second even longer.
    void proxy.inject({ match: storageRequests.stageBlock, fault: { kind: 'delay', delayMs: 200 } });
    void proxy.inject({ match: storageRequests.commitBlockList, fault: { kind: 'delay', delayMs: 400 } });
    void proxy.inject({ match: storageRequests.commitBlockList, fault: { kind: 'delay', delayMs: 700 } });
    const outcomes = await Promise.allSettled([
      runExport(deps, { trigger: 'timer', logger: world.logger }),
      runExport(deps, { trigger: 'manual', logger: world.logger }),
    ]);
    world.tenant.faults.onIncidentsPage = undefined;
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);

    expect(await incompleteBlobs(world.container)).toEqual([]);
    await world.run();
    expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
  });
});
