import { describeError, ExporterError } from '../common/errors';
import type { ExportState, RunClaim, StateSnapshot } from './exportState';

/** How long a claim lasts without a state write: how long a crashed run blocks its tenant. */
export const RUN_CLAIM_MS = 60_000;

/**
 * A run that wrote nothing for this long rewrites its state. A renewal that fails stops the run (as the lease did);
 * the margin to RUN_CLAIM_MS covers a slow write and the SDK's own retries.
 */
export const RUN_CLAIM_RENEW_MS = 15_000;

/** Last-Modified and Date have whole seconds: a claim counts as live this much longer, never shorter. */
const SERVICE_TIME_GRANULARITY_MS = 1000;

/** How a run claims its tenant's state (registered tenants only; a single-tenant run claims nothing). */
export interface ClaimOptions {
  readonly runId: string;
  readonly trigger: string;
  /** Test seams; production uses RUN_CLAIM_MS and RUN_CLAIM_RENEW_MS. */
  readonly claimMs?: number;
  readonly renewEveryMs?: number;
  /**
   * Asked before the export's last state write, with the state as committed: true keeps the claim for work after
   * the export (the tenant's pending backfill jobs), which `StateFile.release` ends; false ends it with that write.
   */
  readonly holdAfterExport?: (state: ExportState | undefined) => boolean;
}

/**
 * The claim of another run that still holds the state, if any. A claim is live while the blob was written less than
 * `claimMs` ago in the service's own time (its Last-Modified against the Date of the read). A read without those
 * times (never seen from Azure Storage or Azurite) falls back to the claim's own time and this machine's clock.
 */
export function liveClaimOfOther(snapshot: StateSnapshot, claimId: string, claimMs: number): RunClaim | undefined {
  const claim = snapshot.state?.runClaim;
  if (claim === undefined || claim.claimId === claimId) return undefined;
  return claimIsLive(snapshot, claimMs) ? claim : undefined;
}

/** Whether the state's claim (any run's) is live now: `status` shows it as running. */
export function claimIsLive(snapshot: StateSnapshot, claimMs: number = RUN_CLAIM_MS): boolean {
  const claim = snapshot.state?.runClaim;
  if (claim === undefined) return false;
  const writtenMs = snapshot.lastModified?.getTime() ?? Date.parse(claim.claimedAt);
  const nowMs = snapshot.serviceTime?.getTime() ?? Date.now();
  if (Number.isNaN(writtenMs)) return false;
  return nowMs - writtenMs < claimMs + SERVICE_TIME_GRANULARITY_MS;
}

/** Another run holds the tenant: this run does nothing (the queue message completes without work). */
export class TenantBusyError extends ExporterError {
  constructor(
    readonly holder: RunClaim,
    stateBlob: string,
  ) {
    super(
      `Run ${holder.runId} (${holder.trigger}, since ${holder.claimedAt || 'unknown'}) holds ${stateBlob}; this run ` +
        'does nothing.',
      { code: 'TenantBusy', retryable: false },
    );
  }
}

/** The claim was taken over (it lapsed) or the state could not be kept fresh: the run must stop. */
export function claimLostError(stateBlob: string, why: string, cause?: unknown): ExporterError {
  return new ExporterError(
    `This run's claim on ${stateBlob} was lost (${why}${cause === undefined ? '' : `: ${describeError(cause)}`}), so ` +
      'the run stops to never run beside another; the next run continues from the last checkpoint.',
    { code: 'TenantClaimLost', retryable: true, ...(cause === undefined ? {} : { cause }) },
  );
}
