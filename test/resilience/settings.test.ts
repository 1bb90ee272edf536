import { SETTINGS } from '../../src/config/settings';
import { cliEnvironment, runCli } from '../support/cli';
import { LeakLedger } from '../support/leakLedger';
import { startWorld, type World } from '../support/world';

/** Settings are validated before anything is contacted: the real CLI process exits 2 and lists every problem with its fix. */
describe('defender-export run with bad settings (the real CLI process)', () => {
  const ledger = new LeakLedger();
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
  });
  afterAll(async () => {
    const { findings } = ledger.findLeaks(world.tenant);
    await world.close();
    expect(findings).toEqual([]);
  });

  // DEFENDER_CLOUD is checked only where the settings contract has it.
  const knowsCloud = SETTINGS.some((setting) => setting.name === 'DEFENDER_CLOUD');
  const problems: [string, string, RegExp][] = [
    [
      'DEFENDER_TENANT_ID',
      'not a tenant',
      /DEFENDER_TENANT_ID 'not a tenant' is neither a GUID nor a domain: copy the Directory \(tenant\) ID/,
    ],
    [
      'DEFENDER_CLIENT_ID',
      '1234-not-a-guid',
      /DEFENDER_CLIENT_ID '1234-not-a-guid' is not a GUID: copy the Application \(client\) ID from the app registration's overview/,
    ],
    [
      'KEY_VAULT_URI',
      'http://contoso-kv.vault.azure.net/',
      /KEY_VAULT_URI 'http:\/\/contoso-kv\.vault\.azure\.net\/' must use https \(e\.g\. https:\/\/contoso-kv\.vault\.azure\.net\/\)/,
    ],
    ['EXPORT_SCHEDULE', '*/5 * * * *', /EXPORT_SCHEDULE is not a valid NCRONTAB expression: .+/],
    ['INITIAL_LOOKBACK_HOURS', '-5', /INITIAL_LOOKBACK_HOURS '-5' is not a number of hours above 0/],
    ['OVERLAP_MINUTES', '-1', /OVERLAP_MINUTES '-1' is not a number of minutes from 0 to 1440/],
    ...(knowsCloud
      ? [['DEFENDER_CLOUD', 'mars', /DEFENDER_CLOUD 'mars' is not one of .*public.*: use /] as [string, string, RegExp]]
      : []),
  ];

  it('reports every bad or missing setting at once, each with its fix, exit code 2, before contacting anything', async () => {
    const requestsBefore = world.tenant.requests.length;
    const result = await runCli(
      ['run'],
      cliEnvironment(world, Object.fromEntries(problems.map(([name, value]) => [name, value]))),
    );
    ledger.record('bad settings', `${result.stdout}\n${result.stderr}`);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^error: Invalid settings \\(${problems.length}\\):\\n`));
    for (const [, , expected] of problems) expect(result.stderr).toMatch(expected);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(problems.length);
    expect(world.tenant.requests.length).toBe(requestsBefore);
    expect(await world.container.exists()).toBe(false);
  });

  it('names every required setting when none is set', async () => {
    const result = await runCli(
      ['run'],
      cliEnvironment(world, {
        DEFENDER_TENANT_ID: undefined,
        DEFENDER_CLIENT_ID: undefined,
        KEY_VAULT_URI: undefined,
        EXPORT_STORAGE: undefined,
        AzureWebJobsStorage: undefined,
      }),
    );
    ledger.record('no settings', `${result.stdout}\n${result.stderr}`);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Invalid settings \(3\)/);
    // DEFENDER_TENANT_ID is optional (a tenant registry may name the tenants instead).
    expect(result.stderr).not.toMatch(/DEFENDER_TENANT_ID/);
    for (const name of ['DEFENDER_CLIENT_ID', 'KEY_VAULT_URI', 'EXPORT_STORAGE'])
      expect(result.stderr).toMatch(new RegExp(`  - ${name} is missing.*: set `));
  });

  it('runs once the settings are fixed', async () => {
    // The same environment with each problem fixed runs (exit 0): nothing else was wrong.
    world.tenant.incidents.seed(5, { spreadHours: 1 });
    const result = await runCli(['run'], cliEnvironment(world));
    ledger.record('fixed settings', `${result.stdout}\n${result.stderr}`);
    expect(result.code).toBe(0);
  });
});
