import { numberProperty, property, stringProperty } from '../common/jsonFields';

/** host.json's `extensions.queues`: how the Functions host (and the local pump) consume a queue. */
export interface HostQueueSettings {
  /** Messages fetched per poll (1 to 32). */
  readonly batchSize: number;
  /** A new batch is fetched once the messages in flight drop to this; at most batchSize + newBatchThreshold at once. */
  readonly newBatchThreshold: number;
  /** Deliveries of a message before it moves to the poison queue. */
  readonly maxDequeueCount: number;
  /** How long a failed message stays invisible before its next delivery. */
  readonly visibilityTimeoutMs: number;
  /** Longest wait between polls of an empty queue. */
  readonly maxPollingIntervalMs: number;
}

/** The host's defaults (Azure Functions storage queue extension 5.x) for what host.json leaves out. */
const DEFAULTS = { batchSize: 16, maxDequeueCount: 5, visibilityTimeoutMs: 0, maxPollingIntervalMs: 60_000 };

/**
 * Reads the queue settings from host.json's text, with the host's defaults for what it leaves out, so that the
 * local pump follows exactly the file the Functions host reads. A malformed file or value throws, naming it.
 */
export function hostQueueSettings(hostJson: string): HostQueueSettings {
  const queues = property(property(JSON.parse(hostJson) as unknown, 'extensions'), 'queues');
  const batchSize = numberProperty(queues, 'batchSize') ?? DEFAULTS.batchSize;
  return {
    batchSize,
    newBatchThreshold: numberProperty(queues, 'newBatchThreshold') ?? Math.floor(batchSize / 2),
    maxDequeueCount: numberProperty(queues, 'maxDequeueCount') ?? DEFAULTS.maxDequeueCount,
    visibilityTimeoutMs: timeSpanMs(queues, 'visibilityTimeout') ?? DEFAULTS.visibilityTimeoutMs,
    maxPollingIntervalMs: timeSpanMs(queues, 'maxPollingInterval') ?? DEFAULTS.maxPollingIntervalMs,
  };
}

/** A host.json time span: `hh:mm:ss` text, or a number of milliseconds (maxPollingInterval allows both). */
function timeSpanMs(queues: unknown, key: string): number | undefined {
  const milliseconds = numberProperty(queues, key);
  if (milliseconds !== undefined) return milliseconds;
  const text = stringProperty(queues, key);
  if (text === undefined) return undefined;
  const match = /^(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text.trim());
  if (!match) throw new Error(`host.json extensions.queues.${key} '${text}' is not a time span: write it as hh:mm:ss.`);
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return Math.round(((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000);
}
