import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';
import type { PullPosition, RawIncident } from '../../src/sources/incident';
import { keysetPages, MAX_TIE_RESTARTS } from '../../src/sources/keysetPager';

/**
 * A fake newest-first list that answers keyset requests the way the API answers `le <cursor>` (or `lt`, or
 * `eq` with a creation-time slice) with `$skip`. An incident's creation time is its id in seconds after 06:00.
 */
function fakeList(incidents: RawIncident[]): {
  fetchPage: (url: string) => Promise<{ incidents: RawIncident[]; nextLink: undefined }>;
  buildUrl: (r: PullPosition) => string;
  calls: PullPosition[];
} {
  const calls: PullPosition[] = [];
  const created = (id: string): string =>
    `2026-11-27T06:${String(Math.floor(Number(id) / 60)).padStart(2, '0')}:` +
    `${String(Number(id) % 60).padStart(2, '0')}.0000000Z`;
  const inPosition = (position: PullPosition, i: RawIncident): boolean => {
    const { cursor, tie } = position;
    if (cursor === undefined) return true;
    if (position.belowCursor === true) return i.lastUpdateTime < cursor;
    if (tie === undefined) return i.lastUpdateTime <= cursor;
    return (
      i.lastUpdateTime === cursor &&
      (tie.createdFrom === undefined || created(i.id) >= tie.createdFrom) &&
      (tie.createdBefore === undefined || created(i.id) < tie.createdBefore)
    );
  };
  return {
    calls,
    buildUrl: (request) => JSON.stringify(request),
    fetchPage: (url) => {
      const request = JSON.parse(url) as PullPosition;
      calls.push(request);
      const sorted = [...incidents].sort((a, b) =>
        a.lastUpdateTime === b.lastUpdateTime
          ? Number(b.id) - Number(a.id)
          : a.lastUpdateTime < b.lastUpdateTime
            ? 1
            : -1,
      );
      const eligible = sorted.filter((i) => inPosition(request, i));
      return Promise.resolve({ incidents: eligible.slice(request.skip, request.skip + 3), nextLink: undefined });
    },
  };
}

const at = (second: number): Timestamp => requireTimestamp(`2026-11-27T07:00:${String(second).padStart(2, '0')}Z`, 't');
const incident = (id: number, second: number): RawIncident => ({
  id: String(id),
  lastUpdateTime: at(second),
  json: Buffer.from(`{"incidentId":${id}}`),
});

/** The ids of the versions read, first reading only: the exporter's ledger drops a version read again. */
function firstReads(seen: Set<string>, incidents: readonly RawIncident[]): string[] {
  const ids: string[] = [];
  for (const { id, lastUpdateTime } of incidents) {
    const key = `${id}@${lastUpdateTime}`;
    if (!seen.has(key)) ids.push(id);
    seen.add(key);
  }
  return ids;
}

async function collect(list: Pick<ReturnType<typeof fakeList>, 'fetchPage' | 'buildUrl'>): Promise<string[]> {
  const ids: string[] = [];
  const seen = new Set<string>();
  const known = (i: RawIncident): boolean => seen.has(`${i.id}@${i.lastUpdateTime}`);
  for await (const page of keysetPages({ apiName: 'Fake', pageSize: 3, ...list, known }))
    ids.push(...firstReads(seen, page.incidents));
  return ids;
}

