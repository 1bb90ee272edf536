import { fromDate, minusMs, type Timestamp } from '../../src/common/timestamp';
import { readExports } from '../support/exports';
import { cliEnvironment, runCli } from '../support/cli';
import { startWorld, type World } from '../support/world';

const hoursAgo = (hours: number): Timestamp => minusMs(fromDate(new Date()), hours * 3_600_000);

describe('defender-export backfill (the real CLI process)', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(250, { spreadHours: 20 });
  });
  afterAll(async () => {
    await world.close();
  });

  it('re-exports a window with plain progress lines off a terminal, then says it is complete', async () => {
    const env = cliEnvironment(world);
    const result = await runCli(['backfill', '--from', hoursAgo(24), '--to', hoursAgo(0)], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^progress: \d+\.\d% pages=1 incidents=100 rate=\d+\/s eta=/m);
    expect(result.stdout).toMatch(/^backfill \S+ complete: 250 incidents in 1 blob \(250 this time\)/);
    expect(await readExports(world.container, 'backfill/')).toHaveLength(250);
    const again = await runCli(['backfill', '--from', hoursAgo(24), '--to', hoursAgo(0)], env);
    expect(again.stdout).toMatch(/already complete|complete: 250 incidents/);
  });

  it.each([
    [['backfill', '--from', 'last tuesday'], /'from' is not an ISO 8601 time: 'last tuesday'/],
    [['backfill', '--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T09:00:00Z'], /must be before 'to'/],
    [['backfill', '--from', '2020-01-01T00:00:00Z'], /beyond the API's 180-day retention/],
    [['backfill'], /required option '--from <time>' not specified/],
  ])('rejects %j with a clear message and exit code 2', async (args, message) => {
    const result = await runCli(args, cliEnvironment(world));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
