import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { IncidentSource } from '../sources/incident';
import type { BackfillJobStore } from './backfillJob';
import type { BackfillLedger } from './backfillLedger';
import type { PartWriter } from './partWriter';

/**
 * A backfill job's checkpoint: commits the open part, then records the job's position with the ETag of the
 * job as this worker last saw it, so two workers on one job never both move it on.
 */
export class BackfillCheckpoint {
  constructor(
    private etag: string,
    private readonly parts: {
      readonly store: BackfillJobStore;
      readonly ledger: BackfillLedger;
      readonly writer: PartWriter;
      readonly source: IncidentSource;
      readonly clock: Clock;
      readonly trigger: string;
    },
  ) {}

  /** False when another worker moved the job on (this worker stops; its committed part stays). */
  async commit(done: boolean): Promise<boolean> {
    const { store, ledger, writer, source, clock, trigger } = this.parts;
    const { job } = ledger;
    const part = await writer.commitOpenPart({
      kind: 'backfill',
      windowfrom: job.from,
      windowto: job.to,
      source: source.name,
      backfilljob: job.id,
      trigger,
    });
    const next = ledger.nextJob(done, part, clock.now().toISOString());
    const newEtag = await store.write(next, this.etag);
    if (newEtag === undefined) return false;
    this.etag = newEtag;
    ledger.recorded(next);
    return true;
  }

  /** Keeps a failure on the job for `status` and the CLI (best effort: the pull's own error is what counts). */
  async recordError(error: unknown): Promise<void> {
    const { store, ledger, clock } = this.parts;
    const current = await store.read(ledger.job.id).catch(() => undefined);
    if (!current) return;
    const lastError = describeError(error).slice(0, 500);
    await store
      .write({ ...current.job, lastError, updatedAt: clock.now().toISOString() }, current.etag)
      .catch(() => undefined);
  }
}
