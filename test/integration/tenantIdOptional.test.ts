import { app, HttpRequest, InvocationContext, type Timer } from '@azure/functions';
import { EXIT } from '../../src/common/exitCodes';
import { SINGLE_TENANT_LAYOUT, tenantLayout } from '../../src/export/blobLayout';
import { STATE_BLOB } from '../../src/export/exportState';
import { REGISTRY_BLOB, TenantRegistryStore } from '../../src/tenants/registry';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, duplicates, keyOf, missing } from '../support/invariants';
import { startWorld, withoutTenantId, type World } from '../support/world';
import { runWorldCli } from '../support/worldCli';

jest.spyOn(app, 'timer').mockImplementation(() => undefined);
jest.spyOn(app, 'storageQueue').mockImplementation(() => undefined);

const SCHEDULED: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};
const OTHER = '0b1e8c3a-7f52-4d7e-9a55-3c9f1d2e4b6a';
/** The one line of the failure, as the CLI prints it after `error: `. */
const NO_TENANT =
  /^No tenant to export: there is no tenant registry \(config\/tenants\.json in container '[^']+'\) and DEFENDER_TENANT_ID is not set\. Set DEFENDER_TENANT_ID \(one tenant\), or register tenants with 'defender-export tenants add <tenantId>'\.$/;

function invocation(functionName: string, triggerMetadata?: Record<string, unknown>) {
  const lines: string[] = [];
  const context = new InvocationContext({
    functionName,
    logHandler: (_level, ...args) => lines.push(args.join(' ')),
    ...(triggerMetadata === undefined ? {} : { triggerMetadata }),
  });
  return { context, lines };
}

function summaryLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines
    .filter((line) => line.startsWith('ExportRunSummary '))
    .map((line) => JSON.parse(line.slice('ExportRunSummary '.length)) as Record<string, unknown>);
}

/** Registers every Entra tenant the simulator serves, as `defender-export tenants add` would. */
async function registerAll(world: World): Promise<string[]> {
  const tenantIds = world.tenant.tenantIds.map((id) => id.toLowerCase());
  await world.deps.ensureContainer();
  await new TenantRegistryStore(world.deps.stateContainer).update(() => ({
    schemaVersion: 1,
    tenants: tenantIds.map((tenantId) => ({ tenantId, enabled: true })),
  }));
  return tenantIds;
}

/** Versions of one simulated Entra tenant not exported under its own prefix, and those exported twice there. */
async function gaps(world: World, tenantId: string): Promise<{ missing: string[]; duplicates: string[] }> {
  const handle = world.tenant.tenants.find((tenant) => tenant.tenantId.toLowerCase() === tenantId);
  const expected = (handle?.incidents.all() ?? []).map((incident) => keyOf(incident.id, incident.lastUpdateTime));
  const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
  return { missing: missing(expected, exported), duplicates: duplicates(exported) };
}

/** Every blob of the world's containers with its ETag: what "untouched" compares. */
async function snapshot(world: World): Promise<Record<string, string | undefined>> {
  const blobs: Record<string, string | undefined> = {};
  if (!(await world.container.exists())) return blobs;
  for await (const blob of world.container.listBlobsFlat()) blobs[blob.name] = blob.properties.etag;
  return blobs;
}

