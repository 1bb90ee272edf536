import { app, InvocationContext, type Timer } from '@azure/functions';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { createLogger } from '../../src/common/logger';
import { tenantLayout } from '../../src/export/blobLayout';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';
import { encodeQueueMessage, QueuePump } from '../../src/local/queuePump';
import { TenantRegistryStore, type TenantEntry } from '../../src/tenants/registry';
import { claimTenant } from '../support/claims';
import { tenantRunnerFor } from '../../src/tenants/tenantRunner';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, duplicates, missing } from '../support/invariants';
import { startWorld, type World } from '../support/world';

jest.spyOn(app, 'timer').mockImplementation(() => undefined);
jest.spyOn(app, 'storageQueue').mockImplementation(() => undefined);

/** The queue's consumer settings scaled down: a failed message comes back after 1 s (Azurite counts whole seconds). */
const FAST_QUEUE = {
  batchSize: 16,
  newBatchThreshold: 8,
  maxDequeueCount: 3,
  visibilityTimeoutMs: 1000,
  maxPollingIntervalMs: 200,
};
/** A tenant the simulated Entra does not know: what a customer whose consent is missing or revoked looks like. */
const FAILING_TENANT = 'not-consented.onmicrosoft.com';
const SCHEDULED: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

interface Invocation {
  readonly context: InvocationContext;
  readonly lines: string[];
}

function invocation(functionName: string, triggerMetadata?: Record<string, unknown>): Invocation {
  const lines: string[] = [];
  const context = new InvocationContext({
    functionName,
    logHandler: (_level, ...args) => lines.push(args.join(' ')),
    ...(triggerMetadata === undefined ? {} : { triggerMetadata }),
  });
  return { context, lines };
}

function summaryLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines
    .filter((line) => line.startsWith('ExportRunSummary '))
    .map((line) => JSON.parse(line.slice('ExportRunSummary '.length)) as Record<string, unknown>);
}

async function register(world: World, tenants: readonly TenantEntry[]): Promise<void> {
  await world.deps.ensureContainer();
  await new TenantRegistryStore(world.deps.stateContainer).update(() => ({ schemaVersion: 1, tenants }));
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('the runs queue: the timer fans out, exportTenant exports one tenant per message', () => {
  let world: World;
  let tenantId: string;
  afterEach(async () => {
    await world.close();
  });
  beforeEach(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    tenantId = world.tenant.tenantId.toLowerCase();
  });

  it('queues one message per enabled tenant of the registry (none for a disabled one) and exports nothing itself', async () => {
    const { exportIncidentsHandler, runsQueue } = await import('../../src/functions/exportIncidents');
    world.tenant.incidents.seed(10, { spreadHours: 1 });
    await register(world, [
      { tenantId, name: 'Contoso', enabled: true },
      { tenantId: 'fabrikam.onmicrosoft.com', enabled: true },
      { tenantId: 'paused.onmicrosoft.com', enabled: false },
    ]);
    const timer = invocation('exportIncidents');
    const tick = world.deps.clock.now().toISOString();

    await exportIncidentsHandler(() => world.runtime)(SCHEDULED, timer.context);

    const queued = timer.context.extraOutputs.get(runsQueue) as string[];
    expect(queued.map((text) => JSON.parse(text) as unknown)).toEqual([
      { tenantId, tick: expect.any(String) as unknown },
      { tenantId: 'fabrikam.onmicrosoft.com', tick: expect.any(String) as unknown },
    ]);
    expect(queued[0]).toMatch(/^\{"tenantId":"[^"]+","tick":"[^"]+"\}$/);
    expect(Date.parse((JSON.parse(queued[0] ?? '{}') as { tick: string }).tick)).toBeGreaterThanOrEqual(
      Date.parse(tick),
    );
    expect(await listBlobNames(world.container, 'tenants/')).toEqual([]);
    expect(summaryLines(timer.lines)).toEqual([]);
  });

  it('fails the tick loudly when the registry cannot be read, queuing nothing', async () => {
    const { exportIncidentsHandler, runsQueue } = await import('../../src/functions/exportIncidents');
    await world.deps.ensureContainer();
    const registry = world.deps.stateContainer.getBlockBlobClient('config/tenants.json');
    await registry.upload('{"schemaVersion": 1, "tenants": [', 31);
    const timer = invocation('exportIncidents');

    await expect(exportIncidentsHandler(() => world.runtime)(SCHEDULED, timer.context)).rejects.toMatchObject({
      code: expect.any(String) as unknown,
      message: expect.stringContaining('config/tenants.json') as unknown,
    });
    expect(timer.context.extraOutputs.get(runsQueue)).toBeUndefined();
  });

  it(
    'exports the tenant of a message under its prefix, its ExportRunSummary line naming the ' +
      'tenant and the attempt',
    async () => {
      const { exportTenantHandler } = await import('../../src/functions/exportTenant');
      world.tenant.incidents.seed(25, { spreadHours: 2 });
      await register(world, [{ tenantId, enabled: true }]);
      const queued = invocation('exportTenant', { dequeueCount: 1 });

      // The host hands a JSON message over parsed.
      await exportTenantHandler(() => world.runtime)({ tenantId, tick: new Date().toISOString() }, queued.context);

      const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(duplicates(exported)).toEqual([]);
      expect(summaryLines(queued.lines)).toEqual([
        expect.objectContaining({ tenantId, attempt: 1, trigger: 'queue', outcome: 'succeeded', incidents: 25 }),
      ]);
    },
  );

  it('completes a message whose tenant is busy (another run holds it) without work, and says so', async () => {
    const { exportTenantHandler } = await import('../../src/functions/exportTenant');
    world.tenant.incidents.seed(5, { spreadHours: 1 });
    await register(world, [{ tenantId, enabled: true }]);
    const held = await claimTenant(tenantRunnerFor(world.runtime), tenantId, world.logger);
    const queued = invocation('exportTenant', { dequeueCount: 1 });
    try {
      await exportTenantHandler(() => world.runtime)(
        JSON.stringify({ tenantId, tick: new Date().toISOString() }),
        queued.context,
      );
    } finally {
      await held.release();
    }

    expect(queued.lines.join('\n')).toMatch(/is busy: another run holds it\. This message completes without work/);
    expect(summaryLines(queued.lines)).toEqual([]);
    expect(await listBlobNames(world.container, tenantLayout(tenantId).exportPrefix)).toEqual([]);
  });

  it('fails the invocation on a message that is not a tenant run', async () => {
    const { exportTenantHandler } = await import('../../src/functions/exportTenant');
    const queued = invocation('exportTenant', { dequeueCount: 1 });

    await expect(exportTenantHandler(() => world.runtime)('{"tenant": "x"}', queued.context)).rejects.toMatchObject({
      code: 'InvalidQueueMessage',
    });
  });
});

