import { EXIT } from '../../src/common/exitCodes';
import { tenantLayout } from '../../src/export/blobLayout';
import { REGISTRY_BLOB } from '../../src/tenants/registry';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, duplicates, missing } from '../support/invariants';
import { reconfigureWorld, startWorld, type World } from '../support/world';
import { runWorldCli } from '../support/worldCli';

const OTHER = '0b1e8c3a-7f52-4d7e-9a55-3c9f1d2e4b6a';
const APP = 'c7a4e2f0-1b3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('defender-export tenants (the registry)', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
  });
  afterEach(async () => {
    await world.close();
  });

  it('adds, lists, disables, enables and removes tenants; the registry is the blob config/tenants.json', async () => {
    expect((await runWorldCli(world, ['tenants', 'list'])).stdout).toMatch(
      /^No tenant registry \(config\/tenants\.json in container '.*'\): the exporter runs for DEFENDER_TENANT_ID \(.*\) alone/,
    );
    const added = await runWorldCli(world, [
      'tenants',
      'add',
      OTHER.toUpperCase(),
      '--name',
      'Fabrikam',
      '--client-id',
      APP,
      '--secret-name',
      'fabrikam-secret',
      '--api',
      'graph',
    ]);
    expect(added).toMatchObject({ exitCode: EXIT.ok, lines: [`added tenant ${OTHER} (Fabrikam).`] });
    await runWorldCli(world, ['tenants', 'add', 'contoso.onmicrosoft.com', '--disabled']);

    const listed = await runWorldCli(world, ['tenants', 'list']);
    expect(listed.lines).toEqual([
      expect.stringMatching(/^TENANT\s+NAME\s+ENABLED\s+API\s+CLIENT ID\s+SECRET$/),
      expect.stringMatching(new RegExp(`^${OTHER}\\s+Fabrikam\\s+yes\\s+graph\\s+${APP}\\s+fabrikam-secret$`)),
      expect.stringMatching(/^contoso\.onmicrosoft\.com\s+-\s+no\s+default\s+default\s+default$/),
      '2 tenants, 1 enabled',
    ]);
    await runWorldCli(world, ['tenants', 'enable', 'CONTOSO.onmicrosoft.com']);
    await runWorldCli(world, ['tenants', 'disable', OTHER]);
    const json = JSON.parse((await runWorldCli(world, ['tenants', 'list', '--json'])).stdout) as unknown;
    expect(json).toEqual([
      {
        tenantId: OTHER,
        name: 'Fabrikam',
        enabled: false,
        clientId: APP,
        secretName: 'fabrikam-secret',
        incidentsApi: 'graph',
      },
      {
        tenantId: 'contoso.onmicrosoft.com',
        name: null,
        enabled: true,
        clientId: null,
        secretName: null,
        incidentsApi: null,
      },
    ]);
    const removed = await runWorldCli(world, ['tenants', 'remove', OTHER]);
    expect(removed.lines).toEqual([`removed tenant ${OTHER}; its blobs and state under tenants/${OTHER}/ are kept.`]);
    const stored = await world.deps.stateContainer.getBlockBlobClient(REGISTRY_BLOB).downloadToBuffer();
    expect(JSON.parse(stored.toString('utf8'))).toEqual({
      schemaVersion: 1,
      tenants: [{ tenantId: 'contoso.onmicrosoft.com', enabled: true }],
    });
  });

  it.each([
    [['tenants', 'add', 'not-a-tenant'], /^error: tenant id 'not-a-tenant' is neither a GUID nor a domain/],
    [['tenants', 'add', OTHER, '--client-id', 'app'], /^error: client id 'app' is not a GUID/],
    [['tenants', 'add', OTHER, '--api', 'splunk'], /^error: incidents API 'splunk' is not defender or graph\.$/m],
    [
      ['tenants', 'add', OTHER, '--secret-name', 'a_b'],
      /^error: secret name 'a_b' is not a valid Key Vault secret name/,
    ],
    [['tenants', 'remove', OTHER], new RegExp(`^error: Tenant ${OTHER} is not in the tenant registry`)],
    [['tenants', 'enable', 'x'], /^error: tenant id 'x' is neither a GUID nor a domain/],
    [['run', '--tenant', OTHER], /^error: --tenant .* there is no tenant registry yet/],
    [['status', '--tenant', 'nope'], /^error: option '--tenant <id>' argument 'nope' is invalid/],
  ])('refuses %j with one clear line and exit 2', async (args, message) => {
    const result = await runWorldCli(world, args);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('see '))).toHaveLength(1);
  });

  it('refuses a duplicate, whatever its case, with exit 2', async () => {
    await runWorldCli(world, ['tenants', 'add', OTHER]);

    const result = await runWorldCli(world, ['tenants', 'add', OTHER.toUpperCase()]);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toBe(`error: Tenant ${OTHER} is already registered: see 'defender-export tenants list'.\n`);
  });
});

