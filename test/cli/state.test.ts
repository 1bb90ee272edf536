import type { ContainerClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import { freshContainer, runCli, writeState, suiteWorld } from './cliHarness';

const NOW = new Date('2026-11-27T08:10:00.000Z');

describe('defender-export state reset', () => {
  const world = suiteWorld();
  let container: ContainerClient;
  beforeEach(async () => {
    container = await freshContainer(world);
    await writeState(container, {
      schemaVersion: 1,
      watermark: '2026-11-27T07:59:41.2630000Z',
      exported: {},
      source: 'defender',
      updatedAt: '2026-11-27T08:00:04.000Z',
    });
  });

  const watermark = async (): Promise<unknown> =>
    (
      JSON.parse(
        (await container.getBlockBlobClient('state/exporter-state.json').downloadToBuffer()).toString('utf8'),
      ) as { watermark: unknown }
    ).watermark;

  it('refuses a watermark in the future with one line and exit code 2, leaving the state alone', async () => {
    const result = await runCli(container, ['state', 'reset', '--watermark', '2030-01-01T00:00:00Z'], NOW);

    expect(result.exitCode).toBe(EXIT.usage);
    expect(result.stderr).toBe(
      'error: --watermark 2030-01-01T00:00:00.0000000Z is in the future (now ' +
        '2026-11-27T08:10:00.0000000Z): every incident updated until then would be skipped. Give a ' +
        'past time.\n',
    );
    expect(await watermark()).toBe('2026-11-27T07:59:41.2630000Z');
  });

  it('says that a watermark earlier than the current one re-exports', async () => {
    const result = await runCli(container, ['state', 'reset', '--watermark', '2026-11-27T07:00:00Z'], NOW);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.lines).toEqual([
      'state reset: watermark moved back from 2026-11-27T07:59:41.2630000Z to ' +
        '2026-11-27T07:00:00.0000000Z: the next run exports the incidents updated since ' +
        '2026-11-27T07:00:00.0000000Z (minus the overlap window), so incidents already exported ' +
        'after 2026-11-27T07:00:00.0000000Z are exported again, into new blobs.',
    ]);
    expect(await watermark()).toBe('2026-11-27T07:00:00.0000000Z');
  });

  it('says that a later watermark skips the incidents in between, and how to get them', async () => {
    const result = await runCli(container, ['state', 'reset', '--watermark', '2026-11-27T08:05:00Z'], NOW);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(result.stdout).toContain(
      "incidents updated in between are not exported (run 'defender-export backfill --from " +
        "2026-11-27T07:59:41.2630000Z --to 2026-11-27T08:05:00.0000000Z' to get them)",
    );
  });

  it('replaces an unreadable state, which is what reset is for', async () => {
    await container.getBlockBlobClient('state/exporter-state.json').upload('{not json', 9);

    const result = await runCli(container, ['state', 'reset', '--watermark', '2026-11-27T07:00:00Z'], NOW);

    expect(result.exitCode).toBe(EXIT.ok);
    expect(await watermark()).toBe('2026-11-27T07:00:00.0000000Z');
  });
});
