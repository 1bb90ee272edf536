import { readFileSync } from 'fs';
import { join } from 'path';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { Logger } from '../common/logger';
import { formatSummary } from '../export/runSummary';
import { tickMessages } from '../functions/fanOut';
import { runQueuedTenant } from '../functions/queuedRun';
import { poisonQueueName, runMessageText } from '../functions/runMessage';
import { tenantRunnerFor } from '../tenants/tenantRunner';
import type { ExporterRuntime } from '../runtime/exporterRuntime';
import { hostQueueSettings } from './hostQueueSettings';
import { encodeQueueMessage, QueuePump } from './queuePump';

/** The local host's side of the runs queue: the timer's fan-out, and the pump that feeds exportTenant's handler. */
export interface LocalQueuePath {
  /** One timer tick: queues a message per enabled tenant (as exportIncidents does); false without a registry. */
  tick(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The real queue path of the function app on Azurite's queue service: each tick queues the registry's tenants on
 * EXPORT_QUEUE, as the timer's output binding does (base64, the host's encoding), and a pump with the Functions
 * host's semantics and host.json's settings delivers each message to the handler exportTenant runs in Azure.
 */
export async function startLocalQueuePath(options: {
  readonly runtime: ExporterRuntime;
  /** Azurite's connection string with its QueueEndpoint. */
  readonly connectionString: string;
  readonly projectRoot: string;
  readonly logger: Logger;
}): Promise<LocalQueuePath> {
  const { runtime, logger } = options;
  const service = QueueServiceClient.fromConnectionString(options.connectionString);
  const queue: QueueClient = service.getQueueClient(runtime.config.exportQueue);
  await queue.createIfNotExists();
  const runner = tenantRunnerFor(runtime);
  // The terminal gets each run's readable line below instead of the JSON summary line meant for Application Insights.
  const runLogger: Logger = {
    ...logger,
    info: (message, properties) => {
      if (!message.startsWith('ExportRunSummary ')) logger.info(message, properties);
    },
  };
  const pump = new QueuePump({
    queue,
    poisonQueue: service.getQueueClient(poisonQueueName(runtime.config.exportQueue)),
    settings: hostQueueSettings(readFileSync(join(options.projectRoot, 'host.json'), 'utf8')),
    logger,
    handler: async (body, delivery) => {
      const outcome = await runQueuedTenant(runtime, runner, body, runLogger, {
        dequeueCount: delivery.dequeueCount,
        invocationId: delivery.messageId,
      });
      if (outcome.kind === 'exported') logger.info(`tenant ${outcome.tenantId}: ${formatSummary(outcome.summary)}`);
    },
  });
  pump.start();
  return {
    tick: async () => {
      const messages = await tickMessages(runner, runtime.platform.clock.now());
      if (messages === undefined) return false;
      for (const message of messages) await queue.sendMessage(encodeQueueMessage(runMessageText(message)));
      pump.notify();
      logger.info(`Queued ${messages.length} tenant run(s) on ${queue.name} (Azurite)`);
      return true;
    },
    stop: () => pump.stop(),
  };
}