describe('defender-export run, status, list, show and backfill with a registry', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
  });
  afterEach(async () => {
    await world.close();
  });

  it('runs every enabled tenant, one line each and a total; exits 1 when one failed, the others exported', async () => {
    const tenantId = world.tenant.tenantId.toLowerCase();
    world.tenant.incidents.seed(30, { spreadHours: 1 });
    await runWorldCli(world, ['tenants', 'add', OTHER, '--name', 'Consent revoked']);
    await runWorldCli(world, ['tenants', 'add', tenantId, '--name', 'Contoso']);
    await runWorldCli(world, ['tenants', 'add', 'disabled.example.com', '--disabled']);

    const result = await runWorldCli(world, ['run', '--concurrency', '2']);

    expect(result.exitCode).toBe(EXIT.failed);
    expect(result.lines).toEqual([
      expect.stringMatching(
        new RegExp(`^tenant ${OTHER} \\(Consent revoked\\): FAILED TokenRequestFailed: Entra refused`),
      ),
      expect.stringMatching(
        new RegExp(
          `^tenant ${tenantId} \\(Contoso\\): exported 30 incidents to 1 blob \\(tenants/${tenantId}/incidents/`,
        ),
      ),
      'total: 2 tenants: 1 exported (30 incidents, 1 blob), 0 busy, 1 failed',
    ]);
    const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);

    const status = await runWorldCli(world, ['status']);
    expect(status.exitCode).toBe(EXIT.unhealthy);
    expect(status.lines[0]).toBe('status: UNHEALTHY (3 tenants, 1 unhealthy; max age 60 min)');
    expect(status.stdout).toMatch(new RegExp(`^  - ${OTHER}: the last run failed at .* \\(TokenRequestFailed\\)`, 'm'));
    expect(status.stdout).toMatch(/^TENANT\s+NAME\s+STATUS\s+LAG\s+LAST SUCCESS\s+LAST ERROR\s+RUNNING$/m);
    expect(status.stdout).toMatch(new RegExp(`^${tenantId}\\s+Contoso\\s+healthy\\s+.*\\s+no$`, 'm'));
    expect(status.stdout).toMatch(/^disabled\.example\.com\s+-\s+disabled\s+-\s+never\s+-\s+no$/m);
    const json = JSON.parse((await runWorldCli(world, ['status', '--json'])).stdout) as {
      healthy: boolean;
      tenants: { tenantId: string; healthy: boolean; runningNow: boolean; watermark: string | null }[];
    };
    expect(json.healthy).toBe(false);
    expect(json.tenants.map(({ tenantId: id, healthy, runningNow }) => ({ id, healthy, runningNow }))).toEqual([
      { id: OTHER, healthy: false, runningNow: false },
      { id: tenantId, healthy: true, runningNow: false },
      { id: 'disabled.example.com', healthy: true, runningNow: false },
    ]);
    const one = await runWorldCli(world, ['status', '--tenant', tenantId]);
    expect(one.exitCode).toBe(EXIT.ok);
    expect(one.lines.slice(0, 2)).toEqual([`tenant:        ${tenantId} (Contoso)`, 'status: healthy']);
  });

  it('runs one tenant with --tenant; list, show latest and backfill take --tenant too', async () => {
    const tenantId = world.tenant.tenantId.toLowerCase();
    const start = new Date(Date.now() - 3 * 3_600_000).toISOString();
    world.tenant.incidents.seed(12, { spreadHours: 1 });
    await runWorldCli(world, ['tenants', 'add', tenantId]);
    await runWorldCli(world, ['tenants', 'add', OTHER]);

    const run = await runWorldCli(world, ['run', '--tenant', tenantId]);
    expect(run.exitCode).toBe(EXIT.ok);
    expect(run.lines).toEqual([expect.stringMatching(new RegExp(`^tenant ${tenantId}: exported 12 incidents`))]);

    const listed = JSON.parse((await runWorldCli(world, ['list', '--json', '--tenant', tenantId])).stdout) as {
      name: string;
      tenantId: string;
    }[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ tenantId });
    expect((await runWorldCli(world, ['list', '--json', '--tenant', OTHER])).stdout).toBe('[]');
    const ambiguous = await runWorldCli(world, ['show', 'latest']);
    expect(ambiguous.exitCode).toBe(EXIT.usage);
    expect(ambiguous.stderr).toMatch(/^error: A tenant registry exists \(tenants: .*\): give --tenant <id>\./);
    const shown = await runWorldCli(world, ['show', 'latest', '--ndjson', '--tenant', tenantId]);
    expect(shown.lines).toHaveLength(12);

    const backfill = await runWorldCli(world, ['backfill', '--from', start, '--tenant', tenantId]);
    expect(backfill.exitCode).toBe(EXIT.ok);
    const backfills = await listBlobNames(world.container, tenantLayout(tenantId).backfillPrefix);
    expect(backfills).toHaveLength(1);
    const [backfillBlob = ''] = backfills;
    expect((await world.container.getBlockBlobClient(backfillBlob).getProperties()).metadata).toMatchObject({
      kind: 'backfill',
      tenantid: tenantId,
    });
    expect(await listBlobNames(world.deps.stateContainer, tenantLayout(tenantId).backfillJobPrefix)).toHaveLength(1);
  });
});

