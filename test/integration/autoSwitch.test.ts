import { systemClock, type Clock } from '../../src/common/clock';
import { ExporterError } from '../../src/common/errors';
import { fromDate } from '../../src/common/timestamp';
import { runBackfill, startBackfill } from '../../src/export/runBackfill';
import type { RecordedRequest } from '../../src/local/simulator';
import type { FaultSpec } from '../../src/local/simulator';
import { readState } from '../support/exportChecks';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, duplicates, missing } from '../support/invariants';
import { reconfigureWorld, startWorld, type World } from '../support/world';
import { runCli } from '../cli/cliHarness';
import { runWorldCli } from '../support/worldCli';
import { EXIT } from '../../src/common/exitCodes';

const DAY_MS = 86_400_000;

/** The real time moved on by `offsetMs`: the exporter's injected clock, while the simulated tenant keeps real time. */
function shiftableClock(): { readonly clock: Clock; shift(ms: number): void } {
  let offsetMs = 0;
  return {
    clock: { now: () => new Date(Date.now() + offsetMs), sleep: (ms, signal) => systemClock.sleep(ms, signal) },
    shift: (ms) => {
      offsetMs += ms;
    },
  };
}

/** Tomorrow's UTC date (YYYY-MM-DD): an end date that passes within a day. */
function tomorrow(): { readonly date: string; readonly endMs: number } {
  const date = new Date(Date.now() + DAY_MS).toISOString().slice(0, 10);
  return { date, endMs: Date.parse(`${date}T00:00:00Z`) };
}

const isGraphList = (request: RecordedRequest): boolean =>
  request.server === 'graph' && request.path.startsWith('/v1.0/security/incidents');
const isReadinessCall = (request: RecordedRequest): boolean => isGraphList(request) && request.query.$top === '1';
const isGraphPull = (request: RecordedRequest): boolean => isGraphList(request) && request.query.$top !== '1';
const isDefenderList = (request: RecordedRequest): boolean =>
  request.server === 'defender' && request.path === '/api/incidents';

/** The `source` metadata of the export blobs, sorted (a run's later part, `-part0002`, sorts before its first). */
async function blobSources(world: World): Promise<(string | undefined)[]> {
  const names = await listBlobNames(world.container, 'incidents/');
  const sources = await Promise.all(
    names.map(async (name) => (await world.container.getBlockBlobClient(name).getProperties()).metadata?.source),
  );
  return sources.sort();
}

const switchWarnings = (world: World): string[] =>
  world.logLines.filter((line) => line.includes('this exporter now reads Microsoft Graph instead of the Defender'));

