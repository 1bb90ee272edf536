import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { parseState, type ExportState } from '../../src/export/exportState';
import { StateConflictError, StateStore } from '../../src/export/stateStore';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';
import { FaultyStorageProxy, storageRequests } from '../support/faultyStorageProxy';

const state = (watermark: string, exported: Record<string, string>): ExportState =>
  parseState(JSON.stringify({ schemaVersion: 1, watermark, exported, source: 'defender', updatedAt: watermark }));

describe('StateStore against Azurite', () => {
  let azurite: AzuriteBlob;
  let proxy: FaultyStorageProxy;
  let container: ContainerClient;
  let direct: ContainerClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    proxy = await FaultyStorageProxy.start(azurite.connectionString);
  });
  afterAll(async () => {
    await proxy.close();
    await azurite.close();
  });
  beforeEach(async () => {
    const name = `state-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    direct = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
    await direct.create();
    container = BlobServiceClient.fromConnectionString(proxy.connectionString).getContainerClient(name);
  });

  it("pairs the content it read with that content's ETag when another run writes in the middle of the read", async () => {
    const store = new StateStore(container);
    const other = new StateStore(direct);
    const first = await other.write(
      state('2026-11-01T00:00:00.0000000Z', { '1': '2026-11-01T00:00:00.0000000Z' }),
      undefined,
    );
    // The other run's write lands right after our download was answered, before we could ask anything else.
    void proxy.inject({
      match: storageRequests.stateDownload,
      fault: {
        kind: 'beforeReply',
        action: async () =>
          void (await other.write(
            state('2026-11-02T00:00:00.0000000Z', { '2': '2026-11-02T00:00:00.0000000Z' }),
            first,
          )),
      },
    });

    const snapshot = await store.read();

    expect(snapshot.state?.watermark).toBe('2026-11-01T00:00:00.0000000Z');
    // The ETag belongs to what we read: writing on top of it must be refused, so the other run's state is merged, never lost.
    await expect(store.write(state('2026-11-01T12:00:00.0000000Z', {}), snapshot.etag)).rejects.toBeInstanceOf(
      StateConflictError,
    );
    expect((await other.read()).state?.exported).toEqual({ '2': '2026-11-02T00:00:00.0000000Z' });
  });

  it('reads a state that grows in the middle of the read whole, never as a truncated body', async () => {
    const store = new StateStore(container);
    const other = new StateStore(direct);
    const first = await other.write(state('2026-11-01T00:00:00.0000000Z', {}), undefined);
    const many: Record<string, string> = {};
    for (let id = 0; id < 2000; id += 1) many[String(id)] = '2026-11-02T00:00:00.0000000Z';
    void proxy.inject({
      match: (r) => r.path.endsWith('/state/exporter-state.json') && (r.method === 'HEAD' || r.method === 'GET'),
      fault: {
        kind: 'beforeReply',
        action: async () => void (await other.write(state('2026-11-02T00:00:00.0000000Z', many), first)),
      },
    });

    const snapshot = await store.read();

    expect(['2026-11-01T00:00:00.0000000Z', '2026-11-02T00:00:00.0000000Z']).toContain(snapshot.state?.watermark);
  });

  it('refuses a first write when another run created the state first', async () => {
    await new StateStore(direct).write(state('2026-11-01T00:00:00.0000000Z', {}), undefined);
    await expect(
      new StateStore(container).write(state('2026-11-03T00:00:00.0000000Z', {}), undefined),
    ).rejects.toBeInstanceOf(StateConflictError);
  });
});
