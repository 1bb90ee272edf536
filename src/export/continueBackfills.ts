import type { Logger } from '../common/logger';
import { BackfillJobStore } from './backfillJob';
import { runBackfill, type BackfillResult } from './runBackfill';
import type { ExportDependencies } from './exportDependencies';

/** Below this much time left, a timer run does not start on a backfill. */
const MIN_SLICE_MS = 15_000;

/** What a run did with the pending backfill jobs, and how many it left pending (for the next run). */
export interface BackfillsContinued {
  readonly results: BackfillResult[];
  readonly left: number;
}

/**
 * After the regular export, a timer run spends what is left of its budget on pending backfill jobs
 * (started by the HTTP trigger), oldest first, so a large window continues across invocations instead
 * of timing out. A failing job fails the invocation (after the export was committed) so it is seen.
 */
export async function continueBackfills(
  deps: ExportDependencies,
  logger: Logger,
  invocationStartMs: number,
  trigger: string,
  abortSignal?: AbortSignal,
): Promise<BackfillsContinued> {
  const results: BackfillResult[] = [];
  const jobs = await new BackfillJobStore(deps.stateContainer, deps.layout).pending();
  for (const job of jobs) {
    const leftMs = invocationStartMs + deps.settings.runBudgetMs - deps.clock.now().getTime();
    if (leftMs < MIN_SLICE_MS) {
      logger.info('Backfill jobs left for the next run', { pending: jobs.length - results.length });
      break;
    }
    results.push(
      await runBackfill(deps, job.id, {
        trigger,
        logger,
        budgetMs: leftMs,
        ...(abortSignal === undefined ? {} : { abortSignal }),
      }),
    );
  }
  const unfinished = results.filter((result) => result.job.status !== 'complete').length;
  return { results, left: jobs.length - results.length + unfinished };
}
