import { ExporterError, toError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { RunSummary, SummaryLine } from '../export/runSummary';
import { runBudgetOf } from '../runtime/buildDependencies';
import type { ExporterRuntime } from '../runtime/exporterRuntime';

/** Who ran: the run id, the trigger, and for a queued run the tenant and the delivery of its message. */
export interface RunIdentity {
  readonly runId: string;
  readonly trigger: string;
  readonly tenantId?: string;
  readonly attempt?: number;
}

/**
 * Runs one export and logs its one `ExportRunSummary {json}` line, which the health workbook and the alerts read
 * (infra/app/workbook.json, alerts.bicep): the summary with the outcome and budget, or, when the run throws, the
 * failure's code, and the error is rethrown so that the invocation fails. `run` answering undefined did no work
 * (its tenant was busy): no line.
 */
export async function reportedRun(
  { platform }: ExporterRuntime,
  logger: Logger,
  identity: RunIdentity,
  run: () => Promise<RunSummary | undefined>,
): Promise<RunSummary | undefined> {
  const { clock } = platform;
  const startedMs = clock.now().getTime();
  const budgetMs = runBudgetOf(platform);
  const tenant = {
    ...(identity.tenantId === undefined ? {} : { tenantId: identity.tenantId }),
    ...(identity.attempt === undefined ? {} : { attempt: identity.attempt }),
  };
  let result: RunSummary | undefined;
  try {
    result = await run();
  } catch (error) {
    const failure = toError(error);
    const failed: SummaryLine = {
      runId: identity.runId,
      trigger: identity.trigger,
      ...tenant,
      outcome: 'failed',
      code: failure instanceof ExporterError ? failure.code : failure.name,
      budgetMs,
      durationMs: clock.now().getTime() - startedMs,
    };
    logger.error(`ExportRunSummary ${JSON.stringify(failed)}`);
    throw failure;
  }
  if (result === undefined) return undefined;
  const summary: RunSummary & SummaryLine = { ...result, ...tenant, outcome: 'succeeded', budgetMs };
  // One JSON line per run that Application Insights can chart: traces | where message startswith "ExportRunSummary".
  logger.info(`ExportRunSummary ${JSON.stringify(summary)}`);
  return result;
}
