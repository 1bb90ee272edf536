import type { ContainerClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import { startCli } from '../support/childRun';
import { defenderIncident, freshContainer, startWorld, writeExportBlob, writeState, type CliWorld } from './cliHarness';
import { closeStdoutAfterFirstBytes, storageEnvironment } from './cliProcess';
import type { AzuriteBlob } from '../../src/local/azurite';

const BLOB = 'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json';

describe('a closed stdout (defender-export ... | head -1, real CLI processes)', () => {
  let world: CliWorld & { azurite: AzuriteBlob };
  let container: ContainerClient;
  beforeAll(async () => {
    world = await startWorld();
    container = await freshContainer(world);
    // Far more than a pipe buffer holds, so the process is still writing when the reader goes away.
    const incidents = Array.from({ length: 3000 }, (_, index) => ({
      ...defenderIncident(index + 1, 'High', '2026-11-27T07:59:41.263Z'),
      comments: [{ comment: 'x'.repeat(200) }],
    }));
    await writeExportBlob(container, { name: BLOB, incidents });
    await writeState(container, {
      schemaVersion: 1,
      watermark: '2026-11-27T07:59:41.2630000Z',
      exported: {},
      source: 'defender',
      updatedAt: '2026-11-27T08:00:04.000Z',
    });
  });
  afterAll(async () => {
    await world.close();
  });

  it.each([[['show', BLOB]], [['show', 'latest', '--ndjson']], [['list']], [['state', 'show']]])(
    'ends %j quietly with exit code 0',
    async (args) => {
      const run = startCli(args, storageEnvironment(world.azurite, container));
      closeStdoutAfterFirstBytes(run);

      const result = await run.done;

      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
    },
  );
});
