import type { ApiClient } from './apiClient';
import type { IncidentPage, IncidentSource, PullOptions, PullPosition, PullWindow, SourceStats } from './incident';
import { asRetirement } from './defenderRetirement';
import { keysetPages } from './keysetPager';
import { fetchIncidentPage } from './parsePage';
import { positionClauses } from './pullPosition';

/** Documented maximum of `$top` for the Defender list incidents call. */
export const DEFENDER_PAGE_SIZE = 100;

/**
 * Microsoft 365 Defender `GET /api/incidents`: `$filter` on `lastUpdateTime`, `$top` 100, newest first.
 * NOTE: https://learn.microsoft.com/defender-xdr/api-list-incidents (no $orderby, no nextLink documented).
 */
export class DefenderSource implements IncidentSource {
  readonly name = 'defender' as const;

  constructor(
    private readonly client: ApiClient,
    private readonly apiUrl: string,
    readonly stats: SourceStats,
  ) {}

  pull(window: PullWindow, options: PullOptions = {}): AsyncIterable<IncidentPage> {
    const fields = { apiName: 'Defender API', id: 'incidentId', lastUpdate: 'lastUpdateTime' };
    const stats = this.stats;
    return keysetPages({
      apiName: fields.apiName,
      pageSize: DEFENDER_PAGE_SIZE,
      buildUrl: (position) => this.listUrl(window, position),
      start: options.start,
      shouldContinue: options.shouldContinue,
      known: options.known,
      fetchPage: async (url) => {
        const page = await fetchIncidentPage(this.client, url, fields, options.abortSignal).catch((error: unknown) => {
          throw asRetirement(error, url);
        });
        stats.pages += 1;
        return page;
      },
    });
  }

  private listUrl(window: PullWindow, position: PullPosition): string {
    const clauses = [`lastUpdateTime ge ${window.from}`];
    if (window.to !== undefined) clauses.push(`lastUpdateTime lt ${window.to}`);
    clauses.push(...positionClauses(position, { updated: 'lastUpdateTime', created: 'createdTime' }));
    const query = new URLSearchParams({ $filter: clauses.join(' and '), $top: String(DEFENDER_PAGE_SIZE) });
    if (position.skip > 0) query.set('$skip', String(position.skip));
    return `${this.apiUrl}/api/incidents?${query.toString().replace(/\+/g, '%20')}`;
  }
}
