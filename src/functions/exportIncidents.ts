import { randomUUID } from 'crypto';
import { app, output, type InvocationContext, type Timer } from '@azure/functions';
import { continueBackfills } from '../export/continueBackfills';
import { runExport } from '../export/runExport';
import { getRuntime, type ExporterRuntime } from '../runtime/exporterRuntime';
import { contextLogger } from './contextLogger';
import { tickMessages } from './fanOut';
import { reportedRun } from './runReport';
import { runMessageText } from './runMessage';
import { settingExpression } from './settingExpression';
import { singleTenantExporter } from '../tenants/singleTenant';
import { tenantRunnerFor, type TenantRunner } from '../tenants/tenantRunner';

/**
 * The runs queue (EXPORT_QUEUE) in the host storage account, written through the Functions output binding: the
 * host holds the connection (AzureWebJobsStorage, identity-based in Azure through `__queueServiceUri`).
 */
export const runsQueue = output.storageQueue({
  queueName: settingExpression('exportQueue'),
  connection: 'AzureWebJobsStorage',
});

/**
 * The timer's handler over the runtime it is given. Without a tenant registry it exports the one tenant itself,
 * as always: errors propagate (the invocation fails and alerts fire; the watermark is left where it was), and the
 * rest of the budget goes to pending backfill jobs (see functions/backfill.ts). With a registry it only fans out:
 * one message per enabled tenant on the runs queue, each exported by exportTenant on whichever instance takes it;
 * a registry that cannot be read fails the tick. Neither a registry nor DEFENDER_TENANT_ID: every tick fails with
 * one line naming both fixes (NoTenantError), nothing read or written. A manual run (portal Test/Run, `POST
 * /admin/functions/exportIncidents`) has a null `scheduleStatus` and is otherwise exactly a scheduled run.
 */
export function exportIncidentsHandler(
  runtime: () => ExporterRuntime,
  runnerFor: (runtime: ExporterRuntime) => TenantRunner = tenantRunnerFor,
): (timer: Timer, context: InvocationContext) => Promise<void> {
  return async (timer, context) => {
    const logger = contextLogger(context);
    // NOTE: scheduleStatus is null on manual runs although the type says otherwise.
    const trigger = (timer.scheduleStatus as Timer['scheduleStatus'] | null) === null ? 'manual' : 'timer';
    if (timer.isPastDue) logger.warn('Timer is past due; running now', { invocationId: context.invocationId });
    const current = runtime();
    const tick = current.platform.clock.now();
    const messages = await tickMessages(runnerFor(current), tick);
    if (messages !== undefined) {
      context.extraOutputs.set(runsQueue, messages.map(runMessageText));
      logger.info(`Queued ${messages.length} tenant run(s) on ${current.config.exportQueue}`, {
        tick: tick.toISOString(),
        tenants: messages.length,
        trigger,
      });
      return;
    }
    const runId = randomUUID();
    // No registry and no DEFENDER_TENANT_ID: a failed run (code NoTenant) before anything is read or written.
    await reportedRun(current, logger, { runId, trigger }, () =>
      runExport(singleTenantExporter(current), { trigger, logger, runId }),
    );
    await continueBackfills(singleTenantExporter(current), logger, tick.getTime(), trigger);
  };
}

/** The registered handler: the instance's runtime, built from the app settings on first use. */
export const exportIncidents = exportIncidentsHandler(() => getRuntime(process.env));

app.timer('exportIncidents', {
  schedule: settingExpression('schedule'),
  runOnStartup: false,
  useMonitor: true,
  extraOutputs: [runsQueue],
  handler: exportIncidents,
});
