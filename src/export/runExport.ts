import { randomUUID } from 'crypto';
import { describeError, ExporterError, toError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ExportDependencies } from './exportDependencies';
import { tenantMetadata } from './blobLayout';
import { ExportLedger } from './exportLedger';
import { PartWriter } from './partWriter';
import { pullIntoParts, waitDeadlineMs } from './pullLoop';
import { runRecord, summarise, type RunSummary } from './runSummary';
import { StateFile } from './stateFile';
import { genesisState, planWindow } from './windowPlan';

export type { ExportDependencies, ExportSettings } from './exportDependencies';
export type { RunSummary } from './runSummary';

export interface RunOptions {
  /** What started the run: 'timer', 'manual' (portal Test/Run), 'cli', 'local'. */
  readonly trigger: string;
  /** Where this run logs (the invocation context, the terminal). */
  readonly logger: Logger;
  readonly abortSignal?: AbortSignal;
  /** The run's id in logs, blobs and state (default: a new one). */
  readonly runId?: string;
}

/**
 * One export run: read the state, plan the window (planWindow), pull newest first into parts (pullIntoParts),
 * dropping versions already exported (ExportLedger); after each committed part the state records how far the
 * pull got, and when it reaches the window start the watermark moves to the newest incident seen. Before the
 * budget is spent the run stops cleanly. Any failure rethrows with the state pointing only at committed blobs.
 */
export async function runExport(deps: ExportDependencies, options: RunOptions): Promise<RunSummary> {
  const started = deps.clock.now();
  const { settings } = deps;
  const run = { runId: options.runId ?? randomUUID(), trigger: options.trigger, started };
  const log = options.logger;
  const stateFile = new StateFile(
    { exports: deps.container, state: deps.stateContainer },
    deps.layout,
    settings.overlapMinutes * 60_000,
    log,
  );
  try {
    await deps.ensureContainer();
    const previous = await stateFile.open(() => genesisState(started, settings));
    const plan = planWindow(previous, started, settings);
    log.info('Export run started', {
      runId: run.runId,
      trigger: run.trigger,
      watermark: previous?.watermark ?? 'none (first run)',
      windowFrom: plan.from,
      resumingAt: plan.resumed?.cursor,
    });
    const deadlineMs = waitDeadlineMs(started, settings.runBudgetMs);
    const source = deps.createSource(await deps.readSecret(options.abortSignal), deadlineMs, log);
    const ledger = new ExportLedger(previous, plan, settings.overlapMinutes * 60_000, started.toISOString());
    const writer = new PartWriter(deps.container, started, settings.maxBlobBytes, {
      encoding: settings.encoding,
      prefix: deps.layout.exportPrefix,
      indexTags: settings.indexTags,
    });
    /** Commits the open part, then records progress: the pull's position, or the new watermark when done. */
    const checkpoint = async (done: boolean, failed = false): Promise<boolean> => {
      const alerts: Record<string, string> =
        source.stats.alertsOmittedPages > 0 ? { alerts: 'omitted-on-some-pages' } : {};
      await writer.commitOpenPart({
        kind: 'export',
        windowfrom: plan.from,
        windowto: ledger.newest ?? plan.from,
        source: source.name,
        runid: run.runId,
        trigger: run.trigger,
        ...tenantMetadata(deps.layout),
        ...alerts,
      });
      const at = deps.clock.now().toISOString();
      await stateFile.save(
        ledger.nextState({
          done,
          failed,
          sourceName: source.name,
          at,
          record: runRecord(run.runId, at, run.trigger, writer),
        }),
      );
      return true;
    };
    const outcome = await pullIntoParts({
      source,
      window: { from: plan.from },
      start: plan.start,
      writer,
      accept: (incident) => ledger.accept(incident),
      advance: (next) => ledger.advance(next),
      shouldContinue: () => deps.clock.now().getTime() < deadlineMs,
      checkpoint: () => checkpoint(false),
      abortSignal: options.abortSignal,
    }).catch(async (error: unknown) => {
      // Keep the complete pages already read as a pull in progress (never the watermark), so a failure that repeats
      // (a stuck page) does not make every run read everything above it again; not after a failed upload.
      if (writer.healthy && ledger.movedOn)
        await checkpoint(false, true).catch((keepError: unknown) =>
          log.warn('Could not keep the pages read before the failure', {
            error: describeError(keepError).slice(0, 300),
          }),
        );
      throw error;
    });
    if (outcome.budgetStop)
      log.warn('Run budget reached while waiting on the API; committing what this run has', {
        runId: run.runId,
        reason: outcome.budgetStop.message,
      });
    if (!outcome.complete)
      log.warn('Run budget reached: stopping cleanly; the next run continues the pull', {
        runId: run.runId,
        cursor: ledger.position?.cursor,
        budgetMs: settings.runBudgetMs,
      });
    await checkpoint(outcome.complete);
    const summary = summarise(
      {
        ...run,
        finished: deps.clock.now(),
        windowFrom: plan.from,
        complete: outcome.complete,
        duplicatesDropped: ledger.duplicatesDropped,
      },
      writer,
      source.stats,
      previous,
      stateFile.committed,
    );
    return summary;
  } catch (error) {
    const failure = toError(error);
    const code = failure instanceof ExporterError ? failure.code : failure.name;
    await stateFile.recordFailure({
      runId: run.runId,
      at: deps.clock.now().toISOString(),
      trigger: run.trigger,
      code,
      message: describeError(failure).slice(0, 1000),
    });
    throw failure;
  }
}
