import { EXIT } from '../../src/common/exitCodes';
import { listBlobNames } from '../support/exports';
import { startWorld, type World } from '../support/world';
import { runWorldCli } from '../support/worldCli';

describe('a first run that fails (defender-export run, status and state show on a new container)', () => {
  let world: World;
  beforeAll(async () => {
    // A new, empty container, and a secret name the vault does not hold.
    world = await startWorld({ settings: { DEFENDER_CLIENT_SECRET_NAME: 'no-such-secret' } });
  });
  afterAll(async () => {
    await world.close();
  });

  it('fails with exit code 1, and status and state show then report that failure as the last error', async () => {
    // Act
    const run = await runWorldCli(world, ['run']);
    const status = await runWorldCli(world, ['status']);
    const shown = await runWorldCli(world, ['state', 'show']);

    // Assess
    expect(run.exitCode).toBe(EXIT.failed);
    expect(run.stderr).toContain('no-such-secret');
    expect(await listBlobNames(world.container, 'incidents/')).toEqual([]);
    expect(status.exitCode).toBe(EXIT.unhealthy);
    expect(status.lines).toContainEqual(expect.stringMatching(/^last error: +\S+ SecretNotFound: /));
    const state = JSON.parse(shown.stdout) as { lastError?: unknown; lastSuccess?: unknown };
    expect(state.lastError).toMatchObject({ trigger: 'cli', code: 'SecretNotFound' });
    expect(state.lastSuccess).toBeUndefined();
  });
});
