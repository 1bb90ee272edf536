import { randomUUID } from 'crypto';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { ExporterError, toError } from '../common/errors';
import { continueBackfills } from '../export/continueBackfills';
import { runExport } from '../export/runExport';
import type { RunSummary, SummaryLine } from '../export/runSummary';
import { getRuntime, type ExporterRuntime } from '../runtime/exporterRuntime';
import { contextLogger } from './contextLogger';

/**
 * The timer's handler over the runtime it is given. A manual run (portal Test/Run, `POST
 * /admin/functions/exportIncidents`) has a null `scheduleStatus` and is otherwise exactly a scheduled run.
 * Errors propagate: the invocation fails and alerts fire; the watermark is left where it was. After the
 * export, the rest of the budget goes to pending backfill jobs (see functions/backfill.ts). Each run, failed
 * or not, logs one `ExportRunSummary {json}` line that the health workbook and the alerts read.
 */
export function exportIncidentsHandler(
  runtime: () => ExporterRuntime,
): (timer: Timer, context: InvocationContext) => Promise<void> {
  return async (timer, context) => {
    const logger = contextLogger(context);
    // NOTE: scheduleStatus is null on manual runs although the type says otherwise.
    const trigger = (timer.scheduleStatus as Timer['scheduleStatus'] | null) === null ? 'manual' : 'timer';
    if (timer.isPastDue) logger.warn('Timer is past due; running now', { invocationId: context.invocationId });
    const { deps } = runtime();
    const startedMs = deps.clock.now().getTime();
    const runId = randomUUID();
    const budgetMs = deps.settings.runBudgetMs;
    let summary: RunSummary & SummaryLine;
    try {
      summary = { ...(await runExport(deps, { trigger, logger, runId })), outcome: 'succeeded', budgetMs };
    } catch (error) {
      const failure = toError(error);
      const failed: SummaryLine = {
        runId,
        trigger,
        outcome: 'failed',
        code: failure instanceof ExporterError ? failure.code : failure.name,
        budgetMs,
        durationMs: deps.clock.now().getTime() - startedMs,
      };
      logger.error(`ExportRunSummary ${JSON.stringify(failed)}`);
      throw failure;
    }
    // One JSON line per run that Application Insights can chart: traces | where message startswith "ExportRunSummary".
    logger.info(`ExportRunSummary ${JSON.stringify(summary)}`);
    await continueBackfills(deps, logger, startedMs, trigger);
  };
}

/** The registered handler: the instance's runtime, built from the app settings on first use. */
export const exportIncidents = exportIncidentsHandler(() => getRuntime(process.env));

app.timer('exportIncidents', {
  schedule: '%EXPORT_SCHEDULE%',
  runOnStartup: false,
  useMonitor: true,
  handler: exportIncidents,
});
