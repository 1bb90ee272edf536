import type { Directory } from './directory';
import type { FaultInjector, IncidentsPageInfo } from './faultInjector';
import type { IncidentStore } from './incidentStore';
import type { RateLimiter } from './rateLimiter';
import type { Clock } from './types';

/** One tenant's data as the incident APIs see it: its incidents, its page hook and its own quota. */
export interface TenantApiScope {
  tenantId: string;
  store: IncidentStore;
  faults: FaultInjector;
  rateLimiters: Record<'defender' | 'graph', RateLimiter>;
}

/** What the Defender and Graph incident servers share. */
export interface IncidentsApiContext {
  directory: Directory;
  /** The data of the token's tenant (`tid`); undefined for a tenant the simulator does not serve. */
  tenantScope: (tenantId: string) => TenantApiScope | undefined;
  /** Faults for every tenant (their page hook runs before the tenant's own). */
  faults: FaultInjector;
  clock: Clock;
  /** Origin of this server (known once it listens). */
  origin: () => string;
}

/** Builds a same-shape URL for the next page: the same query with `$skip` moved on. */
export function nextPageUrl(base: string, path: string, query: Record<string, string>, nextSkip: number): string {
  const params = new URLSearchParams({ ...query, $skip: String(nextSkip) });
  return `${base}${path}?${params.toString().replace(/%24/g, '$')}`;
}

/** Calls the global page hook (counting every page on the server), then the tenant's (counting that tenant's pages). */
export async function runPageHooks(
  global: FaultInjector,
  scope: TenantApiScope,
  counters: { all: number; byTenant: Map<string, number> },
  info: Omit<IncidentsPageInfo, 'requestIndex' | 'tenantId'>,
): Promise<void> {
  const tenantIndex = counters.byTenant.get(scope.tenantId) ?? 0;
  counters.byTenant.set(scope.tenantId, tenantIndex + 1);
  await global.onIncidentsPage?.({ ...info, requestIndex: counters.all++, tenantId: scope.tenantId });
  await scope.faults.onIncidentsPage?.({ ...info, requestIndex: tenantIndex, tenantId: scope.tenantId });
}
