import { ApiError } from '../common/errors';
import type { Timestamp } from '../common/timestamp';
import type { IncidentPage, RawIncident } from './incident';

/**
 * Newest-first paging that survives a list changing under it. Instead of walking `$skip` through a
 * list that shifts when incidents are updated mid-pull, each next page is asked for by time:
 * `lastUpdateTime le <oldest seen so far>`, skipping only the incidents at exactly that time already
 * seen (ties). An incident that leaves the window (updated) therefore cannot push another one past
 * the cursor. A `@odata.nextLink`, where the API gives one, is followed instead.
 */
export interface KeysetRequest {
  /** Oldest update time seen so far (inclusive upper bound of the next page), undefined for the first page. */
  readonly cursor: Timestamp | undefined;
  /** How many incidents at exactly `cursor` were already seen. */
  readonly skip: number;
}

export interface KeysetPagerOptions {
  readonly apiName: string;
  readonly pageSize: number;
  /** Builds the request URL of a page from the cursor. */
  readonly buildUrl: (request: KeysetRequest) => string;
  /** Fetches and parses one page. */
  readonly fetchPage: (url: string) => Promise<{ incidents: RawIncident[]; nextLink: string | undefined }>;
}

export async function* keysetPages(options: KeysetPagerOptions): AsyncGenerator<IncidentPage> {
  let request: KeysetRequest = { cursor: undefined, skip: 0 };
  let url = options.buildUrl(request);
  for (;;) {
    const { incidents, nextLink } = await options.fetchPage(url);
    assertNewestFirst(incidents, request.cursor, options.apiName);
    yield { incidents, requestUrl: url };
    if (nextLink !== undefined) {
      url = nextLink;
      request = advance(request, incidents);
      continue;
    }
    if (incidents.length < options.pageSize) return;
    request = advance(request, incidents);
    url = options.buildUrl(request);
  }
}

function advance(request: KeysetRequest, incidents: readonly RawIncident[]): KeysetRequest {
  const oldest = incidents[incidents.length - 1]?.lastUpdateTime;
  if (oldest === undefined) return request;
  const atOldest = incidents.filter((incident) => incident.lastUpdateTime === oldest).length;
  return oldest === request.cursor ? { cursor: oldest, skip: request.skip + atOldest } : { cursor: oldest, skip: atOldest };
}

/** The keyset relies on the documented newest-first order: a page that breaks it fails the run instead of risking a gap. */
function assertNewestFirst(incidents: readonly RawIncident[], cursor: Timestamp | undefined, apiName: string): void {
  let previous = cursor;
  for (const incident of incidents) {
    if (previous !== undefined && incident.lastUpdateTime > previous) {
      throw new ApiError(`${apiName} returned incidents out of the documented newest-first order (incident ${incident.id} at ${incident.lastUpdateTime} after ${previous}); the run stops rather than risk missing incidents.`, { code: 'UnexpectedOrder' });
    }
    previous = incident.lastUpdateTime;
  }
}
