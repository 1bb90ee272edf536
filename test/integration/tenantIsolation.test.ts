import { systemClock, type Clock } from '../../src/common/clock';
import { tenantLayout } from '../../src/export/blobLayout';
import type { TenantHandle } from '../../src/local/simulator';
import { TenantRegistryStore, type TenantEntry } from '../../src/tenants/registry';
import { ProcessTenantRunner } from '../../src/tenants/tenantRunner';
import { listBlobNames, readExports, type ExportedVersion } from '../support/exports';
import { duplicates, keyOf, missing } from '../support/invariants';
import { LeakLedger } from '../support/leakLedger';
import { startWorld, type World } from '../support/world';

/** The current version of every incident of one simulated Entra tenant. */
function versionsOf(handle: TenantHandle): string[] {
  return handle.incidents.all().map((incident) => keyOf(incident.id, incident.lastUpdateTime));
}

/** Exported versions that carry another tenant's marker (or none): an incident that crossed tenants. */
function foreign(exported: readonly ExportedVersion[], tenantId: string): string[] {
  return exported
    .filter((version) => (version.json as { tenantMarker?: unknown }).tenantMarker !== tenantId)
    .map((version) => `${version.blob}: ${version.id}`);
}

/** Seeds `count` incidents (ids 1..count in every tenant: they overlap) each marked with its tenant. */
function seedMarked(handle: TenantHandle, count: number): void {
  for (const incident of handle.incidents.seed(count, { spreadHours: 2 }))
    handle.incidents.setRaw(incident.id, { tenantMarker: handle.tenantId });
}

async function register(world: World, tenants: readonly TenantEntry[]): Promise<void> {
  await world.deps.ensureContainer();
  await new TenantRegistryStore(world.deps.stateContainer).update(() => ({ schemaVersion: 1, tenants }));
}

describe('tenants side by side in one process (Azurite + one simulator serving several Entra tenants)', () => {
  let world: World;
  const ledger = new LeakLedger();
  afterEach(async () => {
    ledger.record('logs', world.logLines.join('\n'));
    await ledger.recordBlobs('exports', world.container);
    const { findings } = ledger.findLeaks(world.tenant);
    await world.close();
    expect(findings).toEqual([]);
  });

  it(
    'exports 3 tenants concurrently with overlapping incident ids: each only its own, under ' +
      'its own prefix; failing tenants fail alone',
    async () => {
      world = await startWorld({ tenant: { seedIncidents: 0, tenants: 3 } });
      const sim = world.tenant;
      const good = sim.tenants;
      for (const handle of good) seedMarked(handle, 120);
      // Three tenants that cannot be exported, each for another reason.
      const revoked = sim.addTenant({ seedIncidents: 0 });
      seedMarked(revoked, 10);
      sim.revokeConsent(sim.exporterApp.clientId, revoked.tenantId);
      const forbidden = sim.addTenant({ seedIncidents: 0 });
      seedMarked(forbidden, 10);
      forbidden.faults.inject({ server: 'defender', kind: 'status', status: 403, code: 'Forbidden', persistent: true });
      const wrongSecret = sim.addTenant({ seedIncidents: 0 });
      seedMarked(wrongSecret, 10);
      sim.setSecret('wrong-secret', 'Abc8Q~wrongwrongwrongwrongwrongwrongwr');
      ledger.addSecret('Abc8Q~wrongwrongwrongwrongwrongwrongwr');
      await register(world, [
        ...good.map((handle) => ({ tenantId: handle.tenantId, enabled: true })),
        { tenantId: revoked.tenantId, name: 'consent revoked', enabled: true },
        { tenantId: forbidden.tenantId, name: 'forbidden', enabled: true },
        { tenantId: wrongSecret.tenantId, name: 'wrong secret', secretName: 'wrong-secret', enabled: true },
      ]);
      const runner = new ProcessTenantRunner(world.runtime);
      runner.beginTick();

      const tenants = (await runner.enabledTenants()) ?? [];
      const outcomes = await Promise.allSettled(
        tenants.map((tenant) => runner.runTenant(tenant.tenantId, { trigger: 'test', logger: world.logger })),
      );
      for (const outcome of outcomes) if (outcome.status === 'rejected') ledger.recordError('run', outcome.reason);

      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
      ]);
      expect(
        outcomes.slice(3).map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as unknown) : undefined)),
      ).toEqual([
        expect.objectContaining({ name: 'AuthError', message: expect.stringContaining(revoked.tenantId) as unknown }),
        expect.objectContaining({ name: 'ApiError', statusCode: 403 }),
        expect.objectContaining({ code: 'AADSTS7000215' }),
      ]);
      for (const handle of good) {
        const exported = await readExports(world.container, tenantLayout(handle.tenantId).exportPrefix);
        expect(missing(versionsOf(handle), exported)).toEqual([]);
        expect(duplicates(exported)).toEqual([]);
        expect(foreign(exported, handle.tenantId)).toEqual([]);
        expect(exported).toHaveLength(120);
      }
      for (const handle of [revoked, forbidden, wrongSecret])
        expect(await listBlobNames(world.container, tenantLayout(handle.tenantId).exportPrefix)).toEqual([]);
      // Every list call carried a token of a tenant the registry names, and none of the wrong secret's tenant.
      const listCalls = sim.requests.filter((request) => request.server === 'defender');
      const callers = new Set(listCalls.map((request) => request.tenantId));
      expect([...callers].sort()).toEqual([...good.map((handle) => handle.tenantId), forbidden.tenantId].sort());
    },
  );

  it('keeps each tenant to its own quota: three tenants at a pace of 2 calls a minute never wait on each other', async () => {
    const slept: number[] = [];
    const clock: Clock = {
      now: () => systemClock.now(),
      sleep: (ms, signal) => {
        slept.push(ms);
        return systemClock.sleep(ms, signal);
      },
    };
    world = await startWorld({
      tenant: { seedIncidents: 0, tenants: 3 },
      build: { clock, rateLimits: [{ windowMs: 60_000, maxCalls: 2 }] },
    });
    for (const handle of world.tenant.tenants) seedMarked(handle, 40);
    await register(
      world,
      world.tenant.tenants.map((handle) => ({ tenantId: handle.tenantId, enabled: true })),
    );
    const runner = new ProcessTenantRunner(world.runtime);

    // One list call each: with one shared quota the third tenant would wait about a minute.
    const outcomes = await Promise.all(
      world.tenant.tenants.map((handle) =>
        runner.runTenant(handle.tenantId, { trigger: 'test', logger: world.logger }),
      ),
    );

    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['exported', 'exported', 'exported']);
    expect(slept).toEqual([]);
  });

  it('runs the same tenant twice at once in one process only once (lease), while other tenants run', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0, tenants: 3 } });
    for (const handle of world.tenant.tenants) seedMarked(handle, 30);
    await register(
      world,
      world.tenant.tenants.map((handle) => ({ tenantId: handle.tenantId, enabled: true })),
    );
    const runner = new ProcessTenantRunner(world.runtime);
    const [first, second, third] = world.tenant.tenants as [TenantHandle, TenantHandle, TenantHandle];

    const outcomes = await Promise.all(
      [first, first, second, third].map((handle) =>
        runner.runTenant(handle.tenantId, { trigger: 'test', logger: world.logger }),
      ),
    );

    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['busy', 'exported', 'exported', 'exported']);
    for (const handle of [first, second, third]) {
      const exported = await readExports(world.container, tenantLayout(handle.tenantId).exportPrefix);
      expect(missing(versionsOf(handle), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
      expect(foreign(exported, handle.tenantId)).toEqual([]);
    }
  });
});
