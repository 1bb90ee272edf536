import { BlobServiceClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import { fromDate, minusMs, type Timestamp } from '../../src/common/timestamp';
import { startCli, type ChildRun } from '../support/childRun';
import { readExports } from '../support/exports';
import { cliEnvironment, runCli } from '../support/cli';
import { startWorld, type World } from '../support/world';
import { watchOutput } from './cliProcess';

const hoursAgo = (hours: number): Timestamp => minusMs(fromDate(new Date()), hours * 3_600_000);
/** With API_CALLS_PER_MINUTE=1 the second list call waits about this long for the quota. */
const QUOTA_WAIT_MS = 60_000;
/** How long the simulated Defender API holds a page when told to be slow. */
const SLOW_PAGE_MS = 30_000;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 25));
}

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
    [['backfill', '--from', 'last tuesday'], /'last tuesday' is not an ISO 8601 time/],
    [
      ['backfill', '--from', '2099-01-01T00:00:00Z'],
      /^error: --from 2099-01-01T00:00:00.0000000Z is in the future \(now [^)]+\): a backfill re-exports a past window; give an earlier time.$/m,
    ],
    [['backfill', '--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T09:00:00Z'], /must be before 'to'/],
    [['backfill', '--from', '2020-01-01T00:00:00Z'], /beyond the API's 180-day retention/],
    [['backfill'], /required option '--from <time>' not specified/],
  ])('rejects %j with a clear message and exit code 2', async (args, message) => {
    const result = await runCli(args, cliEnvironment(world));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  describe('Ctrl+C while the run waits for the API quota (one list call per minute)', () => {
    const running: ChildRun[] = [];
    afterEach(() => {
      for (const run of running.splice(0)) run.kill();
    });
    const listCalls = (): number =>
      world.tenant.requests.filter((request) => request.server === 'defender' && request.path === '/api/incidents')
        .length;
    const paced = (container: string): Record<string, string> =>
      cliEnvironment(world, { EXPORT_CONTAINER: container, API_CALLS_PER_MINUTE: '1' });

    it(
      'says it waits, acknowledges the first Ctrl+C at once, commits what was read, and the same ' +
        'command resumes where it stood',
      async () => {
        const window = ['backfill', '--from', hoursAgo(24), '--to', hoursAgo(0)];
        const run = startCli(window, paced('ctrl-c-once'));
        running.push(run);
        const output = watchOutput(run);
        await output.until('stderr', /^progress: waiting for the API quota: (\d+ s|1 min)/m);
        await output.until('stderr', /^progress: \d+\.\d% pages=1 incidents=100 /m);
        const interruptedAt = Date.now();

        run.child.kill('SIGINT');
        const result = await run.done;

        // The quota wait it must cut short is about a minute; a loaded machine needs seconds to commit and exit.
        expect(Date.now() - interruptedAt).toBeLessThan(QUOTA_WAIT_MS / 3);
        expect(result.code).toBe(EXIT.interrupted);
        expect(result.stderr).toContain(
          'Ctrl+C: stopping at the next page boundary and committing what was read; press Ctrl+C again to stop now.',
        );
        expect(result.stdout).toMatch(
          /^backfill \S+ paused \(interrupted\); run the same command again to resume: 100 incidents in 1 blob/,
        );
        const again = await runCli(window, cliEnvironment(world, { EXPORT_CONTAINER: 'ctrl-c-once' }));
        expect(again.stderr).toMatch(/^resuming backfill \S+ at \d+%: 100 incidents in 1 blob already exported\.$/m);
        expect(again.stdout).toMatch(/complete: 250 incidents in 2 blobs \(150 this time\)/);
        const exported = await readExports(
          BlobServiceClient.fromConnectionString(world.azurite.connectionString).getContainerClient('ctrl-c-once'),
          'backfill/',
        );
        expect(exported).toHaveLength(250);
      },
    );

    it(
      'stops now on a second Ctrl+C while a page is still on its way, and the same command then ' +
        'exports everything exactly once',
      async () => {
        const window = ['backfill', '--from', hoursAgo(23), '--to', hoursAgo(0)];
        world.tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: SLOW_PAGE_MS, persistent: true });
        const listCallsBefore = listCalls();
        const run = startCli(window, cliEnvironment(world, { EXPORT_CONTAINER: 'ctrl-c-twice' }));
        running.push(run);
        const output = watchOutput(run);
        // The first page is on its way (and the Ctrl+C handler, set before the run starts, is in place).
        await until(() => listCalls() > listCallsBefore || run.child.exitCode !== null);
        run.child.kill('SIGINT');
        await output.until('stderr', /^Ctrl\+C: stopping at the next page boundary/m);
        const secondAt = Date.now();

        run.child.kill('SIGINT');
        const result = await run.done;

        world.tenant.faults.clear();
        // Waiting for the page in flight would take most of SLOW_PAGE_MS; stopping now takes a process exit.
        expect(Date.now() - secondAt).toBeLessThan(SLOW_PAGE_MS / 3);
        expect(result.code).toBe(EXIT.interrupted);
        expect(result.stderr).toContain(
          'Stopped now. Run the same command again to resume from the last committed part.',
        );
        const again = await runCli(window, cliEnvironment(world, { EXPORT_CONTAINER: 'ctrl-c-twice' }));
        expect(again.code).toBe(EXIT.ok);
        const exported = await readExports(
          BlobServiceClient.fromConnectionString(world.azurite.connectionString).getContainerClient('ctrl-c-twice'),
          'backfill/',
        );
        expect(new Set(exported.map((version) => `${version.id}@${version.lastUpdateTime}`)).size).toBe(250);
        expect(exported).toHaveLength(250);
      },
    );
  });
});
