import { ApiError } from '../common/errors';
import type { Timestamp } from '../common/timestamp';
import type { IncidentPage, PullPosition, RawIncident } from './incident';
import type { FetchedPage } from './parsePage';
import { nextPosition, sameQuery } from './pullPosition';

/** What the pager needs from a source: its page size and how it builds and fetches a page. */
export interface KeysetPagerOptions {
  readonly apiName: string;
  readonly pageSize: number;
  /** Builds the request URL of a page from the position. */
  readonly buildUrl: (position: PullPosition) => string;
  /** Fetches and parses one page (released once the caller asked for the next page, or stopped). */
  readonly fetchPage: (url: string) => Promise<FetchedPage>;
  readonly start?: PullPosition;
  readonly shouldContinue?: () => boolean;
  /** True for a version the caller already has: enables the re-read check inside ties (see tieRequest). */
  readonly known?: (incident: RawIncident) => boolean;
}

/** Incidents of a tie already read that each `$skip` request inside the tie reads again. */
export const TIE_REREAD = 5;

/**
 * Times a pull reads a tie again from its start because its incidents moved under the `$skip`. An API whose
 * order inside a tie changed from one request to the next would otherwise make the pull start over for ever;
 * past this, the pull goes on with the plain `$skip` (as before the re-read existed) rather than never end.
 */
export const MAX_TIE_RESTARTS = 3;

/**
 * Newest-first paging that survives a list changing under it. Instead of walking `$skip` through a
 * list that shifts when incidents are updated mid-pull, each next page is asked for by time:
 * `lastUpdateTime le <oldest seen so far>`, the incidents at exactly that time read again and dropped by
 * the caller's dedupe (a page wholly at one time is a tie, paged with `$skip`; deep ties are read in
 * creation-time slices, see pullPosition.ts). An incident that leaves
 * the window (updated) therefore cannot push another one past the cursor, and a pull can be resumed
 * from its position by a later run. A `@odata.nextLink`, where the API gives one, is followed instead.
 * The next page is fetched while the caller writes the current one. A page's incidents are valid until the
 * caller asks for the next page (or stops): then its reply is released, for a later page to reuse.
 */
export async function* keysetPages(options: KeysetPagerOptions): AsyncGenerator<IncidentPage> {
  let position: PullPosition = options.start ?? { cursor: undefined, skip: 0 };
  let requested = tieRequest(position, options);
  let url = options.buildUrl(requested);
  if (options.shouldContinue?.() === false) return;
  let pending: Promise<FetchedPage> | undefined = options.fetchPage(url);
  let current: FetchedPage | undefined;
  let restarts = 0;
  try {
    while (pending) {
      const page = await pending;
      current = page;
      pending = undefined;
      const { incidents, nextLink } = page;
      assertNewestFirst(incidents, position.cursor, options.apiName);
      const restart = restarts < MAX_TIE_RESTARTS && tieLeftUnder(position, requested, incidents, options.known);
      if (restart) restarts += 1;
      const next = restart
        ? { ...position, skip: 0 }
        : nextPosition(requested, incidents, options.pageSize, nextLink !== undefined);
      const currentUrl = url;
      let last = next === undefined;
      if (next !== undefined) {
        if (options.shouldContinue?.() === false) {
          last = true;
        } else {
          const nextRequest = tieRequest(next, options);
          url =
            nextLink !== undefined && sameQuery(position, next) && nextRequest === next
              ? nextLink
              : options.buildUrl(nextRequest);
          pending = options.fetchPage(url);
          // Prefetched while the caller writes this page; if the caller stops early, its failure must not go unhandled.
          pending.catch(() => undefined);
        }
      }
      yield { incidents, requestUrl: currentUrl, next };
      page.release?.();
      current = undefined;
      if (last || next === undefined) return;
      position = next;
      requested = tieRequest(next, options);
    }
  } finally {
    current?.release?.();
    // A page prefetched for a caller that stopped is released once it arrives.
    void pending?.then(
      (page) => page.release?.(),
      () => undefined,
    );
  }
}

/**
 * The request for a position inside a tie paged with `$skip` (skip > 0 at one update time): it starts TIE_REREAD
 * incidents early, so the page begins with incidents already read. If some that were read left the tie meanwhile
 * (updated), the `$skip` lands that many places further on; up to TIE_REREAD of them are absorbed by the
 * re-read, and more are noticed by tieLeftUnder. Without `known` the request is the position itself.
 */
function tieRequest(position: PullPosition, options: Pick<KeysetPagerOptions, 'known' | 'pageSize'>): PullPosition {
  const { known, pageSize } = options;
  if (known === undefined || position.cursor === undefined || position.belowCursor === true || position.skip === 0)
    return position;
  // Fewer than a page, so that a full page always moves the pull on.
  const reread = Math.min(position.skip, TIE_REREAD, pageSize - 1);
  return { ...position, skip: position.skip - reread };
}

/**
 * True when a re-reading request inside a tie did not start with an incident already read: more of the tie's
 * incidents read before left it than the re-read absorbs, so the `$skip` may have passed over unread ones.
 * The tie (or its slice) is then read again from its start; the caller's dedupe drops what it already has.
 */
function tieLeftUnder(
  position: PullPosition,
  requested: PullPosition,
  incidents: readonly RawIncident[],
  known: KeysetPagerOptions['known'],
): boolean {
  if (known === undefined || requested.skip === position.skip) return false;
  const first = incidents[0];
  return first === undefined || !known(first);
}

/** The keyset relies on the documented newest-first order: a page that breaks it fails the run instead of risking a gap. */
function assertNewestFirst(incidents: readonly RawIncident[], cursor: Timestamp | undefined, apiName: string): void {
  let previous = cursor;
  for (const incident of incidents) {
    if (previous !== undefined && incident.lastUpdateTime > previous) {
      throw new ApiError(
        `${apiName} returned incidents out of the documented newest-first order (incident ` +
          `${incident.id} at ${incident.lastUpdateTime} after ${previous}); the run stops rather ` +
          `than risk missing incidents.`,
        { code: 'UnexpectedOrder' },
      );
    }
    previous = incident.lastUpdateTime;
  }
}