describe('the runs queue end to end on Azurite: a failing tenant is retried, then poisoned, while the other exports', () => {
  let world: World;
  let queues: AzuriteBlob;
  afterAll(async () => {
    await queues.close();
    await world.close();
  });

  it('delivers each tenant its message; the failing one maxDequeueCount times, then to <queue>-poison', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    queues = await startAzurite({ queuePort: 0 });
    const { tickMessages } = await import('../../src/functions/fanOut');
    const { runQueuedTenant } = await import('../../src/functions/queuedRun');
    const { poisonQueueName, runMessageText } = await import('../../src/functions/runMessage');
    const tenantId = world.tenant.tenantId.toLowerCase();
    world.tenant.incidents.seed(40, { spreadHours: 2 });
    await register(world, [
      { tenantId: FAILING_TENANT, enabled: true },
      { tenantId, enabled: true },
    ]);
    const service = QueueServiceClient.fromConnectionString(queues.connectionString);
    const queue: QueueClient = service.getQueueClient(world.config.exportQueue);
    const poison = service.getQueueClient(poisonQueueName(world.config.exportQueue));
    await queue.create();
    const runner = tenantRunnerFor(world.runtime);
    const lines: string[] = [];
    const logger = createLogger({
      info: (line) => lines.push(line),
      warn: (line) => lines.push(line),
      error: (line) => lines.push(line),
    });
    const pump = new QueuePump({
      queue,
      poisonQueue: poison,
      settings: FAST_QUEUE,
      logger,
      minPollingIntervalMs: 20,
      handler: async (body, delivery) => {
        await runQueuedTenant(world.runtime, runner, body, logger, {
          dequeueCount: delivery.dequeueCount,
          invocationId: delivery.messageId,
        });
      },
    });

    for (const message of (await tickMessages(runner, world.deps.clock.now())) ?? [])
      await queue.sendMessage(encodeQueueMessage(runMessageText(message)));
    pump.start();
    await until(async () => (await poison.exists()) && (await poison.getProperties()).approximateMessagesCount === 1);
    await until(async () => (await queue.getProperties()).approximateMessagesCount === 0);
    await pump.stop();

    const summaries = summaryLines(lines);
    const failing = summaries.filter((summary) => summary.tenantId === FAILING_TENANT);
    expect(failing.map((summary) => [summary.outcome, summary.attempt])).toEqual([
      ['failed', 1],
      ['failed', 2],
      ['failed', 3],
    ]);
    expect(summaries.filter((summary) => summary.tenantId === tenantId)).toEqual([
      expect.objectContaining({ outcome: 'succeeded', attempt: 1, incidents: 40 }),
    ]);
    const [poisoned] = (await poison.peekMessages()).peekedMessageItems;
    expect(JSON.parse(Buffer.from(poisoned?.messageText ?? '', 'base64').toString('utf8'))).toMatchObject({
      tenantId: FAILING_TENANT,
    });
    const exported = await readExports(world.container, tenantLayout(tenantId).exportPrefix);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(await listBlobNames(world.container, tenantLayout(FAILING_TENANT).exportPrefix)).toEqual([]);
  });
});
