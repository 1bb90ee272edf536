import { readExports } from '../support/exports';
import { cliEnvironment, runCli } from '../support/cli';
import { currentVersions, missing } from '../support/invariants';
import { startWorld, type World } from '../support/world';

describe('defender-export run (the real CLI process)', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
  });
  afterAll(async () => {
    await world.close();
  });

  it('exports through the same code path as the timer and prints a one-line summary', async () => {
    world.tenant.incidents.seed(140, { spreadHours: 2 });
    const result = await runCli(['run'], cliEnvironment(world));
    // Only warnings (the Defender API's retirement notice) may reach stderr on success.
    expect(result.stderr.split('\n').filter((line) => line !== '' && !/^\S+Z warn /.test(line))).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^exported 140 incidents to 1 blob \(incidents\/\d{4}\/.*\.json\); watermark \d{4}-.*Z \(first run\); 2 pages/,
    );
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
  });

  it('exits non-zero with one clear message when the secret is wrong, leaking nothing', async () => {
    const secret = world.tenant.exporterApp.clientSecret;
    world.tenant.setSecret('defender-client-secret', 'wrong-secret-0123456789');
    try {
      const result = await runCli(['run'], cliEnvironment(world));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^error: Entra refused the token request .* AADSTS7000215: the client secret is wrong/m,
      );
      expect(result.stdout + result.stderr).not.toContain('wrong-secret-0123456789');
      expect(result.stdout + result.stderr).not.toContain(world.tenant.vaultReader.clientSecret);
    } finally {
      world.tenant.setSecret('defender-client-secret', secret);
    }
  });

  it('exits 2 and lists every bad setting at once', async () => {
    const result = await runCli(
      ['run'],
      cliEnvironment(world, {
        DEFENDER_CLIENT_ID: 'nope',
        KEY_VAULT_URI: 'http://vault',
        EXPORT_SCHEDULE: 'every minute',
      }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Invalid settings \(3\)/);
    expect(result.stderr).toMatch(/DEFENDER_CLIENT_ID 'nope' is not a GUID/);
    expect(result.stderr).toMatch(/KEY_VAULT_URI 'http:\/\/vault' must use https/);
    expect(result.stderr).toMatch(/EXPORT_SCHEDULE is not a valid NCRONTAB expression/);
  });

  it('exits 2 on an unknown command with the help', async () => {
    const result = await runCli(['frobnicate'], cliEnvironment(world));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
