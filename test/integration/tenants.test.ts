import { ExporterError } from '../../src/common/errors';
import { SINGLE_TENANT_LAYOUT, tenantLayout } from '../../src/export/blobLayout';
import { STATE_BLOB } from '../../src/export/exportState';
import { REGISTRY_BLOB, TenantRegistryStore, type TenantEntry } from '../../src/tenants/registry';
import { StateStore } from '../../src/export/stateStore';
import { ProcessTenantRunner, tenantRunnerFor } from '../../src/tenants/tenantRunner';
import { claimTenant, leaveDeadClaim } from '../support/claims';
import { readExports, listBlobNames } from '../support/exports';
import { currentVersions, duplicates, missing } from '../support/invariants';
import { startWorld, type World } from '../support/world';

/** Writes the registry with these tenants (the way `defender-export tenants add` does). */
async function register(world: World, tenants: readonly TenantEntry[]): Promise<void> {
  await world.deps.ensureContainer();
  await new TenantRegistryStore(world.deps.stateContainer).update(() => ({ schemaVersion: 1, tenants }));
}

const UNKNOWN_TENANT = '0b1e8c3a-7f52-4d7e-9a55-3c9f1d2e4b6a';

describe('registered tenants on one runtime (Azurite + the simulated tenant)', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('without a registry: no tenants, and the single-tenant run keeps today’s names', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(20, { spreadHours: 1 });

    expect(await tenantRunnerFor(world.runtime).enabledTenants()).toBeUndefined();
    const summary = await world.run();

    expect(summary.blobs.every((name) => name.startsWith('incidents/'))).toBe(true);
    expect(await world.container.getBlockBlobClient(STATE_BLOB).exists()).toBe(true);
    expect(await listBlobNames(world.container, 'tenants/')).toEqual([]);
  });

  it(
    'exports a registered tenant under tenants/<id>/ with its id in the blob metadata, state ' +
      "beside it; nothing at today's names",
    async () => {
      world = await startWorld({ tenant: { seedIncidents: 0 } });
      world.tenant.incidents.seed(40, { spreadHours: 2 });
      const tenantId = world.tenant.tenantId.toLowerCase();
      await register(world, [{ tenantId, name: 'Contoso', enabled: true }]);
      const runner = tenantRunnerFor(world.runtime);

      expect(await runner.enabledTenants()).toEqual([{ tenantId, name: 'Contoso', enabled: true }]);
      const outcome = await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });

      expect(outcome.kind).toBe('exported');
      if (outcome.kind !== 'exported') return;
      const layout = tenantLayout(tenantId);
      expect(outcome.summary.incidents).toBe(40);
      expect(outcome.summary.blobs.every((name) => name.startsWith(`tenants/${tenantId}/incidents/`))).toBe(true);
      const exported = await readExports(world.container, layout.exportPrefix);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
      const [blob = ''] = outcome.summary.blobs;
      expect((await world.container.getBlockBlobClient(blob).getProperties()).metadata).toMatchObject({
        tenantid: tenantId,
        kind: 'export',
      });
      expect(await world.container.getBlockBlobClient(layout.stateBlob).exists()).toBe(true);
      expect(await listBlobNames(world.container, SINGLE_TENANT_LAYOUT.exportPrefix)).toEqual([]);
      expect(await world.container.getBlockBlobClient(STATE_BLOB).exists()).toBe(false);
      // The claim ends with the run: the next run is not busy.
      expect((await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger })).kind).toBe('exported');
    },
  );

  it(
    'keeps the state (with its run claim), backfill jobs and registry in EXPORT_STATE_CONTAINER, the exports ' +
      'in EXPORT_CONTAINER',
    async () => {
      world = await startWorld({
        tenant: { seedIncidents: 0 },
        settings: { EXPORT_STATE_CONTAINER: 'exporter-state' },
      });
      world.tenant.incidents.seed(10, { spreadHours: 1 });
      const tenantId = world.tenant.tenantId.toLowerCase();
      await register(world, [{ tenantId, enabled: true }]);

      await tenantRunnerFor(world.runtime).runTenant(tenantId, { trigger: 'test', logger: world.logger });

      const layout = tenantLayout(tenantId);
      const state = world.deps.stateContainer;
      expect(state.containerName).toBe('exporter-state');
      expect(await listBlobNames(state)).toEqual([REGISTRY_BLOB, layout.stateBlob].sort());
      const exportNames = await listBlobNames(world.container);
      expect(exportNames.length).toBeGreaterThan(0);
      expect(exportNames.every((name) => name.startsWith(layout.exportPrefix))).toBe(true);
    },
  );

  it('answers busy after one state read, doing nothing, while another run holds the tenant; runs again once it ends', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(5, { spreadHours: 1 });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [{ tenantId, enabled: true }]);
    const layout = tenantLayout(tenantId);
    const runner = tenantRunnerFor(world.runtime);
    const other = await claimTenant(runner, tenantId, world.logger);
    const requestsBefore = world.tenant.requests.length;

    const outcome = await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });

    expect(outcome).toEqual({ kind: 'busy', tenantId });
    expect(world.tenant.requests.length).toBe(requestsBefore);
    const { state } = await new StateStore(world.deps.stateContainer, layout).read();
    expect(state?.runClaim?.runId).toBe('other-run');
    expect(await listBlobNames(world.container, layout.exportPrefix)).toEqual([]);
    await other.release();
    expect((await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger })).kind).toBe('exported');
    expect((await new StateStore(world.deps.stateContainer, layout).read()).state?.runClaim).toBeUndefined();
  });

  it('lets only one of two concurrent runs of a tenant work (two runners: two processes)', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(30, { spreadHours: 1 });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [{ tenantId, enabled: true }]);
    const first = new ProcessTenantRunner(world.runtime);
    const second = new ProcessTenantRunner(world.runtime);

    const outcomes = await Promise.all([
      first.runTenant(tenantId, { trigger: 'test', logger: world.logger }),
      second.runTenant(tenantId, { trigger: 'test', logger: world.logger }),
    ]);

    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['busy', 'exported']);
    const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(duplicates(exported)).toEqual([]);
  });

  it('refuses an unknown or a disabled tenant with a clear error, and runs nothing', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [{ tenantId, enabled: false }]);
    const runner = tenantRunnerFor(world.runtime);

    expect(await runner.enabledTenants()).toEqual([]);
    await expect(runner.runTenant(tenantId, { trigger: 'test', logger: world.logger })).rejects.toMatchObject({
      code: 'TenantDisabled',
    });
    await expect(runner.runTenant(UNKNOWN_TENANT, { trigger: 'test', logger: world.logger })).rejects.toMatchObject({
      code: 'TenantUnknown',
    });
    expect(world.tenant.requests.filter((request) => request.server === 'defender')).toEqual([]);
  });

  it.each([
    ['not JSON', '{"schemaVersion": 1, "tenants": [', 'TenantRegistryCorrupted'],
    [
      'a tenant id that is neither a GUID nor a domain',
      '{"schemaVersion":1,"tenants":[{"tenantId":"not a tenant","enabled":true}]}',
      'TenantRegistryCorrupted',
    ],
    [
      'a tenant listed twice',
      `{"schemaVersion":1,"tenants":[{"tenantId":"${UNKNOWN_TENANT}` +
        `","enabled":true},{"tenantId":"${UNKNOWN_TENANT.toUpperCase()}","enabled":false}]}`,
      'TenantRegistryCorrupted',
    ],
    ['enabled missing', `{"schemaVersion":1,"tenants":[{"tenantId":"${UNKNOWN_TENANT}"}]}`, 'TenantRegistryCorrupted'],
  ])('fails loudly, skipping no tenant, when the registry holds %s', async (_what, text, code) => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    await world.deps.ensureContainer();
    await world.deps.stateContainer.getBlockBlobClient(REGISTRY_BLOB).upload(text, Buffer.byteLength(text));
    const runner = tenantRunnerFor(world.runtime);

    const failure = await runner.enabledTenants().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ExporterError);
    expect(failure).toMatchObject({ code });
    expect(String((failure as Error).message)).toContain(`${REGISTRY_BLOB} in container '${world.config.container}'`);
    await expect(
      runner.runTenant(world.tenant.tenantId, { trigger: 'test', logger: world.logger }),
    ).rejects.toMatchObject({ code });
  });

  it('reads the secret once per tick and reuses the tenant’s token across runs; a new tick reads the vault again', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(5, { spreadHours: 1 });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [{ tenantId, enabled: true }]);
    const runner = new ProcessTenantRunner(world.runtime);
    const vaultReads = (): number =>
      world.tenant.requests.filter((r) => r.server === 'vault' && r.method === 'GET' && r.status === 200).length;
    const tokenRequests = (): number =>
      world.tenant.requests.filter((r) => r.server === 'login' && r.path.endsWith('/oauth2/v2.0/token')).length;

    runner.beginTick();
    await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });
    const [vaultAfterFirst, tokensAfterFirst] = [vaultReads(), tokenRequests()];
    await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });

    expect(vaultAfterFirst).toBe(1);
    expect(vaultReads()).toBe(1);
    expect(tokenRequests()).toBe(tokensAfterFirst);
    runner.beginTick();
    await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });
    expect(vaultReads()).toBe(2);
    // The secret did not change: the tenant's cached token is still reused.
    expect(tokenRequests()).toBe(tokensAfterFirst);
  });

  it(
    'keeps the tenant’s Defender token across ticks in auto mode, although the daily Graph ' +
      'check asks for a Graph token',
    async () => {
      world = await startWorld({ tenant: { seedIncidents: 0 }, settings: { INCIDENTS_API: 'auto' } });
      world.tenant.incidents.seed(3, { spreadHours: 1 });
      const tenantId = world.tenant.tenantId.toLowerCase();
      await register(world, [{ tenantId, enabled: true }]);
      const runner = new ProcessTenantRunner(world.runtime);
      const tokenRequests = (): number =>
        world.tenant.requests.filter((r) => r.server === 'login' && r.path.endsWith('/oauth2/v2.0/token')).length;
      const graphCalls = (): number => world.tenant.requests.filter((r) => r.server === 'graph').length;

      runner.beginTick();
      await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });
      const [tokensAfterFirst, graphAfterFirst] = [tokenRequests(), graphCalls()];
      runner.beginTick();
      await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });

      expect(graphAfterFirst).toBeGreaterThan(0); // the first run checked Graph's readiness
      expect(graphCalls()).toBe(graphAfterFirst); // once a day
      expect(tokenRequests()).toBe(tokensAfterFirst);
    },
  );

  it('reads the registry once per tick for its runs; outside a tick (a CLI command) each run reads it', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(3, { spreadHours: 1 });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [{ tenantId, enabled: true }]);
    const runner = new ProcessTenantRunner(world.runtime);
    const run = (): Promise<unknown> => runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });
    const breakRegistry = (): Promise<unknown> =>
      world.deps.stateContainer.getBlockBlobClient(REGISTRY_BLOB).upload('{', 1);

    runner.beginTick();
    await run();
    await breakRegistry();
    // The tick's runs use the registry its first run read (the registry the fan-out of that tick saw).
    await expect(run()).resolves.toMatchObject({ kind: 'exported' });
    runner.beginTick();
    await expect(run()).rejects.toMatchObject({ code: 'TenantRegistryCorrupted' });
    const fixed = JSON.stringify({ schemaVersion: 1, tenants: [{ tenantId, enabled: true }] });
    await world.deps.stateContainer.getBlockBlobClient(REGISTRY_BLOB).upload(fixed, Buffer.byteLength(fixed));
    const command = new ProcessTenantRunner(world.runtime);
    await command.runTenant(tenantId, { trigger: 'test', logger: world.logger });
    await breakRegistry();
    await expect(command.runTenant(tenantId, { trigger: 'test', logger: world.logger })).rejects.toMatchObject({
      code: 'TenantRegistryCorrupted',
    });
  });

  it('a tenant that cannot sign in fails alone: the other tenant of the same run still exports', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(25, { spreadHours: 1 });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [
      { tenantId: UNKNOWN_TENANT, name: 'Consent revoked', enabled: true },
      { tenantId, enabled: true },
    ]);
    const runner = tenantRunnerFor(world.runtime);
    runner.beginTick();

    const tenants = (await runner.enabledTenants()) ?? [];
    const outcomes = await Promise.allSettled(
      tenants.map((tenant) => runner.runTenant(tenant.tenantId, { trigger: 'test', logger: world.logger })),
    );

    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { name: 'AuthError' } });
    expect(outcomes[0]?.status === 'rejected' && String(outcomes[0].reason)).toContain(`in tenant ${UNKNOWN_TENANT}`);
    expect(outcomes[1]).toMatchObject({ status: 'fulfilled', value: { kind: 'exported' } });
    const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(await listBlobNames(world.container, tenantLayout(UNKNOWN_TENANT).exportPrefix)).toEqual([]);
    // The failed tenant's state records its failure, its watermark untouched by the other's run.
    const failedState = await world.deps.stateContainer
      .getBlockBlobClient(tenantLayout(UNKNOWN_TENANT).stateBlob)
      .downloadToBuffer();
    expect(JSON.parse(failedState.toString('utf8'))).toMatchObject({ lastError: { code: 'TokenRequestFailed' } });
  });

  it('gets the tenant back by itself after a crashed run: its claim lapses (judged in service time)', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(5, { spreadHours: 1 });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [{ tenantId, enabled: true }]);
    const runner = new ProcessTenantRunner(world.runtime, { claim: { claimMs: 2000 } });
    await leaveDeadClaim(runner, tenantId);

    expect((await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger })).kind).toBe('busy');
    // Last-Modified and Date have whole seconds: the claim counts as live up to a second longer.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect((await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger })).kind).toBe('exported');
    const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
  }, 60_000);

  it('stops a run whose claim was lost (taken over after it lapsed), so two runs of a tenant never go on together', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    const tenantId = world.tenant.tenantId.toLowerCase();
    await register(world, [{ tenantId, enabled: true }]);
    const runner = new ProcessTenantRunner(world.runtime);
    const holder = await claimTenant(runner, tenantId, world.logger, { renewEveryMs: 20 });
    expect(holder.claimSignal.aborted).toBe(false);

    // Another run claims the state (as after a lapse): the holder's next renewal finds the claim is not its own.
    await leaveDeadClaim(runner, tenantId);
    for (let waited = 0; !holder.claimSignal.aborted && waited < 20_000; waited += 25)
      await new Promise((resolve) => setTimeout(resolve, 25));

    expect(holder.claimSignal.aborted).toBe(true);
    expect(holder.claimSignal.reason).toMatchObject({ code: 'TenantClaimLost' });
    expect(String(holder.claimSignal.reason)).toMatch(/run dead-run \(test\) claimed the tenant/);
    expect(holder.holdsClaim).toBe(false);
    await holder.release();
    // The other run's claim stays.
    const { state } = await new StateStore(world.deps.stateContainer, tenantLayout(tenantId)).read();
    expect(state?.runClaim?.runId).toBe('dead-run');
  });
});
