import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { IncidentSource } from '../sources/incident';
import type { ExportLedger } from './exportLedger';
import type { SourceNotes } from './exportState';
import type { PartWriter } from './partWriter';
import type { PullOutcome } from './pullLoop';
import { runRecord } from './runSummary';
import type { StateFile } from './stateFile';
import type { WindowPlan } from './windowPlan';

/** What identifies a run in blobs, state and logs. */
export interface RunIdentity {
  readonly runId: string;
  readonly trigger: string;
}

/**
 * The export's checkpoint: commits the open part, then records how far the pull got in the state (its position,
 * or the new watermark once the pull reached the window start). The state never points past a committed blob.
 */
export class ExportCheckpoint {
  constructor(
    private readonly run: RunIdentity,
    private readonly parts: {
      readonly plan: WindowPlan;
      readonly ledger: ExportLedger;
      readonly writer: Pick<PartWriter, 'commitOpenPart' | 'committed' | 'healthy'>;
      readonly stateFile: Pick<StateFile, 'save'>;
      readonly source: IncidentSource;
      readonly clock: Clock;
      /** The run's source notes (switch, Graph readiness), read at each commit. */
      readonly notes?: () => SourceNotes;
    },
  ) {}

  /** `last`: the export's final commit (its state write ends the run's claim, see StateFile.save). */
  async commit(done: boolean, failed = false, last = false): Promise<boolean> {
    const { plan, ledger, writer, stateFile, source, clock, notes } = this.parts;
    const alerts: Record<string, string> =
      source.stats.alertsOmittedPages > 0 ? { alerts: 'omitted-on-some-pages' } : {};
    await writer.commitOpenPart({
      kind: 'export',
      windowfrom: plan.from,
      windowto: ledger.newest ?? plan.from,
      source: source.name,
      runid: this.run.runId,
      trigger: this.run.trigger,
      ...alerts,
    });
    const at = clock.now().toISOString();
    const record = runRecord(this.run.runId, at, this.run.trigger, writer);
    const next = ledger.nextState({ done, failed, sourceName: source.name, at, record, notes: notes?.() });
    await stateFile.save(next, { last });
    return true;
  }

  /**
   * After a failed pull: keeps the complete pages already read as a pull in progress (never the watermark), so
   * a failure that repeats (a stuck page) does not make every run read everything above it again. Not after a
   * failed upload, and best effort: the pull's own error is what the caller sees.
   */
  async keepAfterFailure(log: Logger): Promise<void> {
    if (!this.parts.writer.healthy || !this.parts.ledger.movedOn) return;
    await this.commit(false, true).catch((error: unknown) =>
      log.warn('Could not keep the pages read before the failure', { error: describeError(error).slice(0, 300) }),
    );
  }

  /** Says why a pull stopped before the window start (the budget), if it did. */
  reportStop(outcome: PullOutcome, budgetMs: number, log: Logger): void {
    const { runId } = this.run;
    if (outcome.budgetStop)
      log.warn('Run budget reached while waiting on the API; committing what this run has', {
        runId,
        reason: outcome.budgetStop.message,
      });
    if (!outcome.complete)
      log.warn('Run budget reached: stopping cleanly; the next run continues the pull', {
        runId,
        cursor: this.parts.ledger.position?.cursor,
        budgetMs,
      });
  }
}
