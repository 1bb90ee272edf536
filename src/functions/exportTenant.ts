import { app, type InvocationContext } from '@azure/functions';
import { numberProperty } from '../common/jsonFields';
import { getRuntime, type ExporterRuntime } from '../runtime/exporterRuntime';
import { contextLogger } from './contextLogger';
import { runQueuedTenant } from './queuedRun';
import { settingExpression } from './settingExpression';
import { tenantRunnerFor, type TenantRunner } from '../tenants/tenantRunner';

/**
 * The queue-triggered handler over the runtime it is given: exports the tenant named by one message of the runs
 * queue (see queuedRun.ts). A failure fails the invocation: the host delivers the message again after host.json's
 * `visibilityTimeout`, up to `maxDequeueCount` times, then moves it to `<EXPORT_QUEUE>-poison`.
 */
export function exportTenantHandler(
  runtime: () => ExporterRuntime,
  runnerFor: (runtime: ExporterRuntime) => TenantRunner = tenantRunnerFor,
): (queueEntry: unknown, context: InvocationContext) => Promise<void> {
  return async (queueEntry, context) => {
    const current = runtime();
    await runQueuedTenant(current, runnerFor(current), queueEntry, contextLogger(context), {
      dequeueCount: numberProperty(context.triggerMetadata, 'dequeueCount'),
      invocationId: context.invocationId,
    });
  };
}

/** The registered handler: the instance's runtime, built from the app settings on first use. */
export const exportTenant = exportTenantHandler(() => getRuntime(process.env));

app.storageQueue('exportTenant', {
  queueName: settingExpression('exportQueue'),
  connection: 'AzureWebJobsStorage',
  handler: exportTenant,
});