describe('a tenant registry and no DEFENDER_TENANT_ID (a deployment that exports only its registered tenants)', () => {
  let world: World;
  let mssp: World;
  beforeEach(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0, tenants: 3 } });
    for (const tenant of world.tenant.tenants) tenant.incidents.seed(20, { spreadHours: 2 });
    mssp = withoutTenantId(world);
  });
  afterEach(async () => {
    await world.close();
  });

  it(
    'the timer queues every enabled tenant and exportTenant exports each under its own prefix, ' +
      'nothing at the single-tenant names',
    async () => {
      const { exportIncidentsHandler, runsQueue } = await import('../../src/functions/exportIncidents');
      const { exportTenantHandler } = await import('../../src/functions/exportTenant');
      const tenantIds = await registerAll(world);
      const timer = invocation('exportIncidents');

      await exportIncidentsHandler(() => mssp.runtime)(SCHEDULED, timer.context);
      const queued = timer.context.extraOutputs.get(runsQueue) as string[];
      const runs = queued.map(() => invocation('exportTenant', { dequeueCount: 1 }));
      for (const [index, text] of queued.entries()) {
        const run = runs[index];
        if (run !== undefined) await exportTenantHandler(() => mssp.runtime)(text, run.context);
      }

      expect(queued.map((text) => (JSON.parse(text) as { tenantId: string }).tenantId)).toEqual(tenantIds);
      expect(runs.flatMap((run) => summaryLines(run.lines))).toEqual(
        tenantIds.map(
          (tenantId) => expect.objectContaining({ tenantId, outcome: 'succeeded', incidents: 20 }) as unknown,
        ),
      );
      for (const tenantId of tenantIds) expect(await gaps(world, tenantId)).toEqual({ missing: [], duplicates: [] });
      expect(await listBlobNames(world.container, SINGLE_TENANT_LAYOUT.exportPrefix)).toEqual([]);
      expect(await world.container.getBlockBlobClient(STATE_BLOB).exists()).toBe(false);
    },
  );

  it('the CLI runs every enabled tenant, one of them with --tenant, and shows a status row each', async () => {
    const tenantIds = await registerAll(world);
    const [first = ''] = tenantIds;

    const run = await runWorldCli(mssp, ['run']);
    world.tenant.tenants[0]?.incidents.seed(5, { spreadHours: 0.1 });
    const one = await runWorldCli(mssp, ['run', '--tenant', first]);
    const status = await runWorldCli(mssp, ['status']);
    const listed = await runWorldCli(mssp, ['tenants', 'list', '--json']);

    expect(run).toMatchObject({ exitCode: EXIT.ok, stderr: '' });
    expect(run.lines).toEqual([
      ...tenantIds.map(
        (tenantId) => expect.stringMatching(new RegExp(`^tenant ${tenantId}: exported 20 incidents`)) as unknown,
      ),
      expect.stringMatching(/^total: 3 tenants: 3 exported \(60 incidents/),
    ]);
    expect(one).toMatchObject({ exitCode: EXIT.ok });
    expect(one.lines).toEqual([expect.stringMatching(new RegExp(`^tenant ${first}: exported 5 incidents`))]);
    expect(status.exitCode).toBe(EXIT.ok);
    expect(status.lines[0]).toMatch(/^status: healthy \(3 tenants; /);
    for (const tenantId of tenantIds) expect(status.stdout).toContain(tenantId);
    expect((JSON.parse(listed.stdout) as { tenantId: string }[]).map((tenant) => tenant.tenantId)).toEqual(tenantIds);
    for (const tenantId of tenantIds) expect(await gaps(world, tenantId)).toEqual({ missing: [], duplicates: [] });
    expect(await listBlobNames(world.container, SINGLE_TENANT_LAYOUT.exportPrefix)).toEqual([]);
  });
});

describe("'tenants add' without DEFENDER_TENANT_ID, while the single-tenant exporter's state exists", () => {
  let world: World;
  let mssp: World;
  let home: string;
  beforeEach(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    home = world.tenant.tenantId.toLowerCase();
    world.tenant.incidents.seed(30, { spreadHours: 2 });
    await world.run();
    world.tenant.incidents.seed(10, { spreadHours: 0.1 });
    mssp = withoutTenantId(world);
  });
  afterEach(async () => {
    await world.close();
  });

  it('asks whose that state is (exit 2, nothing changed) instead of guessing', async () => {
    const before = await snapshot(world);

    const added = await runWorldCli(mssp, ['tenants', 'add', home]);

    expect(added.exitCode).toBe(EXIT.usage);
    expect(added.stderr).toMatch(
      new RegExp(
        `^error: The single-tenant exporter's state \\(watermark [^)]+\\) exists and ` +
          `DEFENDER_TENANT_ID is not set here to say whose it is: add --adopt if ${home} is the ` +
          `tenant it exported .*, or --no-adopt if it is another tenant\\. Nothing was changed\\.\\n$`,
      ),
    );
    expect(await snapshot(world)).toEqual(before);
    expect(await world.deps.stateContainer.getBlockBlobClient(REGISTRY_BLOB).exists()).toBe(false);
  });

  it(
    'with --adopt the tenant takes over that state: its runs continue from the watermark, ' +
      'nothing lost or exported twice',
    async () => {
      const added = await runWorldCli(mssp, ['tenants', 'add', home, '--adopt']);
      const run = await runWorldCli(mssp, ['run']);

      expect(added.exitCode).toBe(EXIT.ok);
      expect(added.lines[1]).toMatch(
        /^adopted the single-tenant exporter's state: tenant .* continues from watermark /,
      );
      expect(run.exitCode).toBe(EXIT.ok);
      expect(run.lines[0]).toMatch(/: exported 10 incidents/);
      const exported = [
        ...(await readExports(world.container, SINGLE_TENANT_LAYOUT.exportPrefix)),
        ...(await readExports(world.container, tenantLayout(home).exportPrefix)),
      ];
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
    },
  );

  it('with --no-adopt another tenant is added, the state left alone, and the note says how to keep it going', async () => {
    const added = await runWorldCli(mssp, ['tenants', 'add', OTHER, '--no-adopt']);

    expect(added).toMatchObject({ exitCode: EXIT.ok, lines: [`added tenant ${OTHER}.`] });
    expect(added.stderr).toMatch(/^note: with a registry, only registered tenants are exported; .* --adopt'\./);
    expect(await world.deps.stateContainer.getBlockBlobClient(tenantLayout(OTHER).stateBlob).exists()).toBe(false);
  });
});

