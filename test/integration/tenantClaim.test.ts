import { fromDate, minusMs, type Timestamp } from '../../src/common/timestamp';
import { exporterStatus } from '../../src/cli/tenantStatus';
import { tenantLayout } from '../../src/export/blobLayout';
import { startBackfill } from '../../src/export/runBackfill';
import { StateStore } from '../../src/export/stateStore';
import { TenantRegistryStore } from '../../src/tenants/registry';
import { ProcessTenantRunner } from '../../src/tenants/tenantRunner';
import { claimTenant, leaveDeadClaim } from '../support/claims';
import { readExports } from '../support/exports';
import { FaultyStorageProxy, type StorageRequest } from '../support/faultyStorageProxy';
import { currentVersions, missing } from '../support/invariants';
import { reconfigureWorld, startWorld, type World } from '../support/world';

const hoursAgo = (hours: number): Timestamp => minusMs(fromDate(new Date()), hours * 3_600_000);

/** A registered tenant's runs with every storage request through a counting proxy in front of Azurite. */
describe("a registered tenant's run claim and backfill counters (Azurite through a proxy + the simulated tenant)", () => {
  let world: World;
  let proxy: FaultyStorageProxy;
  let tenantId: string;
  let runner: ProcessTenantRunner;
  /** The tenant's exporter straight on Azurite (not through the proxy): another process's requests. */
  let direct: ProcessTenantRunner;

  beforeEach(async () => {
    const started = await startWorld({ tenant: { seedIncidents: 0 } });
    proxy = await FaultyStorageProxy.start(started.azurite.connectionString);
    world = reconfigureWorld(started, { EXPORT_STORAGE: proxy.connectionString });
    world.tenant.incidents.seed(30, { spreadHours: 3 });
    tenantId = world.tenant.tenantId.toLowerCase();
    await started.deps.ensureContainer();
    await new TenantRegistryStore(started.deps.stateContainer).update(() => ({
      schemaVersion: 1,
      tenants: [{ tenantId, enabled: true }],
    }));
    runner = new ProcessTenantRunner(world.runtime);
    direct = new ProcessTenantRunner(started.runtime);
  });
  afterEach(async () => {
    await proxy.close();
    await world.close();
  });

  const run = async () => {
    runner.beginTick();
    const outcome = await runner.runTenant(tenantId, { trigger: 'test', logger: world.logger });
    if (outcome.kind !== 'exported') throw new Error(`expected an export, got ${outcome.kind}`);
    return outcome;
  };
  const tenantRequests = (): string[] =>
    proxy.requests
      .filter((request) => label(request).includes(`tenants/${tenantId}/`))
      .map((request) => label(request));
  const label = (request: StorageRequest): string => {
    const prefix = request.query.get('prefix');
    const blob = request.path.split('/').slice(3).join('/');
    return request.query.get('comp') === 'list' ? `LIST ${prefix ?? ''}` : `${request.method} ${blob}`;
  };

  it('costs a quiet tick three storage requests: the state read, the claim, and the last write that ends it', async () => {
    await run();
    proxy.requests.length = 0;

    const quiet = await run();

    expect(quiet.summary.incidents).toBe(0);
    const state = `tenants/${tenantId}/state/exporter-state.json`;
    expect(tenantRequests()).toEqual([`GET ${state}`, `PUT ${state}`, `PUT ${state}`]);
    const { state: after } = await new StateStore(world.deps.stateContainer, tenantLayout(tenantId)).read();
    expect(after?.runClaim).toBeUndefined();
    expect(after?.lastSuccess?.runId).toBe(quiet.summary.runId);
  });

  it('continues a backfill started for the tenant in its next run, then lists the jobs no more', async () => {
    await run();
    const { deps } = await direct.exporterOf(tenantId);
    const job = await startBackfill(deps, hoursAgo(6), hoursAgo(0), 'test');
    proxy.requests.length = 0;

    const withBackfill = await run();

    expect(withBackfill.backfills.map((result) => [result.job.id, result.job.status])).toEqual([[job.id, 'complete']]);
    expect(tenantRequests()).toContain(`LIST tenants/${tenantId}/state/backfill/`);
    const backfilled = await readExports(world.container, tenantLayout(tenantId).backfillPrefix);
    expect(missing(currentVersions(world.tenant), backfilled)).toEqual([]);
    proxy.requests.length = 0;

    const quiet = await run();

    expect(quiet.backfills).toEqual([]);
    expect(tenantRequests().filter((request) => request.startsWith('LIST'))).toEqual([]);
  });

  it('loses no backfill started while a run lists the jobs: the count it did not see makes the next run list them', async () => {
    await run();
    const { deps } = await direct.exporterOf(tenantId);
    const first = await startBackfill(deps, hoursAgo(6), hoursAgo(3), 'test');
    let second: string | undefined;
    const listed = proxy.inject({
      match: (request) =>
        request.query.get('comp') === 'list' && (request.query.get('prefix') ?? '').includes('backfill'),
      // The listing is answered as Azurite saw it, before the new job; the job and its count land before the reply.
      fault: {
        kind: 'beforeReply',
        action: async () => {
          second = (await startBackfill(deps, hoursAgo(3), hoursAgo(0), 'test')).id;
        },
      },
    });

    const racing = await run();
    await listed;

    expect(racing.backfills.map((result) => result.job.id)).toEqual([first.id]);
    const { state } = await new StateStore(world.deps.stateContainer, tenantLayout(tenantId)).read();
    expect(state?.backfillRequests).toBeGreaterThan(state?.backfillSeen ?? 0);

    const next = await run();

    expect(next.backfills.map((result) => [result.job.id, result.job.status])).toEqual([[second, 'complete']]);
    const backfilled = await readExports(world.container, tenantLayout(tenantId).backfillPrefix);
    expect(missing(currentVersions(world.tenant), backfilled)).toEqual([]);
  });

  it('keeps its claim through a run longer than the claim time: another run stays busy until it ends', async () => {
    await run();
    const lively = new ProcessTenantRunner(world.runtime, { claim: { claimMs: 2000, renewEveryMs: 300 } });
    const other = new ProcessTenantRunner(world.runtime, { claim: { claimMs: 2000 } });
    world.tenant.incidents.seed(5, { spreadHours: 0.1 });
    world.tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: 6000 });

    lively.beginTick();
    const long = lively.runTenant(tenantId, { trigger: 'test', logger: world.logger });
    // Well past the claim time (plus its second of granularity) while the first run waits on the slow page.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    other.beginTick();
    const meanwhile = await other.runTenant(tenantId, { trigger: 'test', logger: world.logger });

    expect(meanwhile.kind).toBe('busy');
    expect((await long).kind).toBe('exported');
    const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
  }, 60_000);

  it('stops a run whose claim was taken during its pull: it fails, and never writes over the new claim', async () => {
    await run();
    const watched = new ProcessTenantRunner(world.runtime, { claim: { claimMs: 2000, renewEveryMs: 200 } });
    world.tenant.incidents.seed(250, { spreadHours: 0.1 });
    // Every page is slow: the run has read one page (a part it would commit after a failure) when the loss comes.
    world.tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: 1500, persistent: true });

    watched.beginTick();
    const running = watched.runTenant(tenantId, { trigger: 'test', logger: world.logger });
    const failure = running.then(
      () => undefined,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 2200));
    // Another run takes the tenant over while this one waits on its second page.
    await leaveDeadClaim(direct, tenantId);

    expect(await failure).toMatchObject({ code: 'TenantClaimLost' });
    const { state } = await new StateStore(world.deps.stateContainer, tenantLayout(tenantId)).read();
    expect(state?.runClaim?.claimId).toBe('dead-claim');
    expect(state?.lastError?.code).toBe('TenantClaimLost');
    world.tenant.faults.clear();
  }, 60_000);

  it('stops a run whose state was reset under it, keeping the reset watermark', async () => {
    await run();
    const watched = new ProcessTenantRunner(world.runtime, { claim: { renewEveryMs: 200 } });
    world.tenant.incidents.seed(5, { spreadHours: 0.1 });
    world.tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: 4000 });
    const store = new StateStore(world.deps.stateContainer, tenantLayout(tenantId));
    const resetTo = fromDate(new Date(Date.now() - 6 * 3_600_000));

    watched.beginTick();
    const failure = watched.runTenant(tenantId, { trigger: 'test', logger: world.logger }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 800));
    // What `defender-export state reset --watermark` writes: a new state, without any claim.
    await store.overwrite({
      schemaVersion: 1,
      watermark: resetTo,
      exported: {},
      source: 'defender',
      updatedAt: new Date().toISOString(),
    });

    expect(await failure).toMatchObject({ code: 'TenantClaimLost' });
    expect(String(await failure)).toMatch(/replaced without it, e\.g\. by state reset/);
    const { state } = await store.read();
    expect(state?.watermark).toBe(resetTo);
    expect(state?.runClaim).toBeUndefined();
  }, 60_000);

  it('counts a backfill request without reviving a crashed run’s lapsed claim, keeping a live one', async () => {
    await run();
    const store = new StateStore(world.deps.stateContainer, tenantLayout(tenantId));
    await leaveDeadClaim(direct, tenantId);

    await store.countBackfillRequest(2000);
    expect((await store.read()).state?.runClaim?.claimId).toBe('dead-claim');
    // Last-Modified and Date have whole seconds: past the claim time plus that second.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    await store.countBackfillRequest(2000);

    const { state } = await store.read();
    expect(state?.runClaim).toBeUndefined();
    expect(state?.backfillRequests).toBe(2);
  }, 60_000);

  it('shows the tenant running in status while a run holds its claim, and not once it ended', async () => {
    await run();
    const other = await claimTenant(direct, tenantId, world.logger);
    const containers = { exports: world.deps.container, state: world.deps.stateContainer };
    const status = () =>
      exporterStatus(containers, tenantLayout(tenantId), new Date(), 60, () => Promise.resolve(undefined));

    expect((await status()).runningNow).toBe(true);
    await other.release();
    expect((await status()).runningNow).toBe(false);
  });
});
