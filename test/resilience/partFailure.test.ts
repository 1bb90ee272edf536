import { BlobServiceClient } from '@azure/storage-blob';
import { runExport } from '../../src/export/runExport';
import { readExports } from '../support/exports';
import { FaultyStorageProxy, storageRequests } from '../support/faultyStorageProxy';
import { currentVersions, missing } from '../support/invariants';
import { startWorld, type World } from '../support/world';

describe('a storage failure after some parts were committed', () => {
  let world: World;
  let proxy: FaultyStorageProxy;
  beforeEach(async () => {
    world = await startWorld({
      tenant: { seedIncidents: 0, realisticIncidents: true },
      settings: { EXPORT_MAX_BLOB_MB: '1' },
    });
    proxy = await FaultyStorageProxy.start(world.azurite.connectionString);
  });
  afterEach(async () => {
    await proxy.close();
    await world.close();
  });

  it.each([
    ['the commit of the second part', storageRequests.commitBlockList],
    ['a block upload of the second part', storageRequests.stageBlock],
  ])('records no progress past incidents lost with %s, so the next run exports them', async (_label, match) => {
    world.tenant.incidents.seed(500, { spreadHours: 10 });
    const container = BlobServiceClient.fromConnectionString(proxy.connectionString, {
      retryOptions: { maxTries: 1 },
    }).getContainerClient(world.config.container);
    const proxied = { ...world.deps, container, stateContainer: container };
    let seen = 0;
    void proxy.inject({
      match: (request) => match(request) && (seen += 1) === 2,
      fault: { kind: 'status', status: 500, code: 'InternalError' },
      persistent: true,
    });
    await expect(runExport(proxied, { trigger: 'test', logger: world.logger })).rejects.toMatchObject({
      code: expect.stringMatching(/^Blob(Commit|Upload)Failed$/) as unknown,
    });
    proxy.clear();
    let runs = 0;
    while (!(await world.run()).complete && runs < 5) runs += 1;
    expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
  });
});
