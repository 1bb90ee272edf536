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
export function listPage(
  rows: readonly StoredIncident[],
  options: ListOptions,
): { page: StoredIncident[]; total: number } {
  const key = (row: StoredIncident): bigint =>
    options.orderBy === 'lastUpdate' ? row.lastUpdateTicks : row.createdTicks;
  const direction = options.descending ? -1 : 1;
  const compare = (a: StoredIncident, b: StoredIncident): number => {
    const [left, right] = [key(a), key(b)];
    const order = left === right ? a.incident.id - b.incident.id : left < right ? -1 : 1;
    return order * direction;
  };
  const matching = options.filter ? rows.filter(options.filter) : [...rows];
  const wanted = options.skip + options.top;
  // A page near the front of a large list (keyset paging, small $skip): keep only the first `wanted` in
  // order instead of sorting everything, so a call over 100k incidents costs a scan, not a sort.
  const first = wanted * 8 < matching.length ? firstInOrder(matching, wanted, compare) : matching.sort(compare);
  return { page: first.slice(options.skip, wanted), total: matching.length };
}

/** The first `count` rows in `compare` order (a sorted buffer that only admits rows ahead of its last). */
function firstInOrder(
  rows: readonly StoredIncident[],
  count: number,
  compare: (a: StoredIncident, b: StoredIncident) => number,
): StoredIncident[] {
  const best: StoredIncident[] = [];
  if (count === 0) return best;
  for (const row of rows) {
    const last = best[best.length - 1];
    if (best.length === count && last !== undefined && compare(row, last) >= 0) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = best[middle];
      if (other !== undefined && compare(other, row) <= 0) low = middle + 1;
      else high = middle;
    }
    best.splice(low, 0, row);
    if (best.length > count) best.pop();
  }
  return best;
}

/** Parses a non-negative integer query option; undefined when absent, 'invalid' when malformed. */
export function parseCount(text: string | undefined): number | undefined | 'invalid' {
  if (text === undefined) return undefined;
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : 'invalid';
}