describe('neither a tenant registry nor DEFENDER_TENANT_ID', () => {
  let world: World;
  let neither: World;
  let before: Record<string, string | undefined>;
  let requestsBefore: number;
  beforeEach(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    // A deployment that exported before, then lost DEFENDER_TENANT_ID: its state must stay as it is.
    world.tenant.incidents.seed(10, { spreadHours: 1 });
    await world.run();
    world.tenant.incidents.seed(5, { spreadHours: 0.1 });
    neither = withoutTenantId(world);
    before = await snapshot(world);
    requestsBefore = world.tenant.requests.length;
  });
  afterEach(async () => {
    // Untouched: no blob written, changed or removed, and nothing asked of the vault, Entra or the API.
    expect(await snapshot(world)).toEqual(before);
    expect(world.tenant.requests.length).toBe(requestsBefore);
    await world.close();
  });

  it('fails every timer tick with one line naming both fixes (code NoTenant), and says so in its run summary', async () => {
    const { exportIncidentsHandler, runsQueue } = await import('../../src/functions/exportIncidents');
    const timer = invocation('exportIncidents');

    const failure: unknown = await exportIncidentsHandler(() => neither.runtime)(SCHEDULED, timer.context).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toMatchObject({
      code: 'NoTenant',
      retryable: false,
      message: expect.stringMatching(NO_TENANT) as unknown,
    });
    expect(timer.context.extraOutputs.get(runsQueue)).toBeUndefined();
    expect(summaryLines(timer.lines)).toEqual([expect.objectContaining({ outcome: 'failed', code: 'NoTenant' })]);
  });

  it.each([
    [['run']],
    [['backfill', '--from', new Date(Date.now() - 3_600_000).toISOString()]],
    [['status', '--check-graph']],
  ])('defender-export %j prints that one line and exits 2', async (args) => {
    const result = await runWorldCli(neither, args);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith('error: ')).toBe(true);
    expect(result.stderr.slice('error: '.length).trimEnd()).toMatch(NO_TENANT);
  });

  it('tenants list says that no tenant is exported, not that DEFENDER_TENANT_ID is', async () => {
    const result = await runWorldCli(neither, ['tenants', 'list']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.stdout).toMatch(
      /^No tenant registry \(.*\) and DEFENDER_TENANT_ID is not set: no tenant is exported\./,
    );
    expect(result.stdout).not.toMatch(/runs for DEFENDER_TENANT_ID/);
  });

  it('the backfill endpoint fails its invocation with that line too', async () => {
    jest.spyOn(app, 'http').mockImplementation(() => undefined);
    const { backfillHandlerFor } = await import('../../src/functions/backfill');
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/backfill',
      body: { string: JSON.stringify({ from: new Date(Date.now() - 3_600_000).toISOString() }) },
    });

    await expect(
      backfillHandlerFor(() => neither.runtime)(request, invocation('backfill').context),
    ).rejects.toMatchObject({ code: 'NoTenant' });
  });
});
