import { randomUUID } from 'crypto';
import type { Logger } from '../common/logger';
import { ExportCheckpoint, type RunIdentity } from './exportCheckpoint';
import type { ExportDependencies } from './exportDependencies';
import type { ExportState } from './exportState';
import { tenantMetadata } from './blobLayout';
import { ExportLedger } from './exportLedger';
import { PartWriter } from './partWriter';
import { pullIntoParts, waitDeadlineMs } from './pullLoop';
import { summarise, type RunSummary } from './runSummary';
import { TenantBusyError, type ClaimOptions } from './runClaim';
import { StateFile } from './stateFile';
import { RunSource } from './runSource';
import { chooseSource } from './sourceRoute';
import { genesisState, planWindow, type WindowPlan } from './windowPlan';

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
  /** The state as this run sees it, when the caller made it (a registered tenant's run claims it: `stateFile`). */
  readonly stateFile?: StateFile;
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
  const stateFile = options.stateFile ?? stateFileOf(deps, log);
  try {
    await deps.ensureContainer();
    const previous = await stateFile.open(() => genesisState(started, settings));
    const route = chooseSource(settings, previous, started);
    const plan = planWindow(previous, started, { ...settings, sourceName: route.api });
    logStart(log, run, previous, plan, route.api);
    const deadlineMs = waitDeadlineMs(started, settings.runBudgetMs);
    const clientSecret = await deps.readSecret(options.abortSignal);
    const sources = await RunSource.open(deps, { route, previous, stateFile, clientSecret, deadlineMs, log });
    const { source } = sources;
    const ledger = new ExportLedger(previous, plan, settings.overlapMinutes * 60_000, started.toISOString());
    const writer = exportWriter(deps, started);
    const notes = () => sources.current;
    const checkpoint = new ExportCheckpoint(run, { plan, ledger, writer, stateFile, source, clock: deps.clock, notes });
    sources.commitBeforeSwitch = () => checkpoint.commit(false);
    const outcome = await pullIntoParts({
      source,
      window: { from: plan.from },
      start: plan.start,
      writer,
      accept: (incident) => ledger.accept(incident),
      known: (incident) => ledger.knows(incident),
      advance: (next) => ledger.advance(next),
      shouldContinue: () => deps.clock.now().getTime() < deadlineMs,
      checkpoint: () => checkpoint.commit(false),
      abortSignal: options.abortSignal,
    }).catch(async (error: unknown) => {
      // Not once the tenant's claim was lost: another run holds the tenant now.
      if (!stateFile.claimSignal.aborted) await checkpoint.keepAfterFailure(log);
      throw error;
    });
    checkpoint.reportStop(outcome, settings.runBudgetMs, log);
    stateFile.assertClaimNotLost();
    await checkpoint.commit(outcome.complete, false, true);
    const { complete } = outcome;
    const { duplicatesDropped } = ledger;
    const finished = deps.clock.now();
    const outline = { ...run, finished, windowFrom: plan.from, complete, duplicatesDropped };
    return summarise(outline, writer, source.stats, previous, stateFile.committed);
  } catch (error) {
    if (error instanceof TenantBusyError) throw error;
    // A pull aborted because the tenant's claim was lost fails with that loss, not with the abort it caused.
    throw await stateFile.recordFailure(run, deps.clock.now(), stateFile.claimLoss ?? error);
  }
}

/** The export state of the dependencies' layout for one run; with `claim`, the run claims it when it opens it. */
export function stateFileOf(deps: ExportDependencies, log: Logger, claim?: ClaimOptions): StateFile {
  return new StateFile(
    { exports: deps.container, state: deps.stateContainer },
    deps.layout,
    deps.settings.overlapMinutes * 60_000,
    log,
    claim,
  );
}

function logStart(
  log: Logger,
  run: RunIdentity,
  previous: ExportState | undefined,
  plan: WindowPlan,
  incidentsApi: string,
): void {
  log.info('Export run started', {
    runId: run.runId,
    trigger: run.trigger,
    watermark: previous?.watermark ?? 'none (first run)',
    windowFrom: plan.from,
    resumingAt: plan.resumed?.cursor,
    incidentsApi,
  });
}

/** The run's parts: under the layout's export prefix, with the tenant's metadata when there is one. */
function exportWriter(deps: ExportDependencies, executionTime: Date): PartWriter {
  const { encoding, indexTags, maxBlobBytes } = deps.settings;
  return new PartWriter(deps.container, executionTime, maxBlobBytes, {
    encoding,
    indexTags,
    prefix: deps.layout.exportPrefix,
    metadata: tenantMetadata(deps.layout),
  });
}
