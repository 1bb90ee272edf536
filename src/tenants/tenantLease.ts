import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import { describeError, ExporterError, StorageError } from '../common/errors';
import type { Logger } from '../common/logger';
import { storageStatusOf } from '../export/jsonBlobStore';
import { stateStorageFix } from '../export/stateStorageFix';

/** How long a lease lasts without renewal (Blob Storage allows 15 to 60 s): how long a crashed run blocks its tenant. */
export const LEASE_SECONDS = 60;

/** Renewal period: three renewals may fail in a row before the lease could lapse. */
const RENEW_EVERY_MS = 15_000;

export interface LeaseOptions {
  readonly leaseSeconds?: number;
  readonly renewEveryMs?: number;
}

/** The lease blob of a tenant, beside its state: `tenants/<id>/state/run.lease`. */
export function leaseBlobName(tenantRoot: string): string {
  return `${tenantRoot}state/run.lease`;
}

/**
 * At most one run per tenant at a time, across processes and instances: a blob lease on an empty blob beside
 * the tenant's state. Renewed while the run works; released when it ends; after a crash it expires by itself
 * within `leaseSeconds`. If a renewal fails (the lease was lost), `signal` aborts the run, so two runs of a
 * tenant never go on together.
 */
export class TenantLease {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly lease: BlobLeaseClient,
    readonly blobName: string,
    private readonly log: Logger,
    renewEveryMs: number,
  ) {
    this.timer = setInterval(() => void this.renew(), renewEveryMs);
    this.timer.unref();
  }

  /** Aborted when the lease was lost: the run must stop. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Takes the lease; undefined when another run holds it (busy). */
  static async acquire(
    container: ContainerClient,
    blobName: string,
    log: Logger,
    options: LeaseOptions = {},
  ): Promise<TenantLease | undefined> {
    const blob = container.getBlockBlobClient(blobName);
    const lease = blob.getBlobLeaseClient();
    const leaseSeconds = options.leaseSeconds ?? LEASE_SECONDS;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await lease.acquireLease(leaseSeconds);
        return new TenantLease(lease, blobName, log, options.renewEveryMs ?? RENEW_EVERY_MS);
      } catch (error) {
        const status = storageStatusOf(error);
        if (status === 409) return undefined;
        if (status === 404 && attempt === 1) {
          // First run of this tenant: create the (empty) lease blob, then take the lease.
          await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((createError: unknown) => {
            if (storageStatusOf(createError) !== 409) throw leaseError('Taking', blobName, createError);
          });
          continue;
        }
        throw leaseError('Taking', blobName, error);
      }
    }
  }

  /** Ends the lease: the tenant is free for the next run at once. Best effort: a lease not released expires by itself. */
  async release(): Promise<void> {
    this.stopRenewing();
    try {
      await this.lease.releaseLease();
    } catch (error) {
      this.log.warn('Could not release the tenant lease; it expires by itself', {
        lease: this.blobName,
        error: describeError(error).slice(0, 300),
      });
    }
  }

  private async renew(): Promise<void> {
    try {
      await this.lease.renewLease();
    } catch (error) {
      this.stopRenewing();
      this.controller.abort(
        new ExporterError(
          `The lease ${this.blobName} of this tenant's run was lost (${describeError(error)}), so ` +
            `the run stops to never run beside another; the next run continues from the ` +
            `last checkpoint.`,
          { code: 'TenantLeaseLost', retryable: true, cause: error },
        ),
      );
    }
  }

  private stopRenewing(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Whether a run holds the tenant's lease now (for `status`); false when the lease blob does not exist. */
export async function leaseHeld(container: ContainerClient, blobName: string): Promise<boolean> {
  try {
    const properties = await container.getBlockBlobClient(blobName).getProperties();
    return properties.leaseState === 'leased';
  } catch (error) {
    if (storageStatusOf(error) === 404) return false;
    throw leaseError('Checking', blobName, error);
  }
}

/** A lease request failed: the fix names the role only for a 403 (stateStorageFix). */
function leaseError(action: 'Taking' | 'Checking', blobName: string, error: unknown): StorageError {
  const status = storageStatusOf(error);
  return new StorageError(
    `${action} the run lease ${blobName} failed: ${describeError(error)}. ${stateStorageFix(status)}`,
    { code: 'TenantLeaseFailed', statusCode: status, retryable: true, cause: error },
  );
}
