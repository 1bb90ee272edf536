import { EXIT } from '../../src/common/exitCodes';
import { writeLocalTenant } from '../../src/config/localTenantFile';
import { runCli } from '../support/cli';
import { startWorld, type World } from '../support/world';
import { emptyFolder } from './cliProcess';

/** A process id that no longer runs: a child that has exited. */
async function exitedPid(): Promise<number> {
  const { spawn } = await import('child_process');
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid ?? 0;
}

describe('--local (npm run local -- <command>) from a second terminal while npm start runs (real CLI processes)', () => {
  let world: World;
  let folder: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(30, { spreadHours: 2 });
    folder = emptyFolder();
    // What npm start writes: here this test process plays the running host.
    writeLocalTenant(folder, {
      pid: process.pid,
      settings: {
        ...world.env,
        AZURE_TENANT_ID: world.tenant.tenantId,
        AZURE_CLIENT_ID: world.tenant.vaultReader.clientId,
        AZURE_CLIENT_SECRET: world.tenant.vaultReader.clientSecret,
      },
      caCertPem: world.tenant.caCertPem,
    });
    // Nothing else: no settings in the environment, no NODE_EXTRA_CA_CERTS.
    env = { PATH: process.env.PATH ?? '', HOME: folder };
  });
  afterAll(async () => {
    await world.close();
  });

  it('runs the README examples against the simulated tenant with nothing but the folder', async () => {
    const run = await runCli(['--local', 'run'], env);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^exported 30 incidents to 1 blob/);

    const list = await runCli(['list', '--local'], env);
    expect(list.code).toBe(EXIT.ok);
    expect(list.stdout).toMatch(/^export\s+\S+Z\s+30\s/m);
  });

  it('reports each run once, also with --verbose: one summary for a success, one error line for a failure', async () => {
    const run = await runCli(['--local', '--verbose', 'run'], env);
    expect(run.code).toBe(EXIT.ok);
    expect(`${run.stdout}\n${run.stderr}`.match(/exported \d+ incident|Export run succeeded/g)).toHaveLength(1);

    const badFolder = emptyFolder();
    writeLocalTenant(badFolder, {
      pid: process.pid,
      settings: {
        ...world.env,
        EXPORT_CONTAINER: 'once-failed',
        DEFENDER_CLIENT_SECRET_NAME: 'nope',
        AZURE_TENANT_ID: world.tenant.tenantId,
        AZURE_CLIENT_ID: world.tenant.vaultReader.clientId,
        AZURE_CLIENT_SECRET: world.tenant.vaultReader.clientSecret,
      },
      caCertPem: world.tenant.caCertPem,
    });
    const failed = await runCli(['--local', '--verbose', 'run'], { ...env, HOME: badFolder });
    expect(failed.code).toBe(EXIT.failed);
    expect(failed.stderr.match(/'nope' was not found/g)).toHaveLength(1);
  });

  it('never reads the simulated tenant without --local', async () => {
    const result = await runCli(['run'], env);

    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/Invalid settings/);
  });

  it('says to start npm start when none wrote the file, or the one that did has stopped', async () => {
    const none = await runCli(['--local', 'status'], { ...env, HOME: emptyFolder() });
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toMatch(
      /\.local\/tenant\.json does not exist, so no simulated tenant is running here: start 'npm start' in this folder/,
    );

    const staleFolder = emptyFolder();
    writeLocalTenant(staleFolder, { pid: await exitedPid(), settings: {}, caCertPem: '' });
    const stale = await runCli(['--local', 'status'], { ...env, HOME: staleFolder });
    expect(stale.code).toBe(EXIT.usage);
    expect(stale.stderr).toMatch(/is no longer running: start 'npm start' in this folder/);
  });
});