describe('keysetPages', () => {
  /** The list's pages, each numbered in fetch order and logging its release. */
  function releasingList(log: string[]): Pick<ReturnType<typeof fakeList>, 'buildUrl'> & {
    fetchPage: (url: string) => Promise<{ incidents: RawIncident[]; nextLink: undefined; release: () => void }>;
  } {
    const list = fakeList([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((id) => incident(id, id)));
    let fetched = 0;
    return {
      buildUrl: list.buildUrl,
      fetchPage: async (url) => {
        fetched += 1;
        const number = fetched;
        return { ...(await list.fetchPage(url)), release: () => log.push(`release ${number}`) };
      },
    };
  }

  it('releases a page once the caller asks for the next, and the last one when the pull ends', async () => {
    const log: string[] = [];
    let pages = 0;
    for await (const page of keysetPages({ apiName: 'Fake', pageSize: 3, ...releasingList(log) })) {
      pages += 1;
      log.push(`page ${pages}: ${page.incidents.length}`);
    }
    expect(log).toEqual([
      'page 1: 3',
      'release 1',
      'page 2: 3',
      'release 2',
      'page 3: 3',
      'release 3',
      'page 4: 3',
      'release 4',
      'page 5: 2',
      'release 5',
    ]);
  });

  it('releases the page held and the one prefetched when the caller stops early', async () => {
    const log: string[] = [];
    let pages = 0;
    for await (const page of keysetPages({ apiName: 'Fake', pageSize: 3, ...releasingList(log) })) {
      pages += 1;
      log.push(`page ${pages}: ${page.incidents.length}`);
      if (pages === 2) break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['page 1: 3', 'release 1', 'page 2: 3', 'release 2', 'release 3']);
  });

  it('pages newest first by time and stops on a short page', async () => {
    const list = fakeList([1, 2, 3, 4, 5, 6, 7].map((id) => incident(id, id)));
    expect(await collect(list)).toEqual(['7', '6', '5', '4', '3', '2', '1']);
    expect(list.calls).toEqual([
      { cursor: undefined, skip: 0 },
      { cursor: at(5), skip: 0 },
      { cursor: at(3), skip: 0 },
      { cursor: at(1), skip: 0 },
    ]);
  });

  it('skips exactly the ties already seen when many incidents share one time across pages', async () => {
    const list = fakeList([incident(1, 1), ...[2, 3, 4, 5, 6, 7, 8].map((id) => incident(id, 5)), incident(9, 9)]);
    const ids = await collect(list);
    expect(ids).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('loses nothing when an unread incident is updated mid-pull (it moves to the top, past the cursor)', async () => {
    const incidents = [1, 2, 3, 4, 5, 6, 7].map((id) => incident(id, id));
    const list = fakeList(incidents);
    const fetchPage = (url: string): ReturnType<typeof list.fetchPage> => {
      if (list.calls.length === 1) incidents[1] = incident(2, 59); // before the second page: incident 2 updated, leaves the cursor's range
      return list.fetchPage(url);
    };
    expect(await collect({ ...list, fetchPage })).toEqual(['7', '6', '5', '4', '3', '1']);
    // Its old version is gone from the API; its new version (newer than anything read) is the next run's business.
  });

  it('loses nothing when the incident read at the cursor is updated before the next request', async () => {
    // The page 7, 6, 5 ends at 5; then 5 is updated. A $skip over "the one already read at 5" would now skip 4.
    const incidents = [1, 2, 3, 4, 5, 6, 7].map((id) => incident(id, id));
    const list = fakeList(incidents);
    const fetchPage = (url: string): ReturnType<typeof list.fetchPage> => {
      if (list.calls.length === 1) incidents[4] = incident(5, 59);
      return list.fetchPage(url);
    };
    expect(await collect({ ...list, fetchPage })).toEqual(['7', '6', '5', '4', '3', '2', '1']);
  });

  it('loses nothing when ties at the cursor are updated before the next request', async () => {
    // 8, then 7, 6, 5 at one time: the first page ends inside the tie; two of the tie read are updated.
    const incidents = [incident(1, 1), incident(2, 2), ...[5, 6, 7].map((id) => incident(id, 5)), incident(8, 8)];
    const list = fakeList(incidents);
    const fetchPage = (url: string): ReturnType<typeof list.fetchPage> => {
      if (list.calls.length === 1) {
        incidents[4] = incident(7, 58);
        incidents[3] = incident(6, 59);
      }
      return list.fetchPage(url);
    };
    expect(await collect({ ...list, fetchPage })).toEqual(['8', '7', '6', '5', '2', '1']);
  });

  it('loses nothing in a tie deeper than a page when tie members already read are updated between pages', async () => {
    const incidents = [incident(9, 9), ...[1, 2, 3, 4, 5, 6, 7, 8].map((id) => incident(id, 5)), incident(10, 1)];
    const list = fakeList(incidents);
    const read = new Set<string>();
    let tieRequests = 0;
    const fetchPage = (url: string): ReturnType<typeof list.fetchPage> => {
      // At the second and third requests inside the tie, two tie members already read are updated (they leave it).
      const position = JSON.parse(url) as PullPosition;
      if (position.cursor === at(5) && [2, 3].includes((tieRequests += 1))) {
        const leaving = incidents.filter((i) => i.lastUpdateTime === at(5) && read.has(i.id)).slice(0, 2);
        for (const gone of leaving) incidents[incidents.indexOf(gone)] = incident(Number(gone.id), 59);
      }
      return list.fetchPage(url).then((page) => {
        for (const i of page.incidents) read.add(i.id);
        return page;
      });
    };
    const ids = await collect({ ...list, fetchPage });
    const stillTied = incidents.filter((i) => i.lastUpdateTime === at(5)).map((i) => i.id);
    expect(stillTied.length).toBeGreaterThan(0);
    for (const id of [...stillTied, '9', '10']) expect(ids).toContain(id);
  });

  it('ends even if the API orders a tie differently on every request (starts the tie over at most a few times)', async () => {
    const tie = Array.from({ length: 30 }, (_, index) => incident(index + 1, 5));
    let turn = 0;
    const calls: PullPosition[] = [];
    const list = {
      buildUrl: (position: PullPosition) => JSON.stringify(position),
      fetchPage: (url: string) => {
        const position = JSON.parse(url) as PullPosition;
        calls.push(position);
        turn += 1;
        // A different order inside the tie each time: rotated by 7 per request.
        const rotated = tie.map((_, index) => tie[(index + turn * 7) % tie.length] as RawIncident);
        return Promise.resolve({ incidents: rotated.slice(position.skip, position.skip + 3), nextLink: undefined });
      },
    };
    await collect(list);
    expect(calls.filter((call) => call.skip === 0).length).toBeLessThanOrEqual(1 + MAX_TIE_RESTARTS);
    expect(calls.length).toBeLessThan(100);
  });

  it('fetches the next page while the caller still works on the current one', async () => {
    const list = fakeList([1, 2, 3, 4, 5, 6, 7].map((id) => incident(id, id)));
    const seenCalls: number[] = [];
    for await (const page of keysetPages({ apiName: 'Fake', pageSize: 3, ...list })) {
      void page;
      seenCalls.push(list.calls.length);
    }
    expect(seenCalls).toEqual([2, 3, 4, 4]);
  });

  it('resumes from a saved position and stops before a request when told to', async () => {
    const list = fakeList([1, 2, 3, 4, 5, 6, 7].map((id) => incident(id, id)));
    const ids: string[] = [];
    let allowed = 1;
    for await (const page of keysetPages({
      apiName: 'Fake',
      pageSize: 3,
      ...list,
      start: { cursor: at(5), skip: 0 },
      shouldContinue: () => allowed-- > 0,
    })) {
      ids.push(...page.incidents.map((i) => i.id));
      expect(page.next).toEqual({ cursor: at(3), skip: 0 });
    }
    expect(ids).toEqual(['5', '4', '3']);
    expect(list.calls).toEqual([{ cursor: at(5), skip: 0 }]);
  });

  it('refuses a page out of newest-first order instead of risking a gap', async () => {
    const list = {
      buildUrl: () => 'u',
      fetchPage: () => Promise.resolve({ incidents: [incident(1, 1), incident(2, 2)], nextLink: undefined }),
    };
    await expect(collect(list)).rejects.toMatchObject({ code: 'UnexpectedOrder' });
  });
});
