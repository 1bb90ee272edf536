import { cliEnvironment, runCli } from '../support/cli';
import { startWorld, type World } from '../support/world';

describe('the read-only commands (real CLI processes, storage settings only)', () => {
  let world: World;
  let env: Record<string, string>;
  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(40, { spreadHours: 2 });
    await world.run();
    const full = cliEnvironment(world);
    // Only what reading exports needs: no tenant, vault or API settings.
    env = {
      PATH: full.PATH ?? '',
      HOME: full.HOME ?? '',
      EXPORT_STORAGE: full.EXPORT_STORAGE ?? '',
      EXPORT_CONTAINER: full.EXPORT_CONTAINER ?? '',
    };
  });
  afterAll(async () => {
    await world.close();
  });

  it('list shows the export and rejects a malformed time', async () => {
    const ok = await runCli(['list'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^export\s+\S+Z\s+40\s/m);
    const bad = await runCli(['list', '--from', 'soon'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'soon' is not an ISO 8601 time/);
  });

  it('show latest prints the incidents (ndjson pipes into jq) and names an unknown blob', async () => {
    const ok = await runCli(['show', 'latest', '--ndjson'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(40);
    const missing = await runCli(['show', 'incidents/2020/01/01/2020-01-01T00-00-00.000Z.json'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist .*defender-export list/);
  });

  it('status is healthy after a run and unhealthy (exit 3) where nothing ever ran', async () => {
    const ok = await runCli(['status'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^status: healthy/);
    const never = await runCli(['status'], { ...env, EXPORT_CONTAINER: 'never-used' });
    expect(never.code).toBe(3);
    expect(never.stdout).toMatch(/UNHEALTHY/);
  });

  it('state show prints the watermark; state reset refuses a malformed time', async () => {
    const ok = await runCli(['state', 'show'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      schemaVersion: 1,
      watermark: expect.stringMatching(/Z$/) as unknown,
    });
    const bad = await runCli(['state', 'reset', '--watermark', 'never'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'never' is not an ISO 8601 time/);
  });

  it('says which setting is missing when there is no storage setting at all', async () => {
    const result = await runCli(['list'], { PATH: env.PATH ?? '', HOME: env.HOME ?? '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/EXPORT_STORAGE is missing/);
  });
});
