import { ExporterError } from '../common/errors';
import { stringProperty } from '../common/jsonFields';

/**
 * One message on EXPORT_QUEUE: export this tenant. `tick` is the ISO time of the timer run that queued it, so an
 * instance knows when a new tick began (the next secret read goes to Key Vault) and the logs tie a run to its tick.
 */
export interface RunMessage {
  readonly tenantId: string;
  readonly tick: string;
}

/** The poison queue the Functions host (and the local pump) moves a message to after its last attempt. */
export function poisonQueueName(queueName: string): string {
  return `${queueName}-poison`;
}

/** The message text exactly as the contract writes it: `{"tenantId": "...", "tick": "..."}`. */
export function runMessageText(message: RunMessage): string {
  return JSON.stringify({ tenantId: message.tenantId, tick: message.tick });
}

/**
 * Reads a queued message: the Functions host hands a JSON message over already parsed, the text otherwise.
 * Anything else is an error that names the expected shape (the message is retried, then lands in the poison queue).
 */
export function parseRunMessage(queueEntry: unknown): RunMessage {
  let body: unknown = queueEntry;
  if (typeof queueEntry === 'string') {
    try {
      body = JSON.parse(queueEntry);
    } catch {
      body = undefined;
    }
  }
  const tenantId = stringProperty(body, 'tenantId')?.trim();
  const tick = stringProperty(body, 'tick')?.trim();
  if (tenantId === undefined || tenantId === '' || tick === undefined || Number.isNaN(Date.parse(tick))) {
    throw new ExporterError(
      `The queue message is not a tenant run: expected {"tenantId": "<id>", "tick": "<ISO ` +
        `time>"}, got ${describeEntry(queueEntry)}. Messages are written by the exportIncidents ` +
        `timer; remove this one from the poison queue.`,
      { code: 'InvalidQueueMessage' },
    );
  }
  return { tenantId, tick };
}

function describeEntry(queueEntry: unknown): string {
  const text = typeof queueEntry === 'string' ? queueEntry : (JSON.stringify(queueEntry) ?? String(queueEntry));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
