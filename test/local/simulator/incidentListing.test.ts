import { listPage } from '../../../src/local/simulator/incidentListing';
import type { StoredIncident } from '../../../src/local/simulator/incidentStore';
import { Prng } from '../../../src/local/simulator/prng';
import type { SimIncident } from '../../../src/local/simulator/incidentModel';

/** Rows with only what ordering reads; many share a timestamp so ties (by id) matter. */
function rows(count: number, rng: Prng): StoredIncident[] {
  return Array.from({ length: count }, (_, index) => {
    const incident: Partial<SimIncident> = { id: 1000 + ((index * 7919) % count) };
    return {
      incident: incident as SimIncident,
      createdTicks: BigInt(Math.floor(rng.next() * 50)),
      lastUpdateTicks: BigInt(Math.floor(rng.next() * 50)),
    };
  });
}

function reference(
  all: readonly StoredIncident[],
  descending: boolean,
  skip: number,
  top: number,
  filter?: (row: StoredIncident) => boolean,
): number[] {
  const sorted = all
    .filter((row) => filter?.(row) ?? true)
    .sort((a, b) => {
      const order =
        a.lastUpdateTicks === b.lastUpdateTicks
          ? a.incident.id - b.incident.id
          : a.lastUpdateTicks < b.lastUpdateTicks
            ? -1
            : 1;
      return descending ? -order : order;
    });
  return sorted.slice(skip, skip + top).map((row) => row.incident.id);
}

describe('listPage', () => {
  it('gives the same page as sorting everything, for any skip and top, in both orders, ties included', () => {
    const rng = new Prng(7);
    const all = rows(3000, rng);
    const filter = (row: StoredIncident): boolean => row.lastUpdateTicks <= 40n;
    for (const descending of [true, false]) {
      for (const [skip, top] of [
        [0, 0],
        [0, 1],
        [0, 100],
        [37, 100],
        [250, 50],
        [2900, 100],
        [5000, 10],
      ] as const) {
        for (const predicate of [undefined, filter]) {
          const { page, total } = listPage(all, { filter: predicate, orderBy: 'lastUpdate', descending, skip, top });
          expect(page.map((row) => row.incident.id)).toEqual(reference(all, descending, skip, top, predicate));
          expect(total).toBe(all.filter((row) => predicate?.(row) ?? true).length);
        }
      }
    }
  });
});
