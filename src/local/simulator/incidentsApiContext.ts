import type { Directory } from './directory';
import type { FaultInjector } from './faultInjector';
import type { IncidentStore } from './incidentStore';
import type { RateLimiter } from './rateLimiter';
import type { Clock } from './types';

/** What the Defender and Graph incident servers share. */
export interface IncidentsApiContext {
  directory: Directory;
  store: IncidentStore;
  faults: FaultInjector;
  rateLimiter: RateLimiter;
  clock: Clock;
  /** Origin of this server (known once it listens). */
  origin: () => string;
}

/** Builds a same-shape URL for the next page: the same query with `$skip` moved on. */
export function nextPageUrl(base: string, path: string, query: Record<string, string>, nextSkip: number): string {
  const params = new URLSearchParams({ ...query, $skip: String(nextSkip) });
  return `${base}${path}?${params.toString().replace(/%24/g, '$')}`;
}
