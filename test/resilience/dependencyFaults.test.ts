import { BlobServiceClient } from '@azure/storage-blob';
import { runExport, type ExportDependencies, type RunSummary } from '../../src/export/runExport';
import type { FaultKind, ServerName } from '../../src/local/simulator';
import { divergentDuplicates, FAST_PACING, incompleteBlobs, readState } from '../support/exportChecks';
import { listBlobNames, readExports } from '../support/exports';
import { FaultyStorageProxy, storageRequests, type StorageFaultRule } from '../support/faultyStorageProxy';
import { currentVersions, missing } from '../support/invariants';
import { LeakLedger } from '../support/leakLedger';
import { startWorld, type World } from '../support/world';

/**
 * Faults in the run's other dependencies: Key Vault, the Entra token endpoint and blob storage (through
 * a proxy in front of Azurite). Each is retried by the Azure SDK or fails the run with a clear error;
 * never a partial blob, never a moved watermark, and the next run recovers everything.
 */
describe('faults in Key Vault, Entra and blob storage', () => {
  const ledger = new LeakLedger();
  let world: World;
  let proxy: FaultyStorageProxy;
  /** The world's real dependencies with storage reached through the proxy (SDK retries kept short). */
  let proxied: ExportDependencies;
  const runProxied = (): Promise<RunSummary> => runExport(proxied, { trigger: 'test', logger: world.logger });

  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 }, settings: FAST_PACING });
    proxy = await FaultyStorageProxy.start(world.azurite.connectionString);
    const container = BlobServiceClient.fromConnectionString(proxy.connectionString, {
      retryOptions: { maxTries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    }).getContainerClient(world.config.container);
    proxied = { ...world.deps, container, stateContainer: container };
    world.tenant.incidents.seed(40, { spreadHours: 2 });
    await world.run();
  });
  afterAll(async () => {
    await ledger.recordBlobs('final', world.container);
    ledger.record('logs', world.logLines.join('\n'));
    const { findings } = ledger.findLeaks(world.tenant);
    await proxy.close();
    await world.close();
    expect(findings).toEqual([]);
  });

  /** New incidents, one failing run as described (or a successful one), then a clean run that recovers everything. */
  async function expectHandled(
    label: string,
    breakIt: () => void,
    expected: { code: string; message: RegExp; newBlobs: number; retryable?: boolean } | 'succeeds',
    run: () => Promise<unknown> = () => world.run(),
  ): Promise<void> {
    world.tenant.incidents.seed(130, { spreadHours: 0.05 });
    const before = await readState(world.container);
    const blobsBefore = await listBlobNames(world.container, 'incidents/');
    breakIt();
    const outcome = await run().then(
      () => undefined,
      (error: unknown) => error,
    );
    world.tenant.faults.clear();
    proxy.clear();
    if (expected === 'succeeds') {
      expect(outcome).toBeUndefined();
    } else {
      ledger.recordError(label, outcome);
      expect(outcome).toMatchObject({
        code: expected.code,
        message: expect.stringMatching(expected.message) as unknown,
      });
      if (expected.retryable !== undefined) expect(outcome).toMatchObject({ retryable: expected.retryable });
      expect((await readState(world.container))?.watermark).toBe(before?.watermark);
      expect((await listBlobNames(world.container, 'incidents/')).length - blobsBefore.length).toBe(expected.newBlobs);
    }
    expect(await incompleteBlobs(world.container)).toEqual([]);
    await run();
    const exported = await readExports(world.container);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(divergentDuplicates(exported)).toEqual([]);
  }

  const transient: [ServerName, FaultKind, string][] = [
    ['vault', '500', 'a Key Vault 500'],
    ['vault', '503', 'a Key Vault 503'],
    ['login', '500', 'a token endpoint 500'],
    ['login', '503', 'a token endpoint 503'],
  ];
  // The secret read (vault) and the exporter's token request (login) each fail once.
  const once = (server: ServerName, kind: FaultKind) => (): void =>
    world.tenant.faults.inject({
      server,
      kind,
      ...(server === 'login' ? { match: (r: { path: string }) => r.path.endsWith('/oauth2/v2.0/token') } : {}),
    });

  it.each(transient)('retries %s %s (%s) through the Azure SDK and exports', async (server, kind, label) => {
    const before = world.tenant.requests.filter((r) => r.server === server).length;
    await expectHandled(label, once(server, kind), 'succeeds');
    const seen = world.tenant.requests.slice(before).filter((r) => r.server === server);
    expect(seen.some((r) => r.status >= 500)).toBe(true);
    expect(seen.length).toBeGreaterThan(1);
  });

  // NOTE: a connection cut mid-body is not retried by the Azure SDK (the reply's headers had arrived), so the run
  // fails; it fails as retryable with the watermark intact, and the next run (the timer's next tick) recovers.
  it('fails clearly, as retryable, on a Key Vault reply cut mid-body', async () => {
    await expectHandled('vault reset', once('vault', 'reset'), {
      code: 'VaultReadFailed',
      message: /^Reading Key Vault secret 'defender-client-secret' from https:\/\/127\.0\.0\.1:\d+\/ failed: .*aborted/,
      newBlobs: 0,
      retryable: true,
    });
  });

  it('fails clearly, as retryable, on a token reply cut mid-body', async () => {
    await expectHandled('login reset', once('login', 'reset'), {
      code: 'TokenRequestFailed',
      message: /^Entra refused the token request .*network_error/,
      newBlobs: 0,
      retryable: true,
    });
  });

  it('fails with a clear Key Vault error when the vault stays unavailable, watermark intact', async () => {
    await expectHandled(
      'vault down',
      () =>
        world.tenant.faults.inject({
          server: 'vault',
          kind: '503',
          persistent: true,
          match: (r) => r.path.startsWith('/secrets/'),
        }),
      {
        code: 'VaultReadFailed',
        message:
          /^Reading Key Vault secret 'defender-client-secret' from https:\/\/127\.0\.0\.1:\d+\/ failed \(HTTP 503\).*Check KEY_VAULT_URI/s,
        newBlobs: 0,
      },
    );
  });

  it('fails with a clear Entra error when the token endpoint stays unavailable, watermark intact', async () => {
    await expectHandled(
      'login down',
      () =>
        world.tenant.faults.inject({
          server: 'login',
          kind: '503',
          persistent: true,
          match: (r) => r.path.endsWith('/oauth2/v2.0/token'),
        }),
      {
        code: 'TokenRequestFailed',
        message:
          /^Entra refused the token request for https:\/\/api\.security\.microsoft\.com\/\.default \(app [0-9a-f-]+ in tenant [0-9a-f-]+\)/,
        newBlobs: 0,
      },
    );
  });

  const storageFaults: [string, StorageFaultRule, { code: string; message: RegExp; newBlobs: number } | 'succeeds'][] =
    [
      [
        'a 500 on the block list commit, once',
        { match: storageRequests.commitBlockList, fault: { kind: 'status', status: 500, code: 'InternalError' } },
        'succeeds',
      ],
      [
        'a 500 on every block list commit',
        {
          match: storageRequests.commitBlockList,
          fault: { kind: 'status', status: 500, code: 'InternalError' },
          persistent: true,
        },
        {
          code: 'BlobCommitFailed',
          message:
            /^Committing export blob incidents\/.*\.json failed: .*InternalError.*No blob was created and the watermark is unchanged/s,
          newBlobs: 0,
        },
      ],
      [
        'a 412 on the block list commit',
        { match: storageRequests.commitBlockList, fault: { kind: 'status', status: 412, code: 'ConditionNotMet' } },
        {
          code: 'BlobCommitFailed',
          message: /ConditionNotMet.*No blob was created and the watermark is unchanged/s,
          newBlobs: 0,
        },
      ],
      [
        'a 409 on the block list commit',
        { match: storageRequests.commitBlockList, fault: { kind: 'status', status: 409, code: 'BlobAlreadyExists' } },
        {
          code: 'BlobAlreadyExists',
          message: /already exists .*nothing was overwritten and the watermark is unchanged/,
          newBlobs: 0,
        },
      ],
      [
        'connection resets on every block upload',
        { match: storageRequests.stageBlock, fault: { kind: 'reset' }, persistent: true },
        {
          code: 'BlobUploadFailed',
          message: /^Uploading to export blob incidents\/.*No blob was created and the watermark is unchanged/s,
          newBlobs: 0,
        },
      ],
      [
        'a spurious 412 on the state write (merged and written again)',
        { match: storageRequests.stateWrite, fault: { kind: 'status', status: 412, code: 'ConditionNotMet' } },
        'succeeds',
      ],
      [
        'a 500 on every state write',
        {
          match: storageRequests.stateWrite,
          fault: { kind: 'status', status: 500, code: 'InternalError' },
          persistent: true,
        },
        {
          code: 'StateWriteFailed',
          message: /^Writing the state blob state\/exporter-state\.json failed: .*The export blob of this run is kept/s,
          newBlobs: 1,
        },
      ],
      [
        'a 412 on every state write',
        {
          match: storageRequests.stateWrite,
          fault: { kind: 'status', status: 412, code: 'ConditionNotMet' },
          persistent: true,
        },
        { code: 'StateConflict', message: /state blob/, newBlobs: 1 },
      ],
    ];
  it.each(storageFaults)(
    'handles %s: clear error or retry, no partial blob, watermark intact, next run recovers',
    async (label, rule, expected) => {
      await expectHandled(label, () => void proxy.inject(rule), expected, runProxied);
    },
  );

  // BUG (reported): revoking tokens also revokes the vault identity's; the SecretClient (built once per process)
  // keeps presenting its cached, revoked token, so every later run of the process fails with VaultAuthenticationFailed
  // until that token expires. The Defender token is renewed once on 401; the vault token should be too.
  it.failing("reads the secret again after the vault identity's token was revoked", async () => {
    world.tenant.incidents.seed(5, { spreadHours: 0.01 });
    world.tenant.revokeTokens();
    const first = await world.run().catch((error: unknown) => error);
    ledger.recordError('vault token revoked', first);
    await expect(world.run()).resolves.toMatchObject({ complete: true });
  });
});
