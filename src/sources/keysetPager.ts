import { ApiError } from '../common/errors';
import type { Timestamp } from '../common/timestamp';
import type { IncidentPage, PullPosition, RawIncident } from './incident';
import { nextPosition, sameQuery } from './pullPosition';

/** What the pager needs from a source: its page size and how it builds and fetches a page. */
export interface KeysetPagerOptions {
  readonly apiName: string;
  readonly pageSize: number;
  /** Builds the request URL of a page from the position. */
  readonly buildUrl: (position: PullPosition) => string;
  /** Fetches and parses one page. */
  readonly fetchPage: (url: string) => Promise<{ incidents: RawIncident[]; nextLink: string | undefined }>;
  readonly start?: PullPosition;
  readonly shouldContinue?: () => boolean;
}

type Fetched = { incidents: RawIncident[]; nextLink: string | undefined };

/**
 * Newest-first paging that survives a list changing under it. Instead of walking `$skip` through a
 * list that shifts when incidents are updated mid-pull, each next page is asked for by time:
 * `lastUpdateTime le <oldest seen so far>`, the incidents at exactly that time read again and dropped by
 * the caller's dedupe (a page wholly at one time is a tie, paged with `$skip`; deep ties are read in
 * creation-time slices, see pullPosition.ts). An incident that leaves
 * the window (updated) therefore cannot push another one past the cursor, and a pull can be resumed
 * from its position by a later run. A `@odata.nextLink`, where the API gives one, is followed instead.
 * The next page is fetched while the caller writes the current one.
 */
export async function* keysetPages(options: KeysetPagerOptions): AsyncGenerator<IncidentPage> {
  let position: PullPosition = options.start ?? { cursor: undefined, skip: 0 };
  let url = options.buildUrl(position);
  if (options.shouldContinue?.() === false) return;
  let pending: Promise<Fetched> = options.fetchPage(url);
  for (;;) {
    const { incidents, nextLink } = await pending;
    assertNewestFirst(incidents, position.cursor, options.apiName);
    const next = nextPosition(position, incidents, options.pageSize, nextLink !== undefined);
    const currentUrl = url;
    let last = next === undefined;
    if (next !== undefined) {
      if (options.shouldContinue?.() === false) {
        last = true;
      } else {
        url = nextLink !== undefined && sameQuery(position, next) ? nextLink : options.buildUrl(next);
        pending = options.fetchPage(url);
        // Prefetched while the caller writes this page; if the caller stops early, its failure must not go unhandled.
        pending.catch(() => undefined);
      }
    }
    yield { incidents, requestUrl: currentUrl, next };
    if (last || next === undefined) return;
    position = next;
  }
}

/** The keyset relies on the documented newest-first order: a page that breaks it fails the run instead of risking a gap. */
function assertNewestFirst(incidents: readonly RawIncident[], cursor: Timestamp | undefined, apiName: string): void {
  let previous = cursor;
  for (const incident of incidents) {
    if (previous !== undefined && incident.lastUpdateTime > previous) {
      throw new ApiError(
        `${apiName} returned incidents out of the documented newest-first order (incident ${incident.id} at ${incident.lastUpdateTime} after ${previous}); the run stops rather than risk missing incidents.`,
        { code: 'UnexpectedOrder' },
      );
    }
    previous = incident.lastUpdateTime;
  }
}
