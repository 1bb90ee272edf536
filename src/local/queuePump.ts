import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { describeError, toError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { HostQueueSettings } from './hostQueueSettings';

/** How a message reached the handler: 1 on its first delivery. */
export interface QueueDelivery {
  readonly dequeueCount: number;
  readonly messageId: string;
}

/** Handles one message: the parsed JSON body (or the text when it is not JSON). Throwing fails the delivery. */
export type QueueMessageHandler = (queueEntry: unknown, delivery: QueueDelivery) => Promise<void>;

export interface QueuePumpOptions {
  readonly queue: QueueClient;
  /** Where a message goes after its last failed delivery: `<queue>-poison`, created when first needed. */
  readonly poisonQueue: QueueClient;
  readonly settings: HostQueueSettings;
  readonly handler: QueueMessageHandler;
  readonly logger: Logger;
  /** How long a received message stays invisible while it is handled, renewed at half of it. The host's: 10 minutes. */
  readonly leaseMs?: number;
  /** Shortest wait between polls of an empty queue (doubled up to maxPollingInterval). The host's: 100 ms. */
  readonly minPollingIntervalMs?: number;
}

/** The host's message lease while a function runs (QueueListener), renewed at half. */
const HOST_LEASE_MS = 10 * 60_000;

/** A queue message's text as the Functions host writes and reads it by default (host.json `messageEncoding: base64`). */
export function encodeQueueMessage(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * The local stand-in for the Functions host's queue listener, with its semantics: fetch `batchSize` messages while
 * no more than `newBatchThreshold` are in flight; keep each invisible while it is handled (lease renewed at half);
 * on success delete it; on failure make it visible again after `visibilityTimeout`, or, at its `maxDequeueCount`th
 * delivery, copy it to the poison queue and delete it. A message fetched with a dequeue count already above the
 * maximum (its handler crashed) goes to the poison queue without running. An empty queue is polled with a backoff
 * up to `maxPollingInterval`; `notify()` polls at once, as the host does for messages its own functions wrote.
 */
export class QueuePump {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly leaseSeconds: number;
  private readonly minPollingIntervalMs: number;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private poisonReady: Promise<unknown> | undefined;

  constructor(private readonly options: QueuePumpOptions) {
    this.leaseSeconds = Math.max(1, Math.round((options.leaseMs ?? HOST_LEASE_MS) / 1000));
    this.minPollingIntervalMs = options.minPollingIntervalMs ?? 100;
  }

  /** Starts polling. */
  start(): void {
    this.running ??= this.pump();
  }

  /** Polls now instead of at the end of the current backoff. */
  notify(): void {
    this.wake?.();
  }

  /** Stops polling and waits for the messages in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.notify();
    await this.running;
    await Promise.all([...this.inFlight]);
  }

  private async pump(): Promise<void> {
    const { settings, queue, logger } = this.options;
    let idleMs = this.minPollingIntervalMs;
    while (!this.stopped) {
      if (this.inFlight.size > settings.newBatchThreshold) {
        await Promise.race([...this.inFlight, this.wakeUp(undefined)]);
        continue;
      }
      let received: DequeuedMessageItem[];
      try {
        received = (
          await queue.receiveMessages({ numberOfMessages: settings.batchSize, visibilityTimeout: this.leaseSeconds })
        ).receivedMessageItems;
      } catch (error) {
        logger.warn(`Could not read queue ${queue.name}: ${describeError(error)}`);
        received = [];
      }
      if (received.length === 0) {
        await this.wakeUp(idleMs);
        idleMs = Math.min(idleMs * 2, settings.maxPollingIntervalMs);
        continue;
      }
      idleMs = this.minPollingIntervalMs;
      for (const message of received) {
        const handling = this.handle(message).finally(() => {
          this.inFlight.delete(handling);
          this.notify();
        });
        this.inFlight.add(handling);
      }
    }
  }

  /** Resolves after `ms` (never, when undefined) or at the next notify(). */
  private wakeUp(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.wake = () => {
        if (timer) clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async handle(message: DequeuedMessageItem): Promise<void> {
    const { settings, queue, logger, handler } = this.options;
    try {
      if (message.dequeueCount > settings.maxDequeueCount) {
        await this.poison(message, message.popReceipt, 'its handler stopped before finishing on its last delivery');
        return;
      }
      const lease = new MessageLease(queue, message.messageId, message.popReceipt, this.leaseSeconds);
      let failure: unknown;
      let failed = false;
      try {
        await handler(decodeQueueMessage(message.messageText), {
          dequeueCount: message.dequeueCount,
          messageId: message.messageId,
        });
      } catch (error) {
        failed = true;
        failure = error;
      }
      const popReceipt = await lease.end();
      if (!failed) {
        await queue.deleteMessage(message.messageId, popReceipt);
      } else if (message.dequeueCount >= settings.maxDequeueCount) {
        await this.poison(message, popReceipt, `delivery ${message.dequeueCount} failed: ${describeError(failure)}`);
      } else {
        logger.warn(
          `Queue message ${message.messageId} failed on delivery ${message.dequeueCount} of ` +
            `${settings.maxDequeueCount}; delivered again in ${settings.visibilityTimeoutMs / 1000} s: ` +
            `${describeError(failure)}`,
        );
        await queue.updateMessage(
          message.messageId,
          popReceipt,
          undefined,
          Math.round(settings.visibilityTimeoutMs / 1000),
        );
      }
    } catch (error) {
      // The lease is lost or storage failed: the message becomes visible again when its lease ends, as in the host.
      logger.error(`Queue message ${message.messageId} could not be completed: ${describeError(error)}`);
    }
  }

  private async poison(message: DequeuedMessageItem, popReceipt: string, why: string): Promise<void> {
    const { poisonQueue, queue, logger } = this.options;
    this.poisonReady ??= poisonQueue.createIfNotExists();
    await this.poisonReady;
    await poisonQueue.sendMessage(message.messageText);
    await queue.deleteMessage(message.messageId, popReceipt);
    logger.error(`Queue message ${message.messageId} moved to ${poisonQueue.name} (${why})`);
  }
}

/**
 * Keeps a message invisible while it is handled, renewing at half the lease. `end()` gives the current pop receipt,
 * or throws when a renewal failed (the lease was lost: the message is visible again and will be redelivered).
 */
class MessageLease {
  private popReceipt: string;
  private renewal: Promise<void> = Promise.resolve();
  private lost: Error | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(queue: QueueClient, messageId: string, popReceipt: string, leaseSeconds: number) {
    this.popReceipt = popReceipt;
    this.timer = setInterval(
      () => {
        this.renewal = this.renewal
          .then(async () => {
            if (this.lost !== undefined) return;
            const renewed = await queue.updateMessage(messageId, this.popReceipt, undefined, leaseSeconds);
            if (renewed.popReceipt !== undefined) this.popReceipt = renewed.popReceipt;
          })
          .catch((error: unknown) => {
            this.lost ??= toError(error);
          });
      },
      (leaseSeconds * 1000) / 2,
    );
  }

  async end(): Promise<string> {
    clearInterval(this.timer);
    await this.renewal;
    if (this.lost !== undefined) throw this.lost;
    return this.popReceipt;
  }
}

/** The body the Functions host hands a Node.js function: base64 decoded, then parsed when it is JSON. */
export function decodeQueueMessage(messageText: string): unknown {
  const text = Buffer.from(messageText, 'base64').toString('utf8');
  if (encodeQueueMessage(text).replace(/=+$/, '') !== messageText.trim().replace(/=+$/, ''))
    throw new Error(
      `The queue message is not base64 (host.json messageEncoding): write messages through the ` +
        `runs queue's output binding.`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
