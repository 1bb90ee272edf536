import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { readFileSync } from 'fs';
import { join } from 'path';
import { createLogger } from '../../src/common/logger';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';
import { hostQueueSettings, type HostQueueSettings } from '../../src/local/hostQueueSettings';
import {
  decodeQueueMessage,
  encodeQueueMessage,
  QueuePump,
  type QueueDelivery,
  type QueueMessageHandler,
} from '../../src/local/queuePump';

/** Host settings scaled down so that retries come after 1 s (Azurite counts visibility in whole seconds). */
const FAST: HostQueueSettings = {
  batchSize: 4,
  newBatchThreshold: 2,
  maxDequeueCount: 3,
  visibilityTimeoutMs: 1000,
  maxPollingIntervalMs: 200,
};

let azurite: AzuriteBlob;
let service: QueueServiceClient;
let queueCounter = 0;
const logLines: string[] = [];
const logger = createLogger({
  info: (line) => logLines.push(line),
  warn: (line) => logLines.push(line),
  error: (line) => logLines.push(line),
});

beforeAll(async () => {
  azurite = await startAzurite({ queuePort: 0 });
  service = QueueServiceClient.fromConnectionString(azurite.connectionString);
});
afterAll(async () => {
  await azurite.close();
});

async function newQueues(): Promise<{ queue: QueueClient; poison: QueueClient }> {
  queueCounter += 1;
  const queue = service.getQueueClient(`runs-${queueCounter}`);
  await queue.create();
  return { queue, poison: service.getQueueClient(`runs-${queueCounter}-poison`) };
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function messagesIn(queue: QueueClient): Promise<string[]> {
  if (!(await queue.exists())) return [];
  const peeked = await queue.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((item) => item.messageText);
}

function pumpOf(
  queues: { queue: QueueClient; poison: QueueClient },
  handler: QueueMessageHandler,
  settings: HostQueueSettings = FAST,
  leaseMs?: number,
): QueuePump {
  return new QueuePump({
    queue: queues.queue,
    poisonQueue: queues.poison,
    settings,
    handler,
    logger,
    minPollingIntervalMs: 20,
    ...(leaseMs === undefined ? {} : { leaseMs }),
  });
}

describe('the local queue pump (the Functions host queue listener on Azurite)', () => {
  it('hands the handler the JSON body decoded as the host does, and deletes the message once handled', async () => {
    const queues = await newQueues();
    const seen: Array<{ body: unknown; delivery: QueueDelivery }> = [];
    await queues.queue.sendMessage(
      encodeQueueMessage('{"tenantId":"contoso.onmicrosoft.com","tick":"2026-11-28T13:00:00.000Z"}'),
    );
    const pump = pumpOf(queues, (body, delivery) => {
      seen.push({ body, delivery });
      return Promise.resolve();
    });
    pump.start();
    await until(() => seen.length === 1);
    await pump.stop();

    expect(seen[0]?.body).toEqual({ tenantId: 'contoso.onmicrosoft.com', tick: '2026-11-28T13:00:00.000Z' });
    expect(seen[0]?.delivery.dequeueCount).toBe(1);
    expect(await messagesIn(queues.queue)).toEqual([]);
    expect(await queues.poison.exists()).toBe(false);
  });

  it(
    'delivers a failing message again after visibilityTimeout, maxDequeueCount times, then ' +
      'moves it to the poison queue unchanged',
    async () => {
      const queues = await newQueues();
      const attempts: number[] = [];
      const text = encodeQueueMessage('{"tenantId":"failing","tick":"2026-11-28T13:00:00.000Z"}');
      await queues.queue.sendMessage(text);
      const pump = pumpOf(queues, (_body, delivery) => {
        attempts.push(delivery.dequeueCount);
        return Promise.reject(new Error('consent revoked'));
      });
      pump.start();
      await until(async () => (await messagesIn(queues.poison)).length === 1);
      await pump.stop();

      expect(attempts).toEqual([1, 2, 3]);
      expect(await messagesIn(queues.poison)).toEqual([text]);
      expect(await messagesIn(queues.queue)).toEqual([]);
      expect(logLines.join('\n')).toMatch(/moved to runs-\d+-poison \(delivery 3 failed: consent revoked\)/);
    },
  );

  it(
    'moves a message whose handler never finished (dequeue count above the maximum) to the ' +
      'poison queue without running it',
    async () => {
      const queues = await newQueues();
      await queues.queue.sendMessage(encodeQueueMessage('{"tenantId":"crashing","tick":"2026-11-28T13:00:00.000Z"}'));
      // Three deliveries whose handler died before completing: each lease ran out (1 s).
      for (let delivery = 1; delivery <= FAST.maxDequeueCount; delivery += 1) {
        await until(
          async () => (await queues.queue.receiveMessages({ visibilityTimeout: 1 })).receivedMessageItems.length === 1,
        );
      }
      const ran: unknown[] = [];
      const pump = pumpOf(queues, (body) => {
        ran.push(body);
        return Promise.resolve();
      });
      pump.start();
      await until(async () => (await messagesIn(queues.poison)).length === 1);
      await pump.stop();

      expect(ran).toEqual([]);
      expect(await messagesIn(queues.queue)).toEqual([]);
    },
  );

  it('keeps a message invisible while its handler runs longer than the lease (renewed at half)', async () => {
    const queues = await newQueues();
    await queues.queue.sendMessage(encodeQueueMessage('{"tenantId":"slow","tick":"2026-11-28T13:00:00.000Z"}'));
    const deliveries: number[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const pump = pumpOf(
      queues,
      async (_body, delivery) => {
        deliveries.push(delivery.dequeueCount);
        await released;
      },
      FAST,
      2000,
    );
    pump.start();
    await until(() => deliveries.length === 1);
    // Three lease lengths: without renewal the message would be visible (and delivered) again.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const visibleMeanwhile = (await queues.queue.receiveMessages()).receivedMessageItems.length;
    release();
    await until(async () => (await messagesIn(queues.queue)).length === 0);
    await pump.stop();

    expect(visibleMeanwhile).toBe(0);
    expect(deliveries).toEqual([1]);
  });

  it(
    'runs at most batchSize + newBatchThreshold messages at once, fetching a batch when in ' +
      'flight drops to the threshold',
    async () => {
      const queues = await newQueues();
      for (let index = 0; index < 12; index += 1)
        await queues.queue.sendMessage(encodeQueueMessage(JSON.stringify({ tenantId: `t${index}`, tick: 'x' })));
      const gates: Array<() => void> = [];
      let peak = 0;
      let handled = 0;
      const pump = pumpOf(queues, async () => {
        await new Promise<void>((resolve) => {
          gates.push(resolve);
          peak = Math.max(peak, gates.length - handled);
        });
        handled += 1;
      });
      pump.start();
      await until(() => gates.length === FAST.batchSize);
      // Two finish: in flight drops to the threshold (2), so the next batch of 4 is fetched: 6 at once.
      gates[0]?.();
      gates[1]?.();
      await until(() => gates.length === FAST.batchSize + 4);
      for (let next = 2; next < 12; next += 1) {
        await until(() => gates.length > next);
        gates[next]?.();
      }
      await until(() => handled === 12);
      await pump.stop();

      expect(peak).toBe(FAST.batchSize + FAST.newBatchThreshold);
    },
  );

  it('reads host.json, the file the Functions host reads, with the host defaults for what it leaves out', () => {
    const settings = hostQueueSettings(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8'));

    expect(settings.batchSize).toBeGreaterThanOrEqual(1);
    expect(settings.batchSize).toBeLessThanOrEqual(32);
    expect(settings.maxDequeueCount).toBeGreaterThanOrEqual(2);
    expect(hostQueueSettings('{"version": "2.0"}')).toEqual({
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 60_000,
    });
    expect(
      hostQueueSettings('{"extensions": {"queues": {"visibilityTimeout": "00:01:30", "maxPollingInterval": 2000}}}'),
    ).toMatchObject({
      visibilityTimeoutMs: 90_000,
      maxPollingIntervalMs: 2000,
    });
  });

  it('decodes messages as the host does by default (base64), and refuses text that is not base64', () => {
    expect(decodeQueueMessage(encodeQueueMessage('{"a":1}'))).toEqual({ a: 1 });
    expect(decodeQueueMessage(encodeQueueMessage('plain text'))).toBe('plain text');
    expect(() => decodeQueueMessage('{"tenantId": "x"}')).toThrow(/not base64/);
  });
});
