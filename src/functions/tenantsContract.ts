/**
 * PRIVATE STUB of the tenants contract (TENANTS-CONTRACT.md) until src/tenants lands on main; deleted then, and
 * every import switches to '../tenants/registry' and '../tenants/tenantRunner'. Without a registry the stub
 * behaves exactly as the real runner does: `enabledTenants()` answers undefined (single-tenant mode).
 */
import { ExporterError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { RunSummary } from '../export/runSummary';
import type { ExporterRuntime } from '../runtime/exporterRuntime';

export interface TenantEntry {
  readonly tenantId: string;
  readonly name?: string;
  readonly clientId?: string;
  readonly secretName?: string;
  readonly incidentsApi?: 'defender' | 'graph';
  readonly enabled: boolean;
}

export type TenantRunOutcome =
  { readonly kind: 'exported'; readonly summary: RunSummary } | { readonly kind: 'busy'; readonly tenantId: string };

export interface TenantRunner {
  enabledTenants(): Promise<readonly TenantEntry[] | undefined>;
  runTenant(tenantId: string, options: { trigger: string; logger: Logger; runId?: string }): Promise<TenantRunOutcome>;
  beginTick(): void;
}

export function tenantRunnerFor(runtime: ExporterRuntime): TenantRunner {
  void runtime;
  return {
    enabledTenants: () => Promise.resolve(undefined),
    runTenant: (tenantId) =>
      Promise.reject(
        new ExporterError(`Tenant '${tenantId}' is not in a registry: this build has none.`, { code: 'UnknownTenant' }),
      ),
    beginTick: () => undefined,
  };
}
