import type { ContainerClient } from '@azure/storage-blob';
import type { Timestamp } from '../common/timestamp';
import { BackfillJobStore } from '../export/backfillJob';
import { SINGLE_TENANT_LAYOUT, tenantLayout } from '../export/blobLayout';
import { StateStore } from '../export/stateStore';

/** What adopting the single-tenant state did. */
export type Adoption =
  | { readonly kind: 'adopted'; readonly watermark: Timestamp; readonly backfillJobs: number }
  | { readonly kind: 'nothing to adopt' }
  | { readonly kind: 'tenant has its own state'; readonly watermark: Timestamp };

/**
 * Moves a single-tenant deployment to the registry without losing or re-exporting anything: the state of
 * today's exporter (`state/exporter-state.json`: watermark, pull in progress, versions remembered for the
 * overlap window) and its unfinished backfill jobs become the registered tenant's, so its first run continues
 * exactly where the single-tenant exporter stopped. The old blobs stay where they are (`incidents/...` keeps the
 * exports made before the move; new ones go under `tenants/<id>/`). Never overwrites a tenant's own state.
 */
export async function adoptSingleTenantState(stateContainer: ContainerClient, tenantId: string): Promise<Adoption> {
  const legacy = await new StateStore(stateContainer, SINGLE_TENANT_LAYOUT).read();
  if (legacy.state === undefined) return { kind: 'nothing to adopt' };
  const layout = tenantLayout(tenantId);
  const target = new StateStore(stateContainer, layout);
  const own = await target.read();
  if (own.state !== undefined) return { kind: 'tenant has its own state', watermark: own.state.watermark };
  // If-None-Match: a tenant run that created its state meanwhile wins (its state is never replaced).
  await target.write(legacy.state, undefined);
  const jobs = await new BackfillJobStore(stateContainer, SINGLE_TENANT_LAYOUT).pending();
  const tenantJobs = new BackfillJobStore(stateContainer, layout);
  for (const job of jobs) await tenantJobs.write(job, undefined);
  return { kind: 'adopted', watermark: legacy.state.watermark, backfillJobs: jobs.length };
}
