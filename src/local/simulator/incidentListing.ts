import type { StoredIncident } from './incidentStore';
import type { IncidentPredicate } from './odataFilter';

export interface ListOptions {
  filter?: IncidentPredicate;
  orderBy: 'lastUpdate' | 'created';
  descending: boolean;
  skip: number;
  top: number;
}

/** One page of incidents: filtered, ordered by the timestamp (ties by id, same direction), then skip/top. */
export function listPage(rows: readonly StoredIncident[], options: ListOptions): { page: StoredIncident[]; total: number } {
  const key = (row: StoredIncident): bigint => (options.orderBy === 'lastUpdate' ? row.lastUpdateTicks : row.createdTicks);
  const direction = options.descending ? -1 : 1;
  const matching = rows
    .filter((row) => options.filter?.(row) ?? true)
    .sort((a, b) => {
      const [left, right] = [key(a), key(b)];
      const order = left === right ? a.incident.id - b.incident.id : left < right ? -1 : 1;
      return order * direction;
    });
  return { page: matching.slice(options.skip, options.skip + options.top), total: matching.length };
}

/** Parses a non-negative integer query option; undefined when absent, 'invalid' when malformed. */
export function parseCount(text: string | undefined): number | undefined | 'invalid' {
  if (text === undefined) return undefined;
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : 'invalid';
}
