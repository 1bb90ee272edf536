import { copyFileSync, mkdirSync } from 'fs';
import { createServer } from 'net';
import { join } from 'path';
import type { ContainerClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import type { AzuriteBlob } from '../../src/local/azurite';
import { CLI, runCli } from '../support/cli';
import { defenderIncident, freshContainer, startWorld, writeExportBlob, type CliWorld } from './cliHarness';
import { emptyFolder, storageEnvironment } from './cliProcess';

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** A loopback port nobody listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('what a failed command prints (real CLI processes)', () => {
  let world: CliWorld & { azurite: AzuriteBlob };
  let container: ContainerClient;
  let env: Record<string, string>;
  beforeAll(async () => {
    world = await startWorld();
    container = await freshContainer(world);
    await writeExportBlob(container, {
      name: 'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json',
      incidents: [defenderIncident(2, 'High', '2026-11-27T07:58:00Z')],
    });
    env = storageEnvironment(world.azurite, container);
  });
  afterAll(async () => {
    await world.close();
  });

  it.each([
    [
      ['state', 'reset'],
      "error: required option '--watermark <time>' not specified",
      'see defender-export state reset --help',
    ],
    [
      ['list', '--from', '2026-11-28T00:00:00Z', '--to', '2026-11-27T00:00:00Z'],
      'error: --from 2026-11-28T00:00:00.0000000Z is after --to 2026-11-27T00:00:00.0000000Z: swap the two times.',
      'see defender-export list --help',
    ],
    [
      ['backfill', '--from', 'garbage'],
      "error: option '--from <time>' argument 'garbage' is invalid. 'garbage' is not an ISO 8601 " +
        'time; use e.g. 2026-11-27T07:30:00Z (UTC) or 2026-11-27T08:30:00+01:00.',
      'see defender-export backfill --help',
    ],
    [['frobnicate'], "error: unknown command 'frobnicate'", 'see defender-export --help'],
  ])('answers %j with one line and where to find the usage, exit code 2', async (args, error, hint) => {
    const result = await runCli(args, env);

    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual([error, hint]);
  });

  it.each([
    [
      '2026-11-28',
      'It has no time and no time zone: write e.g. 2026-11-28T00:00:00Z (UTC) or 2026-11-28T00:00:00+01:00.',
    ],
    [
      '2026-11-28T10:00',
      'It has no time zone: add Z (UTC) or an offset, e.g. 2026-11-28T10:00:00Z or 2026-11-28T10:00:00+01:00.',
    ],
  ])('says that %s lacks a time zone, with an example', async (time, message) => {
    const result = await runCli(['list', '--from', time], env);

    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)[0]).toContain(message);
  });

  it('refuses an unknown severity, listing the severities', async () => {
    const result = await runCli(['show', 'latest', '--severity', 'bogus'], env);

    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)[0]).toContain("'bogus' is not a severity: use high, medium, low or informational");
  });

  it('says on stderr that an --id matched nothing, and exits 0', async () => {
    const result = await runCli(['show', 'latest', '--id', '999999999'], env);

    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout.trim()).toBe('[]');
    expect(lines(result.stderr)).toEqual([
      'no incident with id 999999999 in incidents/2026/11/27/2026-11-27T08-00-03.512Z.json (1 incident read).',
    ]);
  });

  it.each([[['list']], [['status']], [['show', 'latest']], [['state', 'show']]])(
    'fails %j within seconds when the local storage emulator is not running, saying to start it',
    async (args) => {
      const port = await closedPort();
      const down = {
        ...env,
        EXPORT_STORAGE: world.azurite.connectionString.replace(/:\d+\/devstoreaccount1/, `:${port}/devstoreaccount1`),
      };
      const started = Date.now();

      const result = await runCli(args, down);

      // Process start included, on a loaded machine; retrying the refused connections took 18 s.
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(result.code).toBe(EXIT.failed);
      expect(lines(result.stderr)).toEqual([
        `error: The local storage emulator at http://127.0.0.1:${port} is not running ` +
          `(ECONNREFUSED): start 'npm start' in the project folder (it starts Azurite), or Azurite ` +
          `itself, then try again.`,
      ]);
    },
  );

  it('says to build first when the launcher runs before npm run build', async () => {
    const unbuilt = emptyFolder();
    mkdirSync(join(unbuilt, 'bin'));
    copyFileSync(CLI, join(unbuilt, 'bin', 'defender-export.js'));
    const { spawnSync } = await import('child_process');

    const result = spawnSync(process.execPath, [join(unbuilt, 'bin', 'defender-export.js'), '--help'], {
      encoding: 'utf8',
    });

    expect(result.status).toBe(EXIT.failed);
    expect(result.stderr).toBe(
      `defender-export is not built yet: run 'npm run build' in ${unbuilt}, then try again.\n`,
    );
  });
});