describe('moving an existing deployment', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
  });
  afterEach(async () => {
    await world.close();
  });

  /** Every current version exported exactly once, across today's names and the tenant's. */
  async function expectEachVersionOnce(prefixes: readonly string[]): Promise<void> {
    const exported = (await Promise.all(prefixes.map((prefix) => readExports(world.container, prefix)))).flat();
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(duplicates(exported)).toEqual([]);
  }

  it("to the registry: 'tenants add <DEFENDER_TENANT_ID>' adopts its state, so nothing is lost or exported twice", async () => {
    world.tenant.incidents.seed(40, { spreadHours: 2 });
    await world.run();
    world.tenant.incidents.seed(15, { spreadHours: 0.1 });
    const watermark = JSON.parse(
      (await world.container.getBlockBlobClient('state/exporter-state.json').downloadToBuffer()).toString('utf8'),
    ) as { watermark: string };

    const added = await runWorldCli(world, ['tenants', 'add', world.tenant.tenantId, '--name', 'Contoso']);
    expect(added.lines).toEqual([
      `added tenant ${world.tenant.tenantId.toLowerCase()} (Contoso).`,
      `adopted the single-tenant exporter's state: tenant ${world.tenant.tenantId.toLowerCase()}` +
        ` continues from watermark ${watermark.watermark} (nothing is exported twice or skipped).`,
    ]);
    const run = await runWorldCli(world, ['run']);

    expect(run.exitCode).toBe(EXIT.ok);
    expect(run.lines[0]).toMatch(/: exported 15 incidents to 1 blob/);
    await expectEachVersionOnce(['incidents/', tenantLayout(world.tenant.tenantId.toLowerCase()).exportPrefix]);
  });

  it("to the registry with another tenant first: the note says how to keep today's tenant going (--adopt)", async () => {
    world.tenant.incidents.seed(5, { spreadHours: 1 });
    await world.run();

    const added = await runWorldCli(world, ['tenants', 'add', OTHER]);

    expect(added.exitCode).toBe(EXIT.ok);
    expect(added.stderr).toMatch(
      /^note: with a registry, only registered tenants are exported; the single-tenant exporter's state \(watermark .*\) is no longer used\. If its tenant should go on, add it with 'defender-export tenants add <its id> --adopt'\./,
    );
  });

  it("to a separate state container: 'state move --to' then EXPORT_STATE_CONTAINER, nothing lost or exported twice", async () => {
    world.tenant.incidents.seed(30, { spreadHours: 2 });
    await world.run();
    world.tenant.incidents.seed(10, { spreadHours: 0.1 });

    const moved = await runWorldCli(world, ['state', 'move', '--to', 'exporter-state']);
    expect(moved.exitCode).toBe(EXIT.ok);
    expect(moved.lines[0]).toMatch(
      /^state move: copied 1 blob \(1 state\) from '.*' to 'exporter-state'\. Now set EXPORT_STATE_CONTAINER=exporter-state/,
    );
    const again = await runWorldCli(world, ['state', 'move', '--to', 'exporter-state']);
    expect(again.exitCode).toBe(EXIT.ok);
    const movedWorld = reconfigureWorld(world, { EXPORT_STATE_CONTAINER: 'exporter-state' });
    const summary = await movedWorld.run();

    expect(summary.incidents).toBe(10);
    await expectEachVersionOnce(['incidents/']);
    expect(await listBlobNames(movedWorld.deps.stateContainer)).toEqual(['state/exporter-state.json']);
  });

  it('moves the registry and every tenant state too, and refuses to overwrite a different state', async () => {
    const tenantId = world.tenant.tenantId.toLowerCase();
    world.tenant.incidents.seed(20, { spreadHours: 1 });
    await runWorldCli(world, ['tenants', 'add', tenantId]);
    await runWorldCli(world, ['run']);
    world.tenant.incidents.seed(5, { spreadHours: 0.1 });

    const moved = await runWorldCli(world, ['state', 'move', '--to', 'exporter-state']);
    expect(moved.lines[0]).toMatch(/copied 2 blobs \(1 tenant registry, 1 tenant state\)/);
    const movedWorld = reconfigureWorld(world, { EXPORT_STATE_CONTAINER: 'exporter-state' });
    const run = await runWorldCli(movedWorld, ['run']);
    expect(run.lines[0]).toMatch(/exported 5 incidents/);
    await expectEachVersionOnce([tenantLayout(tenantId).exportPrefix]);

    const refused = await runWorldCli(world, ['state', 'move', '--to', 'exporter-state']);
    expect(refused.exitCode).toBe(EXIT.failed);
    expect(refused.stderr).toMatch(
      /^error: Container 'exporter-state' already holds another state \(.*\): nothing was copied/,
    );
  });
});