describe('INCIDENTS_API=auto: Defender until it ends, then Microsoft Graph, by itself', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('reads Graph from the run after DEFENDER_API_END_DATE passes: every version exported once across the switch', async () => {
    // Prepare: the end date is tomorrow (UTC); the exporter's clock is moved past it between two runs.
    const end = tomorrow();
    const time = shiftableClock();
    world = await startWorld({
      settings: { INCIDENTS_API: 'auto', DEFENDER_API_END_DATE: end.date },
      tenant: { seedIncidents: 0 },
      build: { clock: time.clock },
    });
    world.tenant.incidents.seed(150, { spreadHours: 20 });
    const onDefender = await world.run();
    const ids = world.tenant.incidents.all().map((incident) => incident.id);
    for (const id of ids.slice(0, 10)) world.tenant.incidents.update(id);
    world.tenant.incidents.seed(30, { spreadHours: 0.05 });
    const defenderCalls = world.tenant.requests.filter(isDefenderList).length;
    time.shift(end.endMs - Date.now() + 60_000);

    // Act
    const onGraph = await world.run();
    const after = await world.run();

    // Assess
    expect(onDefender.incidents).toBe(150);
    expect(onGraph.incidents).toBe(40);
    expect(after.incidents).toBe(0);
    expect(world.tenant.requests.filter(isDefenderList)).toHaveLength(defenderCalls);
    const exported = await readExports(world.container);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(duplicates(exported)).toEqual([]);
    expect(await blobSources(world)).toEqual(['defender', 'graph']);
    const state = await readState(world.container);
    expect(state?.source).toBe('graph');
    expect(state?.apiSwitch).toEqual({
      to: 'graph',
      at: expect.any(String) as string,
      reason: `DEFENDER_API_END_DATE ${end.date} has passed`,
    });
    expect(switchWarnings(world)).toHaveLength(1);
  });

  it.each(['410', '404'] as const)(
    'continues the pull on Graph from its position when the Defender API starts answering %s mid-pull: nothing lost',
    async (reply) => {
      // Prepare: 250 incidents are three Defender pages; the API is retired while the first page is served.
      world = await startWorld({ settings: { INCIDENTS_API: 'auto' }, tenant: { seedIncidents: 0 } });
      world.tenant.incidents.seed(250, { spreadHours: 20 });
      world.tenant.faults.onIncidentsPage = (page) => {
        if (page.server === 'defender') world.tenant.defenderRetirement = { at: 0, reply };
      };

      // Act
      const summary = await world.run();

      // Assess
      const defenderReplies = world.tenant.requests.filter(isDefenderList).map((request) => request.status);
      expect(defenderReplies).toEqual([200, Number(reply)]);
      expect(summary.incidents).toBe(250);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
      expect(await blobSources(world)).toEqual(['defender', 'graph']);
      const firstGraphPage = world.tenant.requests.filter(isGraphPull)[0];
      expect(firstGraphPage?.query.$filter).toMatch(/lastUpdateDateTime le /);
      const state = await readState(world.container);
      expect(state?.apiSwitch?.reason).toMatch(
        reply === '410' ? /answered 410 Gone/ : /answered 404 on its documented list path \/api\/incidents/,
      );
      expect(state?.pass).toBeUndefined();
      expect(switchWarnings(world)).toHaveLength(1);
    },
  );

  it('continues a backfill on Graph from its position when the Defender API starts answering 410 mid-backfill', async () => {
    // Prepare: a 20-hour window of 250 incidents is three Defender pages; the API is retired while the first is served.
    world = await startWorld({ settings: { INCIDENTS_API: 'auto' }, tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(250, { spreadHours: 20 });
    const from = fromDate(new Date(Date.now() - 30 * 3_600_000));
    const to = fromDate(new Date(Date.now() + 60_000));
    world.tenant.faults.onIncidentsPage = (page) => {
      if (page.server === 'defender') world.tenant.defenderRetirement = { at: 0, reply: '410' };
    };

    // Act
    const job = await startBackfill(world.deps, from, to, 'test');
    const result = await runBackfill(world.deps, job.id, { trigger: 'test', logger: world.logger });

    // Assess
    expect(result.job.status).toBe('complete');
    expect(world.tenant.requests.filter(isDefenderList).map((request) => request.status)).toEqual([200, 410]);
    expect(world.tenant.requests.filter(isGraphPull)[0]?.query.$filter).toMatch(/lastUpdateDateTime le /);
    const exported = await readExports(world.container, 'backfill/');
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(duplicates(exported)).toEqual([]);
    // A backfill never records the switch itself: the next export run does.
    expect((await readState(world.container))?.apiSwitch).toBeUndefined();
  });

  it('never switches back, even when the Defender API answers again later', async () => {
    // Prepare: a switch on a 410, then the Defender API works again.
    world = await startWorld({ settings: { INCIDENTS_API: 'auto' }, tenant: { seedIncidents: 20 } });
    world.tenant.defenderRetirement = { at: 0, reply: '410' };
    await world.run();
    world.tenant.defenderRetirement = undefined;
    world.tenant.incidents.seed(5, { spreadHours: 0.01 });
    const defenderCalls = world.tenant.requests.filter(isDefenderList).length;

    // Act
    const later = await world.run();

    // Assess
    expect(later.incidents).toBe(5);
    expect(world.tenant.requests.filter(isDefenderList)).toHaveLength(defenderCalls);
    expect((await readState(world.container))?.source).toBe('graph');
    expect(switchWarnings(world)).toHaveLength(1);
  });
});

describe('INCIDENTS_API=auto after INCIDENTS_API=graph (a deployment switched by hand, then updated)', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('stays on Graph: records the switch once, never reads the Defender API, loses and repeats nothing', async () => {
    // Prepare: runs on Graph set by hand; then the setting becomes auto (an `azd up` writes the new default).
    world = await startWorld({ settings: { INCIDENTS_API: 'graph' }, tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(40, { spreadHours: 20 });
    await world.run();
    world.tenant.incidents.seed(7, { spreadHours: 0.01 });
    world = reconfigureWorld(world, { INCIDENTS_API: 'auto' });

    // Act
    const onAuto = await world.run();
    const again = await world.run();

    // Assess
    expect(onAuto.incidents).toBe(7);
    expect(again.incidents).toBe(0);
    expect(world.tenant.requests.filter(isDefenderList)).toHaveLength(0);
    const state = await readState(world.container);
    expect(state?.source).toBe('graph');
    expect(state?.apiSwitch?.reason).toMatch(/read Microsoft Graph/);
    expect(switchWarnings(world)).toHaveLength(1);
    const exported = await readExports(world.container);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(duplicates(exported)).toEqual([]);
  });
});

describe('INCIDENTS_API=auto: what never causes a switch', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  const faults: [string, FaultSpec][] = [
    ['a 429', { server: 'defender', kind: '429', times: 2, retryAfterSeconds: 0 }],
    ['a 503', { server: 'defender', kind: 'status', status: 503, code: 'ServiceUnavailable', persistent: true }],
    [
      'a 500 naming a deprecation',
      {
        server: 'defender',
        kind: 'status',
        status: 500,
        code: 'InternalServerError',
        message: 'Deprecated backend failed',
        persistent: true,
      },
    ],
    ['a 401', { server: 'defender', kind: 'status', status: 401, code: 'Unauthorized', persistent: true }],
    [
      'a 403 naming a retirement',
      {
        server: 'defender',
        kind: 'status',
        status: 403,
        code: 'Forbidden',
        message: 'The app was retired from this role',
        persistent: true,
      },
    ],
    ['a network reset', { server: 'defender', kind: 'reset', persistent: true }],
  ];

  it.each(faults)('%s from the Defender API', async (_name, fault) => {
    // Prepare
    world = await startWorld({ settings: { INCIDENTS_API: 'auto' }, tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(30, { spreadHours: 20 });
    world.tenant.faults.inject({ ...fault, match: (request) => request.path === '/api/incidents' });

    // Act
    const outcome = await world.run().then(
      () => undefined,
      (error: unknown) => error,
    );
    world.tenant.faults.clear();
    const next = await world.run();

    // Assess
    if (outcome !== undefined) expect((outcome as ExporterError).code).not.toBe('DefenderApiRetired');
    expect(world.tenant.requests.filter(isGraphPull)).toEqual([]);
    const state = await readState(world.container);
    expect(state?.apiSwitch).toBeUndefined();
    expect(state?.source).toBe('defender');
    expect(next.watermarkAfter).toBeDefined();
    expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
    expect(switchWarnings(world)).toEqual([]);
  });
});

describe('INCIDENTS_API=auto: Graph not permitted when the switch is due', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it(
    'fails loudly naming the permission and the consent link, keeps the watermark, and catches ' +
      'up with no gap once granted',
    async () => {
      // Prepare: Defender works until the end date; the app has no Graph permission.
      const end = tomorrow();
      const time = shiftableClock();
      world = await startWorld({
        settings: { INCIDENTS_API: 'auto', DEFENDER_API_END_DATE: end.date },
        tenant: { seedIncidents: 0, withholdGraphPermission: true },
        build: { clock: time.clock },
      });
      world.tenant.incidents.seed(60, { spreadHours: 10 });
      await world.run();
      const before = await readState(world.container);
      const blobsBefore = await listBlobNames(world.container, 'incidents/');
      world.tenant.incidents.seed(20, { spreadHours: 0.05 });
      time.shift(end.endMs - Date.now() + 60_000);

      // Act
      const failure = await world.run().then(
        () => undefined,
        (error: unknown) => error,
      );
      const failed = await readState(world.container);
      const blobsAfterFailure = await listBlobNames(world.container, 'incidents/');
      world.tenant.setGraphPermission(true);
      world.tenant.incidents.seed(5, { spreadHours: 0.01 });
      const recovered = await world.run();

      // Assess
      expect(failure).toBeInstanceOf(ExporterError);
      const error = failure as ExporterError;
      expect(error.code).toBe('GraphNotPermitted');
      expect(error.message.split('\n')).toHaveLength(1);
      expect(error.message).toContain('SecurityIncident.Read.All (application) with admin consent');
      expect(error.message).toContain(
        `${world.tenant.authorityHost}/${world.tenant.tenantId}/adminconsent?client_id=` +
          `${world.tenant.exporterApp.clientId}`,
      );
      expect(failed?.watermark).toBe(before?.watermark);
      expect(failed?.lastError?.code).toBe('GraphNotPermitted');
      expect(failed?.apiSwitch?.to).toBe('graph');
      expect(blobsAfterFailure).toEqual(blobsBefore);
      expect(recovered.incidents).toBe(25);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
      expect(switchWarnings(world)).toHaveLength(1);
    },
  );
});

describe('INCIDENTS_API=auto: Graph readiness, long before the end', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('is checked by the runs at most once a day (one $top=1 call), and no warning is logged once Graph is ready', async () => {
    // Prepare: past the warning date, Graph permitted.
    const time = shiftableClock();
    world = await startWorld({
      settings: { INCIDENTS_API: 'auto', DEFENDER_RETIREMENT_WARNING_DATE: '2020-01-01' },
      tenant: { seedIncidents: 10 },
      build: { clock: time.clock },
    });

    // Act
    await world.run();
    await world.run();
    time.shift(DAY_MS - 60_000);
    await world.run();
    const sameDay = world.tenant.requests.filter(isReadinessCall).length;
    time.shift(120_000);
    await world.run();

    // Assess
    expect(sameDay).toBe(1);
    expect(world.tenant.requests.filter(isReadinessCall)).toHaveLength(2);
    expect(world.tenant.requests.filter(isGraphPull)).toEqual([]);
    expect((await readState(world.container))?.graphReadiness).toEqual({
      checkedAt: expect.any(String) as string,
      ready: true,
    });
    expect(world.logLines.join('\n')).not.toMatch(/Graph is not ready|stops working after/);
  });

  it(
    "is per tenant with a registry: 'status' lists the tenant whose consent lacks the Graph " +
      'permission, and only it',
    async () => {
      // Prepare: two customer tenants; in one the admin consented only to the Defender permission.
      world = await startWorld({ settings: { INCIDENTS_API: 'auto' }, tenant: { seedIncidents: 0 } });
      const sim = world.tenant;
      const ready = sim.addTenant({ seedIncidents: 5 });
      const partial = sim.addTenant({ seedIncidents: 5, consentExporterApp: false });
      sim.consent(sim.exporterApp.clientId, partial.tenantId, { roles: ['Incident.Read.All'] });
      await runWorldCli(world, ['tenants', 'add', ready.tenantId, '--no-adopt']);
      await runWorldCli(world, ['tenants', 'add', partial.tenantId, '--no-adopt']);

      // Act
      const run = await runWorldCli(world, ['run']);
      const status = await runWorldCli(world, ['status']);

      // Assess: both exported (still on Defender); only the partial tenant is listed as not ready, with Graph's code.
      expect(run.exitCode).toBe(EXIT.ok);
      const notReadyAt = status.lines.findIndex((line) => line.startsWith('Microsoft Graph not ready'));
      expect(notReadyAt).toBeGreaterThan(0);
      const listed = status.lines.slice(notReadyAt + 1);
      expect(listed).toEqual([
        expect.stringMatching(new RegExp(`^  - ${partial.tenantId.toLowerCase()}: Graph not ready`)),
      ]);
      expect(listed[0]).toMatch(/SecurityIncident\.Read\.All/);
    },
  );

  it('warns once per process while Graph is not ready, naming the permission and the exact Graph error code', async () => {
    // Prepare
    world = await startWorld({
      settings: { INCIDENTS_API: 'auto', DEFENDER_RETIREMENT_WARNING_DATE: '2020-01-01' },
      tenant: { seedIncidents: 10, withholdGraphPermission: true },
    });

    // Act
    await world.run();
    await world.run();

    // Assess
    const warnings = world.logLines.filter((line) => line.includes('but Graph is not ready'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'not ready (Forbidden): grant SecurityIncident.Read.All (application) with admin consent',
    );
    expect(world.tenant.requests.filter(isReadinessCall)).toHaveLength(1);
    expect((await readState(world.container))?.graphReadiness).toEqual(
      expect.objectContaining({ ready: false, code: 'Forbidden' }),
    );
  });

  it("is shown by 'status': the runs' daily check, or one made now with --check-graph, with the Graph error code", async () => {
    // Prepare
    world = await startWorld({
      settings: { INCIDENTS_API: 'auto' },
      tenant: { seedIncidents: 10, withholdGraphPermission: true },
    });
    await world.run();

    // Act
    const recorded = await runCli(world.container, ['status']);
    const notReadyNow = await runCli(world.container, ['status', '--check-graph'], new Date(), world.runtime);
    world.tenant.setGraphPermission(true);
    const readyNow = await runCli(world.container, ['status', '--check-graph'], new Date(), world.runtime);
    const json = await runCli(world.container, ['status', '--check-graph', '--json'], new Date(), world.runtime);

    // Assess
    const graphLine = (lines: readonly string[]): string | undefined => lines.find((line) => line.startsWith('Graph:'));
    expect(graphLine(recorded.lines)).toMatch(
      /^Graph:\s+not ready — grant SecurityIncident\.Read\.All \(application\) with admin consent \(Graph error Forbidden\) \(checked by a run at /,
    );
    expect(graphLine(notReadyNow.lines)).toMatch(
      /^Graph:\s+not ready — grant SecurityIncident\.Read\.All \(application\) with admin consent \(Graph error Forbidden\) \(checked now, /,
    );
    expect(graphLine(readyNow.lines)).toMatch(/^Graph:\s+ready \(checked now, /);
    expect(readyNow.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(
      expect.objectContaining({ graph: expect.objectContaining({ ready: true, checkedBy: 'status' }) as unknown }),
    );
    expect((await readState(world.container))?.graphReadiness?.ready).toBe(false);
  });
});
