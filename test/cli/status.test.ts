import type { ContainerClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import { defenderIncident, freshContainer, runCli, writeExportBlob, writeState, suiteWorld } from './cliHarness';

const NOW = new Date('2026-11-27T08:10:00.000Z');
const success = (at: string): Record<string, unknown> => ({
  runId: `run-${at}`,
  at,
  trigger: 'timer',
  incidents: 212,
  blobs: ['incidents/2026/11/27/2026-11-27T08-00-03.512Z.json'],
});
const failure = (at: string): Record<string, unknown> => ({
  runId: `run-${at}`,
  at,
  trigger: 'timer',
  code: 'ApiError',
  message: 'The incidents API answered 403 Forbidden: grant Incident.Read.All.',
});
const state = (records: Record<string, unknown>): Record<string, unknown> => ({
  schemaVersion: 1,
  watermark: '2026-11-27T07:59:41.2630000Z',
  exported: { '1': '2026-11-27T07:50:00.0000000Z', '2': '2026-11-27T07:59:41.2630000Z' },
  source: 'defender',
  updatedAt: '2026-11-27T08:00:04.000Z',
  ...records,
});

describe('defender-export status', () => {
  const world = suiteWorld();
  let container: ContainerClient;
  const savedMaxAge = process.env.STATUS_MAX_AGE_MINUTES;
  beforeEach(async () => {
    container = await freshContainer(world);
    delete process.env.STATUS_MAX_AGE_MINUTES;
  });
  afterEach(() => {
    if (savedMaxAge === undefined) delete process.env.STATUS_MAX_AGE_MINUTES;
    else process.env.STATUS_MAX_AGE_MINUTES = savedMaxAge;
  });

  it('reports a healthy exporter with watermark, lag, last success and its age, and exits 0', async () => {
    await writeState(
      container,
      state({ lastRun: success('2026-11-27T08:00:04.000Z'), lastSuccess: success('2026-11-27T08:00:04.000Z') }),
    );

    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.lines).toEqual([
      'status: healthy',
      'watermark:     2026-11-27T07:59:41.2630000Z (lag 10 min 18 s)',
      'last success:  2026-11-27T08:00:04.000Z (9 min 56 s ago); timer, 212 incidents, 1 blob',
      'last error:    none',
      'dedupe state:  2 incident versions remembered for the overlap window',
      'max age:       60 min',
      'checked at:    2026-11-27T08:10:00.000Z',
    ]);
  });

  it('reports an error that a later run recovered from without calling the exporter unhealthy', async () => {
    await writeState(
      container,
      state({ lastError: failure('2026-11-27T07:55:00.000Z'), lastSuccess: success('2026-11-27T08:00:04.000Z') }),
    );

    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.lines).toContain(
      'last error:    2026-11-27T07:55:00.000Z ApiError: The incidents API answered 403 ' +
        'Forbidden: grant Incident.Read.All. (a later run succeeded)',
    );
  });

  it('is unhealthy with exit code 3 when the last run failed', async () => {
    await writeState(
      container,
      state({ lastSuccess: success('2026-11-27T08:00:04.000Z'), lastError: failure('2026-11-27T08:05:00.000Z') }),
    );

    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(result.lines.slice(0, 2)).toEqual([
      'status: UNHEALTHY',
      '  - the last run failed at 2026-11-27T08:05:00.000Z (ApiError): The incidents API ' +
        'answered 403 Forbidden: grant Incident.Read.All.',
    ]);
    expect(result.stderr).toBe('');
  });

  it('is unhealthy when no run succeeded within the max age from STATUS_MAX_AGE_MINUTES', async () => {
    await writeState(container, state({ lastSuccess: success('2026-11-27T08:00:04.000Z') }));
    process.env.STATUS_MAX_AGE_MINUTES = '5';

    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(result.lines).toContain(
      '  - no run succeeded within the last 5 minutes (last success 2026-11-27T08:00:04.000Z).',
    );
    expect(result.lines).toContain('max age:       5 min');
  });

  it('lets --max-age override the setting', async () => {
    await writeState(container, state({ lastSuccess: success('2026-11-27T06:00:00.000Z') }));
    process.env.STATUS_MAX_AGE_MINUTES = '60';

    const lenient = await runCli(container, ['status', '--max-age', '180'], NOW);
    const strict = await runCli(container, ['status', '--max-age', '120'], NOW);

    expect(lenient.exitCode).toBe(EXIT.ok);
    expect(strict.exitCode).toBe(EXIT.unhealthy);
  });

  it('is unhealthy when a reset state records no successful run yet', async () => {
    await writeState(container, state({}));

    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(result.lines[1]).toMatch(/^ {2}- no successful run is recorded/);
    expect(result.lines).toContain('last success:  none');
  });

  it('is unhealthy with a message when the exporter never ran', async () => {
    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(result.lines).toEqual([
      'status: UNHEALTHY',
      '  - the exporter never ran: there is no state blob (state/exporter-state.json) yet. Check ' +
        "that the function app is deployed and its timer runs, or run 'defender-export run'.",
    ]);
  });

  it('says the exporter never ran when even its container does not exist yet', async () => {
    const missing = world.service.getContainerClient(`missing-${container.containerName}`);

    const result = await runCli(missing, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(result.lines[1]).toMatch(/^ {2}- the exporter never ran/);
  });

  it('names the recovery when the state is missing although exports exist', async () => {
    await writeExportBlob(container, {
      name: 'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json',
      incidents: [defenderIncident(1, 'Low', '2026-11-27T07:00:00Z')],
    });

    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(result.lines[1]).toContain(
      'the state blob state/exporter-state.json is missing although exports exist (newest: ' +
        'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json)',
    );
    expect(result.lines[1]).toContain('defender-export state reset --watermark <ISO time>');
  });

  it('prints the report as JSON with --json, absent facts as null, and keeps the exit code', async () => {
    await writeState(
      container,
      state({ lastSuccess: success('2026-11-27T08:00:04.000Z'), lastError: failure('2026-11-27T08:05:00.000Z') }),
    );

    const result = await runCli(container, ['status', '--json'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(JSON.parse(result.stdout)).toEqual(
      expect.objectContaining({
        healthy: false,
        problems: [expect.stringContaining('the last run failed at 2026-11-27T08:05:00.000Z')],
        checkedAt: '2026-11-27T08:10:00.000Z',
        maxAgeMinutes: 60,
        watermark: '2026-11-27T07:59:41.2630000Z',
        lagMs: 618_737,
        lastSuccessAgeMs: 596_000,
        dedupeEntries: 2,
        inProgress: null,
      }),
    );
    const report = JSON.parse(result.stdout) as { lastSuccess: unknown; lastError: unknown };
    expect(report.lastSuccess).toEqual({
      runId: 'run-2026-11-27T08:00:04.000Z',
      at: '2026-11-27T08:00:04.000Z',
      trigger: 'timer',
      incidents: 212,
      blobs: ['incidents/2026/11/27/2026-11-27T08-00-03.512Z.json'],
    });
    expect(report.lastError).toEqual(expect.objectContaining({ at: '2026-11-27T08:05:00.000Z', code: 'ApiError' }));
  });

  it('prints JSON for a container where the exporter never ran', async () => {
    const result = await runCli(container, ['status', '--json'], NOW);

    expect(result.exitCode).toBe(EXIT.unhealthy);
    expect(JSON.parse(result.stdout)).toEqual(
      expect.objectContaining({ healthy: false, watermark: null, lastSuccess: null, dedupeEntries: 0 }),
    );
  });

  it.each(['0', '-5', 'soon'])('rejects --max-age %s with a usage error', async (maxAge) => {
    const result = await runCli(container, ['status', `--max-age=${maxAge}`], NOW);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toContain(`'${maxAge}' is not a positive number of minutes; use e.g. 60.`);
  });

  it('rejects a malformed STATUS_MAX_AGE_MINUTES naming the setting, with a usage error', async () => {
    process.env.STATUS_MAX_AGE_MINUTES = 'an hour';

    const result = await runCli(container, ['status'], NOW);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toContain(
      "STATUS_MAX_AGE_MINUTES 'an hour' is not a positive number of minutes: set it to e.g. 60",
    );
  });

  it('explains its options and exit code with --help', async () => {
    const result = await runCli(container, ['status', '--help']);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.stdout).toContain('Usage: defender-export status [options]');
    expect(result.stdout).toMatch(/Exits 3 when[\s\S]*--max-age <minutes>[\s\S]*--json/);
  });

  it("shows Graph's readiness recorded by the runs, and the switch to Graph with when and why", async () => {
    await writeState(
      container,
      state({
        lastSuccess: success('2026-11-27T08:00:04.000Z'),
        graphReadiness: { checkedAt: '2026-11-27T07:00:00.000Z', ready: false, code: 'Authorization_RequestDenied' },
      }),
    );
    const notReady = await runCli(container, ['status'], NOW);
    await writeState(
      container,
      state({
        source: 'graph',
        lastSuccess: success('2026-11-27T08:00:04.000Z'),
        graphReadiness: { checkedAt: '2026-11-27T07:00:00.000Z', ready: true },
        apiSwitch: {
          to: 'graph',
          at: '2026-11-27T07:30:00.000Z',
          reason: 'DEFENDER_API_END_DATE 2026-11-27 has passed',
        },
      }),
    );
    const switched = await runCli(container, ['status'], NOW);

    expect(notReady.exitCode).toBe(EXIT.ok);
    expect(notReady.lines).toContain(
      'Graph:         not ready — grant SecurityIncident.Read.All (application) with admin ' +
        'consent (Graph error Authorization_RequestDenied) (checked by a run at ' +
        "2026-11-27T07:00:00.000Z; 'status --check-graph' checks now)",
    );
    expect(switched.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Graph:\s+ready \(checked by a run at 2026-11-27T07:00:00.000Z/),
        'source:        Microsoft Graph since 2026-11-27T07:30:00.000Z (DEFENDER_API_END_DATE 2026-11-27 has passed)',
      ]),
    );
  });
});
