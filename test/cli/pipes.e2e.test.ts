import type { ContainerClient } from '@azure/storage-blob';
import { EXIT } from '../../src/common/exitCodes';
import { REGISTRY_BLOB } from '../../src/tenants/registry';
import { startCli } from '../support/childRun';
import { cliEnvironment } from '../support/cli';
import { readState } from '../support/exportChecks';
import { startWorld as startTenantWorld, type World } from '../support/world';
import { defenderIncident, freshContainer, startWorld, writeExportBlob, writeState, type CliWorld } from './cliHarness';
import { closeStdoutAfterFirstBytes, closeStdoutAtOnce, storageEnvironment } from './cliProcess';
import type { AzuriteBlob } from '../../src/local/azurite';

const BLOB = 'incidents/2026/11/27/2026-11-27T08-00-03.512Z.json';

/** A registry whose `tenants list` is far more than a pipe buffer holds (about 300 KB). */
async function writeLargeRegistry(container: ContainerClient): Promise<void> {
  const tenants = Array.from({ length: 1500 }, (_, index) => ({
    tenantId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    name: `Customer ${index} ${'n'.repeat(100)}`,
    enabled: index % 2 === 0,
  }));
  const body = JSON.stringify({ schemaVersion: 1, tenants });
  await container.getBlockBlobClient(REGISTRY_BLOB).upload(body, Buffer.byteLength(body));
}

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

  it.each([[['tenants', 'list']], [['tenants', 'list', '--json']]])(
    'ends %j of a large registry quietly with exit code 0',
    async (args) => {
      // Prepare
      const registryContainer = await freshContainer(world);
      await writeLargeRegistry(registryContainer);
      const run = startCli(args, storageEnvironment(world.azurite, registryContainer));

      // Act
      closeStdoutAfterFirstBytes(run);
      const result = await run.done;

      // Assess
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
    },
  );

  it.each([[['status']], [['status', '--json']], [['tenants', 'list']], [['state', 'show']], [['list']]])(
    'ends %j quietly with exit code 0 when stdout is closed before its first line',
    async (args) => {
      // Prepare
      const healthy = await freshContainer(world);
      const now = new Date().toISOString();
      const success = { runId: 'run-1', at: now, trigger: 'timer', incidents: 3, blobs: [BLOB] };
      await writeState(healthy, {
        schemaVersion: 1,
        watermark: '2026-11-27T07:59:41.2630000Z',
        exported: {},
        source: 'defender',
        updatedAt: now,
        lastRun: success,
        lastSuccess: success,
      });
      const run = startCli(args, storageEnvironment(world.azurite, healthy));

      // Act
      closeStdoutAtOnce(run);
      const result = await run.done;

      // Assess
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
    },
  );
});

describe('a closed stdout on defender-export run (a real CLI process against the simulated tenant)', () => {
  let world: World;
  beforeAll(async () => {
    world = await startTenantWorld({ source: 'graph' });
  });
  afterAll(async () => {
    await world.close();
  });

  it('finishes the run, ends quietly and exits 0 when stdout is closed before its summary', async () => {
    // Prepare
    const run = startCli(['run'], cliEnvironment(world));

    // Act
    closeStdoutAtOnce(run);
    const result = await run.done;

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect((await readState(world.container))?.lastSuccess).toMatchObject({ trigger: 'cli' });
  });
});
