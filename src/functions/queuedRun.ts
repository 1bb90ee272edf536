import { randomUUID } from 'crypto';
import type { Logger } from '../common/logger';
import type { RunSummary } from '../export/runSummary';
import type { ExporterRuntime } from '../runtime/exporterRuntime';
import { reportedRun } from './runReport';
import { parseRunMessage } from './runMessage';
import type { TenantRunner } from '../tenants/tenantRunner';

/** How a message reached the handler: the queue's delivery count (1 on the first attempt) and the invocation. */
export interface Delivery {
  readonly dequeueCount: number | undefined;
  readonly invocationId: string;
}

/** What the handler did with a message: the tenant's run summary, or nothing because the tenant was busy. */
export type QueuedRunOutcome =
  | { readonly kind: 'exported'; readonly tenantId: string; readonly summary: RunSummary }
  | { readonly kind: 'busy'; readonly tenantId: string };

/** The newest tick each runner (one per instance and runtime) has seen, to start a new tick once per tick. */
const ticksSeen = new WeakMap<TenantRunner, string>();

/**
 * The body of the exportTenant function, shared by the Functions host (src/functions/exportTenant.ts) and the
 * local queue pump (src/local/queuePump.ts): exports the message's tenant under its claim. A busy tenant (another
 * run holds it) completes the message without work and says so; a failure throws, so that the queue delivers the
 * message again (up to maxDequeueCount in host.json) and then moves it to the poison queue. The first message of a
 * newer tick starts a new tick on this instance: its next secret read goes to Key Vault (a rotation is picked up).
 */
export async function runQueuedTenant(
  runtime: ExporterRuntime,
  runner: TenantRunner,
  queueEntry: unknown,
  logger: Logger,
  delivery: Delivery,
): Promise<QueuedRunOutcome> {
  const message = parseRunMessage(queueEntry);
  const seen = ticksSeen.get(runner);
  if (seen === undefined || message.tick > seen) {
    runner.beginTick();
    ticksSeen.set(runner, message.tick);
  }
  const runId = randomUUID();
  logger.info('Exporting tenant', {
    tenantId: message.tenantId,
    tick: message.tick,
    attempt: delivery.dequeueCount,
    invocationId: delivery.invocationId,
    runId,
  });
  const identity = { runId, trigger: 'queue', tenantId: message.tenantId, attempt: delivery.dequeueCount };
  const summary = await reportedRun(runtime, logger, identity, async () => {
    const outcome = await runner.runTenant(message.tenantId, { trigger: 'queue', logger, runId });
    if (outcome.kind === 'exported') return outcome.summary;
    logger.info(
      `Tenant ${outcome.tenantId} is busy: another run holds it. This message completes ` +
        `without work; the next tick exports what that run leaves.`,
      { tenantId: outcome.tenantId, tick: message.tick, runId },
    );
    return undefined;
  });
  return summary === undefined
    ? { kind: 'busy', tenantId: message.tenantId }
    : { kind: 'exported', tenantId: message.tenantId, summary };
}
