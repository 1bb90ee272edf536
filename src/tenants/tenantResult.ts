import { ExporterError, describeError } from '../common/errors';
import { formatSummary } from '../export/runSummary';
import type { TenantEntry, TenantRunOutcome } from './tenantRunner';

/** What one tenant's run came to: its outcome, or the error it failed with. */
export type TenantResult =
  | { readonly tenant: TenantEntry; readonly outcome: TenantRunOutcome }
  | { readonly tenant: TenantEntry; readonly error: unknown };

function label(tenant: TenantEntry): string {
  return `tenant ${tenant.tenantId}${tenant.name === undefined ? '' : ` (${tenant.name})`}`;
}

/** One line per tenant: what its run did, or why it failed (code and message); printed by the CLI and the local host. */
export function formatTenantResult(result: TenantResult): string {
  if ('error' in result) {
    const code = result.error instanceof ExporterError ? ` ${result.error.code}` : '';
    return `${label(result.tenant)}: FAILED${code}: ${describeError(result.error)}`;
  }
  if (result.outcome.kind === 'busy')
    return `${label(result.tenant)}: busy: another run holds this tenant; nothing done.`;
  return `${label(result.tenant)}: ${formatSummary(result.outcome.summary)}`;
}

/** The closing line of a multi-tenant run. */
export function formatTenantTotal(results: readonly TenantResult[]): string {
  const exported = results.flatMap((result) =>
    'outcome' in result && result.outcome.kind === 'exported' ? [result.outcome.summary] : [],
  );
  const busy = results.filter((result) => 'outcome' in result && result.outcome.kind === 'busy').length;
  const failed = results.filter((result) => 'error' in result).length;
  const incidents = exported.reduce((sum, summary) => sum + summary.incidents, 0);
  const blobs = exported.reduce((sum, summary) => sum + summary.blobs.length, 0);
  return (
    `total: ${results.length} tenant${results.length === 1 ? '' : 's'}: ${exported.length}` +
    ` exported (${incidents} incident${incidents === 1 ? '' : 's'}, ${blobs} blob` +
    `${blobs === 1 ? '' : 's'}), ${busy} busy, ${failed} failed`
  );
}
