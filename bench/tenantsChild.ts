import { readFileSync } from 'fs';
import { join } from 'path';
import { ClientSecretCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import { silentLogger } from '../src/common/logger';
import { loadConfig } from '../src/config/loadConfig';
import { tickMessages } from '../src/functions/fanOut';
import { runQueuedTenant } from '../src/functions/queuedRun';
import { poisonQueueName, runMessageText } from '../src/functions/runMessage';
import { hostQueueSettings } from '../src/local/hostQueueSettings';
import { encodeQueueMessage, QueuePump } from '../src/local/queuePump';
import { createRuntime } from '../src/runtime/exporterRuntime';
import type { RateLimit } from '../src/sources/pacer';
import { TenantRegistryStore } from '../src/tenants/registry';
import { tenantRunnerFor } from '../src/tenants/tenantRunner';
import { peakRssMb, rssMb } from './processMemory';

/** What the parent asks of a tenants child (JSON in BENCH_TENANTS_CHILD). */
export interface TenantsTask {
  /** queue: the function app's queue path, `ticks` times; together: every tenant's run at once, no queue. */
  readonly mode: 'queue' | 'together';
  readonly env: Record<string, string>;
  readonly ca: string;
  readonly vaultReader: { tenantId: string; clientId: string; clientSecret: string; authorityHost: string };
  readonly rateLimits?: RateLimit[];
  readonly tenantIds: readonly string[];
  readonly ticks?: number;
}

/** One tick of the queue path as the child saw it. */
export interface TickReport {
  readonly startMs: number;
  readonly endMs: number;
  readonly runs: number;
  readonly busy: number;
  readonly failed: number;
  readonly incidents: number;
  readonly cpuMs: number;
  /** Each tenant run's own duration (from the handler's start to its end), ms. */
  readonly runMs: readonly number[];
}

export interface TenantsResult {
  readonly error?: string;
  readonly ticks: readonly TickReport[];
  readonly incidents: number;
  readonly wallMs: number;
  /** Resident memory once the runtime and clients were built, before any run. */
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
  /** Highest JS heap in use and Buffer (ArrayBuffer) bytes seen while the runs went on, sampled every 20 ms, MB. */
  readonly peakHeapUsedMb?: number;
  readonly peakArrayBuffersMb?: number;
  /** CPU time of the whole child (user + system), ms. */
  readonly cpuMs: number;
  /** host.json's concurrency the pump used: batchSize + newBatchThreshold. */
  readonly concurrency: number;
}

async function main(): Promise<void> {
  const task = JSON.parse(process.env.BENCH_TENANTS_CHILD ?? '{}') as TenantsTask;
  const config = loadConfig(task.env);
  const runtime = createRuntime(config, {
    azureCredential: new ClientSecretCredential(
      task.vaultReader.tenantId,
      task.vaultReader.clientId,
      task.vaultReader.clientSecret,
      { authorityHost: task.vaultReader.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: task.ca } },
    ),
    tlsCa: task.ca,
    runBudgetMs: 3_600_000,
    ...(task.rateLimits ? { rateLimits: task.rateLimits } : {}),
  });
  await runtime.platform.ensureContainers();
  await new TenantRegistryStore(runtime.platform.stateContainer).update(() => ({
    schemaVersion: 1,
    tenants: task.tenantIds.map((tenantId) => ({ tenantId: tenantId.toLowerCase(), enabled: true })),
  }));
  const runner = tenantRunnerFor(runtime);
  const settings = hostQueueSettings(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8'));
  const baselineRssMb = rssMb();
  const peaks = { heapUsed: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    peaks.heapUsed = Math.max(peaks.heapUsed, heapUsed / 2 ** 20);
    peaks.arrayBuffers = Math.max(peaks.arrayBuffers, arrayBuffers / 2 ** 20);
  }, 20);
  sampler.unref();
  const started = Date.now();
  const ticks: TickReport[] = [];
  let incidents = 0;

  if (task.mode === 'together') {
    const tick = new Date().toISOString();
    const outcomes = await Promise.all(
      task.tenantIds.map((tenantId) =>
        runQueuedTenant(runtime, runner, { tenantId: tenantId.toLowerCase(), tick }, silentLogger, {
          dequeueCount: 1,
          invocationId: 'bench',
        }),
      ),
    );
    for (const outcome of outcomes) if (outcome.kind === 'exported') incidents += outcome.summary.incidents;
  } else {
    const service = QueueServiceClient.fromConnectionString(task.env.EXPORT_STORAGE ?? '');
    const queue = service.getQueueClient(config.exportQueue);
    await queue.createIfNotExists();
    let current = { runs: 0, busy: 0, failed: 0, incidents: 0, runMs: [] as number[] };
    let onRun: () => void = () => undefined;
    const pump = new QueuePump({
      queue,
      poisonQueue: service.getQueueClient(poisonQueueName(config.exportQueue)),
      settings,
      logger: silentLogger,
      handler: async (body, delivery) => {
        const runStarted = Date.now();
        try {
          const outcome = await runQueuedTenant(runtime, runner, body, silentLogger, {
            dequeueCount: delivery.dequeueCount,
            invocationId: delivery.messageId,
          });
          if (outcome.kind === 'busy') current.busy += 1;
          else current.incidents += outcome.summary.incidents;
        } catch (error) {
          current.failed += 1;
          throw error;
        } finally {
          current.runs += 1;
          current.runMs.push(Date.now() - runStarted);
          onRun();
        }
      },
    });
    pump.start();
    for (let tick = 0; tick < (task.ticks ?? 1); tick += 1) {
      current = { runs: 0, busy: 0, failed: 0, incidents: 0, runMs: [] };
      const cpuBefore = process.cpuUsage();
      const startMs = Date.now();
      const messages = (await tickMessages(runner, new Date())) ?? [];
      const done = new Promise<void>((resolve) => {
        onRun = () => {
          if (current.runs >= messages.length) resolve();
        };
      });
      for (const message of messages) await queue.sendMessage(encodeQueueMessage(runMessageText(message)));
      pump.notify();
      await done;
      const cpu = process.cpuUsage(cpuBefore);
      ticks.push({ startMs, endMs: Date.now(), ...current, cpuMs: (cpu.user + cpu.system) / 1000 });
      incidents += current.incidents;
    }
    await pump.stop();
  }
  const result: TenantsResult = {
    ticks,
    incidents,
    wallMs: Date.now() - started,
    baselineRssMb,
    peakRssMb: peakRssMb(),
    peakHeapUsedMb: peaks.heapUsed,
    peakArrayBuffersMb: peaks.arrayBuffers,
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    concurrency: settings.batchSize + settings.newBatchThreshold,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  const result: TenantsResult = {
    error: error instanceof Error ? error.message : String(error),
    ticks: [],
    incidents: 0,
    wallMs: 0,
    baselineRssMb: 0,
    peakRssMb: peakRssMb(),
    cpuMs: 0,
    concurrency: 0,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
});
