import { randomUUID } from 'crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { describeError, ExporterError, toError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { BlobLayout } from './blobLayout';
import {
  mergeBackfillCounters,
  mergeStates,
  withoutClaim,
  type ExportState,
  type RunClaim,
  type RunRecord,
} from './exportState';
import {
  claimLostError,
  liveClaimOfOther,
  RUN_CLAIM_MS,
  RUN_CLAIM_RENEW_MS,
  TenantBusyError,
  type ClaimOptions,
} from './runClaim';
import { StateConflictError, StateStore } from './stateStore';

const MAX_STATE_WRITE_ATTEMPTS = 5;

/**
 * The export state as one run sees it: opened once, then saved after each committed part with the ETag
 * of the last read or write. A write that loses to another run merges with that run's state and tries again.
 *
 * With a claim (registered tenants), opening also claims the state for this run: a live claim of another run
 * makes `open` throw TenantBusyError after one read; otherwise the claim is written with the ETag just read, so
 * of two runs only one gets it. Every write keeps the claim fresh, a timer rewrites the state when the run wrote
 * nothing for a while, and a write that finds another run's claim (ours lapsed and was taken) aborts `claimSignal`.
 * A quiet run then costs three requests: the read, the claim, and the last write, which also ends the claim.
 */
export class StateFile {
  private readonly store: StateStore;
  private readonly exports: ContainerClient;
  private etag: string | undefined;
  private saved: ExportState | undefined;
  private readonly lost = new AbortController();
  /** Writes go one at a time (checkpoints, renewals, the release), each with the ETag of the one before. */
  private turn: Promise<unknown> = Promise.resolve();
  private holding: RunClaim | undefined;
  /** The id of this run's claim, kept after the claim ends: a claim in the state with it is this run's, live or not. */
  private ourClaimId: string | undefined;
  /** Set once the claim was lost: every later write fails with it (the run must not write as if it held the tenant). */
  private lostError: Error | undefined;
  /** The next write ends the claim. */
  private releasing = false;
  private lastWriteMs = 0;
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    containers: { readonly exports: ContainerClient; readonly state: ContainerClient },
    private readonly layout: BlobLayout,
    private readonly overlapMs: number,
    private readonly log: Logger,
    private readonly claim?: ClaimOptions,
  ) {
    this.exports = containers.exports;
    this.store = new StateStore(containers.state, layout);
  }

  /** Aborted when this run's claim was lost: the run must stop. Never aborted without a claim. */
  get claimSignal(): AbortSignal {
    return this.lost.signal;
  }

  /**
   * The state the run starts from (undefined on a first run, after recording `genesis` before any blob exists).
   * With a claim: throws TenantBusyError when another run holds the state.
   */
  async open(genesis: () => ExportState): Promise<ExportState | undefined> {
    if (this.claim) return this.openClaimed(genesis, this.claim);
    const snapshot = await this.store.read();
    this.etag = snapshot.etag;
    this.saved = snapshot.state;
    if (snapshot.state) return snapshot.state;
    await this.assertNoOrphanExports();
    // A first run killed after its commit then leaves a state the next run continues from (re-reading, never losing).
    try {
      const first = genesis();
      this.etag = await this.store.write(first, undefined);
      this.saved = first;
      return undefined;
    } catch (error) {
      if (!(error instanceof StateConflictError)) throw error;
      const current = await this.store.read();
      this.etag = current.etag;
      this.saved = current.state;
      return current.state;
    }
  }

  /** Reads the state; claims it unless another run's claim is live; re-reads when another run wrote meanwhile. */
  private async openClaimed(genesis: () => ExportState, claim: ClaimOptions): Promise<ExportState | undefined> {
    const ours: RunClaim = {
      claimId: randomUUID(),
      runId: claim.runId,
      trigger: claim.trigger,
      claimedAt: new Date().toISOString(),
    };
    // Known before the first attempt: a claim write that timed out may still have landed.
    this.ourClaimId = ours.claimId;
    for (let attempt = 1; ; attempt += 1) {
      const snapshot = await this.store.read();
      const holder = liveClaimOfOther(snapshot, ours.claimId, claim.claimMs ?? RUN_CLAIM_MS);
      if (holder) throw new TenantBusyError(holder, this.store.blobName);
      // A first run killed after its claim leaves a state the next run continues from (re-reading, never losing).
      if (!snapshot.state) await this.assertNoOrphanExports();
      const claimed: ExportState = { ...(snapshot.state ?? genesis()), runClaim: ours };
      try {
        this.etag = await this.store.write(claimed, snapshot.etag);
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= MAX_STATE_WRITE_ATTEMPTS) throw error;
        continue;
      }
      this.saved = claimed;
      this.holding = ours;
      this.lastWriteMs = Date.now();
      this.startRenewing(claim.renewEveryMs ?? RUN_CLAIM_RENEW_MS);
      return snapshot.state;
    }
  }

  /** Why this run's claim was lost (TenantClaimLost), if it was. */
  get claimLoss(): Error | undefined {
    return this.lostError;
  }

  /** Throws the claim's loss, if it was lost: call before work that must not go on without it. */
  assertClaimNotLost(): void {
    if (this.lostError) throw this.lostError;
  }

  /** Whether this run holds its claim now (taken by `open`, not ended or lost yet). */
  get holdsClaim(): boolean {
    return this.holding !== undefined;
  }

  /** The last state this run wrote (or read). */
  get committed(): ExportState | undefined {
    return this.saved;
  }

  /**
   * Writes `next`; if another run got there first, merges with its state and tries again. `last`: the export's
   * last state write, which also ends the claim unless the claim's `holdAfterExport` keeps it for the work after
   * the export (then `release` ends it).
   */
  save(next: ExportState, options: { readonly last?: boolean } = {}): Promise<ExportState> {
    return this.exclusive(() => {
      if (options.last === true && this.holding && this.claim?.holdAfterExport?.(this.saved) !== true)
        this.releasing = true;
      return this.write(next);
    });
  }

  /**
   * Ends this run's claim (with `changes` to the state as last committed), so the tenant's next run need not
   * wait. Best effort: a claim not ended lapses by itself. Nothing to do when no claim is held.
   */
  release(changes: Partial<ExportState> = {}): Promise<void> {
    return this.exclusive(async () => {
      const base = this.saved;
      if (!this.holding || base === undefined) return;
      this.releasing = true;
      try {
        await this.write({ ...base, ...changes });
      } catch (error) {
        this.log.warn("Could not end this run's claim on the state; it lapses by itself", {
          state: this.store.blobName,
          error: describeError(error).slice(0, 300),
        });
      } finally {
        this.dropClaim();
      }
    });
  }

  private async write(next: ExportState): Promise<ExportState> {
    this.assertClaimNotLost();
    let candidate = next;
    for (let attempt = 1; ; attempt += 1) {
      const body = this.stamp(candidate);
      try {
        this.etag = await this.store.write(body, this.etag);
        this.saved = body;
        this.lastWriteMs = Date.now();
        if (this.releasing) this.dropClaim();
        return body;
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= MAX_STATE_WRITE_ATTEMPTS) throw error;
        const current = await this.store.read();
        const theirs = current.state?.runClaim;
        // Another run's claim, or ours gone (`state reset`): this run no longer holds the tenant. A claim not ours
        // is never written over, whatever this run believes it holds.
        if (this.claim && (theirs ? theirs.claimId !== this.ourClaimId : this.holding !== undefined))
          throw this.abandon(
            theirs
              ? `run ${theirs.runId} (${theirs.trigger}) claimed the tenant`
              : 'the state was replaced without it, e.g. by state reset',
          );
        this.log.warn('Another run updated the state meanwhile; merging', {
          attempt,
          theirWatermark: current.state?.watermark ?? 'none',
        });
        candidate = current.state ? mergeStates(next, current.state, this.overlapMs) : next;
        this.etag = current.etag;
      }
    }
  }

  /**
   * What is written: `state` with this run's claim while it holds one (without a claim once it ends), and the
   * backfill counters never below the ones committed (they only grow, and the ledger does not carry them).
   */
  private stamp(state: ExportState): ExportState {
    const rest = withoutClaim(state);
    const counters = this.saved ? mergeBackfillCounters(rest, this.saved) : {};
    const claim = this.holding && !this.releasing ? { runClaim: this.holding } : {};
    if (!this.claim) return { ...state, ...counters };
    return { ...rest, ...counters, ...claim };
  }

  /** Runs `task` after the writes before it (each write needs the ETag of the one before). */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.turn.then(task, task);
    this.turn = result.catch(() => undefined);
    return result;
  }

  /** Rewrites the state when the run wrote nothing for `everyMs`, so its claim stays live. */
  private startRenewing(everyMs: number): void {
    this.renewTimer = setInterval(
      () => {
        if (!this.holding || this.releasing || Date.now() - this.lastWriteMs < everyMs) return;
        void this.exclusive(async () => {
          const base = this.saved;
          if (!this.holding || this.releasing || base === undefined) return;
          await this.write(base).catch((error: unknown) => {
            // As with the lease before: a failed renewal stops the run rather than risk running beside another.
            if (!this.lostError) this.abandon('renewing it failed', error);
          });
        });
      },
      Math.max(10, Math.floor(everyMs / 3)),
    );
    this.renewTimer.unref();
  }

  /** The claim is gone: stop renewing, abort the run, and return the error that says so. */
  private abandon(why: string, cause?: unknown): Error {
    const error = claimLostError(this.store.blobName, why, cause);
    this.lostError = error;
    this.dropClaim();
    this.log.warn("This run's claim on the tenant's state was lost; the run stops", {
      state: this.store.blobName,
      error: error.message.slice(0, 300),
    });
    this.lost.abort(error);
    return error;
  }

  private dropClaim(): void {
    this.holding = undefined;
    this.releasing = false;
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /**
   * Keeps the failure in the state for `status`, without touching the watermark; also after a first run,
   * whose start point is stored before anything can fail. Best effort: returns the run's own error, which is what the caller sees.
   */
  async recordFailure(
    run: { readonly runId: string; readonly trigger: string },
    at: Date,
    error: unknown,
  ): Promise<Error> {
    const failure = toError(error);
    const record: RunRecord = {
      runId: run.runId,
      at: at.toISOString(),
      trigger: run.trigger,
      code: failure instanceof ExporterError ? failure.code : failure.name,
      message: describeError(failure).slice(0, 1000),
    };
    try {
      await this.exclusive(async () => {
        const current = await this.store.read();
        if (!current.state) return;
        // This run's claim ends with the record; another run's claim stays.
        const ours = this.ourClaimId !== undefined && current.state.runClaim?.claimId === this.ourClaimId;
        const kept = ours ? withoutClaim(current.state) : current.state;
        await this.store.write({ ...kept, lastRun: record, lastError: record, updatedAt: record.at }, current.etag);
        if (ours) this.dropClaim();
      });
    } catch (recordError) {
      this.log.warn('Could not record the failure in the state blob', {
        error: describeError(recordError).slice(0, 300),
      });
    }
    return failure;
  }

  private async assertNoOrphanExports(): Promise<void> {
    let count = 0;
    let newest = '';
    for await (const blob of this.exports.listBlobsFlat({ prefix: this.layout.exportPrefix })) {
      count += 1;
      if (blob.name > newest) newest = blob.name;
    }
    if (count > 0) throw this.store.missingError(count, newest);
  }
}
