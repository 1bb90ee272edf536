import { app, type InvocationContext, type Timer } from '@azure/functions';
import { createLogger, type Logger } from '../common/logger';
import { continueBackfills } from '../export/continueBackfills';
import { runExport } from '../export/runExport';
import { getRuntime } from '../runtime/exporterRuntime';

/** A logger over the invocation context, so Application Insights keeps each line with its invocation. */
export function contextLogger(context: InvocationContext): Logger {
  return createLogger({ info: (line) => context.log(line), warn: (line) => context.warn(line), error: (line) => context.error(line) });
}

/**
 * The timer's handler. A manual run (portal Test/Run, `POST /admin/functions/exportIncidents`) has a
 * null `scheduleStatus` and is otherwise exactly a scheduled run. Errors propagate: the invocation fails
 * and alerts fire; the watermark is left where it was. After the export, the rest of the budget goes to
 * pending backfill jobs (see functions/backfill.ts).
 */
export async function exportIncidents(timer: Timer, context: InvocationContext): Promise<void> {
  const logger = contextLogger(context);
  // NOTE: scheduleStatus is null on manual runs although the type says otherwise.
  const trigger = (timer.scheduleStatus as Timer['scheduleStatus'] | null) === null ? 'manual' : 'timer';
  if (timer.isPastDue) logger.warn('Timer is past due; running now', { invocationId: context.invocationId });
  const { deps } = getRuntime(process.env);
  const startedMs = deps.clock.now().getTime();
  const summary = await runExport(deps, { trigger, logger });
  // One JSON line per run that Application Insights can chart: traces | where message startswith "ExportRunSummary".
  logger.info(`ExportRunSummary ${JSON.stringify(summary)}`);
  await continueBackfills(deps, logger, startedMs, trigger);
}

app.timer('exportIncidents', {
  schedule: '%EXPORT_SCHEDULE%',
  runOnStartup: false,
  useMonitor: true,
  handler: exportIncidents,
});
