import { EXIT } from '../../src/common/exitCodes';
import { cliEnvironment, runCli } from '../support/cli';
import { startWorld, type World } from '../support/world';

describe('defender-export run when the identity reading the vault cannot sign in (real CLI process)', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
  });
  afterAll(async () => {
    await world.close();
  });

  it('prints one line: what failed, the fix and the correlation id, and no secret', async () => {
    const result = await runCli(
      ['run'],
      cliEnvironment(world, { AZURE_CLIENT_SECRET: 'not-the-vault-readers-secret' }),
    );

    expect(result.code).toBe(EXIT.failed);
    const lines = result.stderr.split('\n').filter((line) => line !== '' && !/^\S+Z warn /.test(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^error: The identity reading Key Vault https:\/\/\S+ could not sign in: invalid client secret \(AADSTS7000215\)\. Fix AZURE_CLIENT_SECRET \(or unset AZURE_TENANT_ID\/AZURE_CLIENT_ID\/AZURE_CLIENT_SECRET and run 'az login'\); in Azure, check the function's managed identity \(AZURE_CLIENT_ID for a user-assigned one\)\. Correlation id [0-9a-f-]{36}\.$/,
    );
    expect(result.stderr).not.toContain('Trace ID');
    expect(result.stderr).not.toContain("vault's network rules");
    expect(result.stdout + result.stderr).not.toContain('not-the-vault-readers-secret');
  });
});
