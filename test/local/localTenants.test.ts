import { join } from 'path';
import { createLogger } from '../../src/common/logger';
import { tenantLayout } from '../../src/export/blobLayout';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';
import {
  MAX_LOCAL_TENANTS,
  parseLocalTenants,
  registerLocalTenants,
  usesSimulatedTenant,
} from '../../src/local/embeddedTenant';
import { startLocalQueuePath } from '../../src/local/localQueuePath';
import { tenantRunnerFor } from '../../src/tenants/tenantRunner';
import { readExports } from '../support/exports';
import { keyOf, missing } from '../support/invariants';
import { startWorld, withoutTenantId, type World } from '../support/world';

describe('LOCAL_TENANTS of npm start', () => {
  it('is a whole number of tenants, or an error naming the setting and the fix', () => {
    expect(parseLocalTenants(undefined)).toBeUndefined();
    expect(parseLocalTenants(' ')).toBeUndefined();
    expect(parseLocalTenants('3')).toBe(3);
    expect(parseLocalTenants(String(MAX_LOCAL_TENANTS))).toBe(MAX_LOCAL_TENANTS);
    for (const bad of ['0', '-2', '1.5', 'three', String(MAX_LOCAL_TENANTS + 1)])
      expect(() => parseLocalTenants(bad)).toThrow(
        /^LOCAL_TENANTS '.+' is not a number of tenants: use a whole number/,
      );
  });
});

describe('whether npm start runs the simulated tenant', () => {
  it(
    'does while no app is configured, and not once DEFENDER_TENANT_ID or DEFENDER_CLIENT_ID is ' +
      '(a registry-only setup has no tenant id)',
    () => {
      expect(usesSimulatedTenant({})).toBe(true);
      expect(usesSimulatedTenant({ DEFENDER_TENANT_ID: ' ', DEFENDER_CLIENT_ID: '' })).toBe(true);
      expect(usesSimulatedTenant({ DEFENDER_TENANT_ID: 'contoso.onmicrosoft.com' })).toBe(false);
      expect(usesSimulatedTenant({ DEFENDER_CLIENT_ID: '66666666-7777-8888-9999-000000000000' })).toBe(false);
    },
  );
});

describe('the local queue path (npm start with LOCAL_TENANTS) on Azurite and the simulated tenants', () => {
  let world: World;
  let queues: AzuriteBlob;
  afterAll(async () => {
    await queues.close();
    await world.close();
  });

  it('registers every simulated tenant, queues one run each per tick and exports them all through the pump', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0, tenants: 3 } });
    for (const tenant of world.tenant.tenants) tenant.incidents.seed(30, { spreadHours: 2 });
    queues = await startAzurite({ queuePort: 0 });
    const lines: string[] = [];
    const logger = createLogger({
      info: (line) => lines.push(line),
      warn: (line) => lines.push(line),
      error: (line) => lines.push(line),
    });
    // As npm start with LOCAL_TENANTS runs it: the registry's tenants only, no DEFENDER_TENANT_ID.
    const registryOnly = withoutTenantId(world);
    const path = await startLocalQueuePath({
      runtime: registryOnly.runtime,
      connectionString: queues.connectionString,
      projectRoot: join(__dirname, '..', '..'),
      logger,
    });
    try {
      // Without a registry the tick queues nothing: the host then runs the single tenant as before.
      expect(await path.tick()).toBe(false);
      await world.deps.ensureContainer();
      await registerLocalTenants(world.deps.stateContainer, world.tenant.tenantIds);
      expect((await tenantRunnerFor(registryOnly.runtime).enabledTenants())?.map((tenant) => tenant.tenantId)).toEqual(
        world.tenant.tenantIds.map((id) => id.toLowerCase()),
      );

      expect(await path.tick()).toBe(true);
      const exported = async (tenantId: string): Promise<string[]> =>
        missing(
          (world.tenant.tenants.find((tenant) => tenant.tenantId === tenantId)?.incidents.all() ?? []).map((incident) =>
            keyOf(incident.id, incident.lastUpdateTime),
          ),
          await readExports(world.container, tenantLayout(tenantId.toLowerCase()).exportPrefix),
        );
      for (const tenantId of world.tenant.tenantIds) {
        while ((await exported(tenantId)).length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await path.stop();
    }

    expect(lines.filter((line) => line.startsWith('tenant ') && line.includes(': exported 30 incidents'))).toHaveLength(
      3,
    );
    expect(lines.filter((line) => line.startsWith('ExportRunSummary '))).toEqual([]);
  });
});
