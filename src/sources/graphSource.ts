import { ApiError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ApiClient } from './apiClient';
import type { IncidentPage, IncidentSource, PullOptions, PullPosition, PullWindow, SourceStats } from './incident';
import { keysetPages } from './keysetPager';
import { fetchIncidentPage, type FetchedPage, type IncidentFields } from './parsePage';
import { positionClauses } from './pullPosition';
import { encodeQuery, hasQueryOption, withoutQueryOption } from './queryOptions';

/** Maximum `$top` of Graph's list incidents (observed: 100 is answered 400 "The limit of '50' for Top query has been exceeded"). */
export const GRAPH_PAGE_SIZE = 50;

const FIELDS: IncidentFields = { apiName: 'Microsoft Graph', id: 'id', lastUpdate: 'lastUpdateDateTime' };
const ORDER_NEWEST_FIRST = 'lastUpdateDateTime desc';

/** What one process learns about the Graph API and keeps for its later runs. */
export interface GraphApiBehaviour {
  /** The API answered 400 to `$orderby` and accepted the same request without it: stop sending it. */
  orderByRefused: boolean;
}

/** Everything a GraphSource needs; built per run by the composition root. */
export interface GraphSourceOptions {
  readonly client: Pick<ApiClient, 'getHeld'>;
  /** Graph base without `/v1.0`, e.g. https://graph.microsoft.us. */
  readonly apiUrl: string;
  readonly stats: SourceStats;
  /** The run's logger: the fallbacks below are announced there. */
  readonly logger: Logger;
  /** GRAPH_EXPAND_ALERTS: ask for each incident's alerts with `$expand=alerts`. */
  readonly expandAlerts: boolean;
  /** Shared by every run of the process. */
  readonly behaviour: GraphApiBehaviour;
}

/**
 * Microsoft Graph `GET /v1.0/security/incidents`, paged like the Defender source: newest first by
 * `lastUpdateDateTime` (`$orderby=lastUpdateDateTime desc`, Graph's default order too), each next page
 * asked for by time (`lastUpdateDateTime le <oldest seen>`, `$skip` only over ties), `$top` 50. A
 * nextLink is followed only when Graph ends a page early while saying more remain (and only on the
 * same host: the client refuses any other); full pages continue by time, so `$skip` never grows deep.
 *
 * Fallbacks, decided per request and never losing an incident:
 * - `$orderby` answered 400: the same request is sent without it; if that succeeds, `$orderby` is
 *   dropped for the rest of the process (the keyset still checks the order and fails loudly if broken).
 * - `$expand=alerts` failing persistently (5xx after the client's retries): the same page is read
 *   without `$expand`, and so is the rest of this run; the incidents are exported without `alerts`,
 *   a warning is logged and `stats.alertsOmittedPages` counts the pages. The next run tries again.
 * NOTE: https://learn.microsoft.com/graph/api/security-list-incidents (no rate limit documented for this call).
 */
export class GraphSource implements IncidentSource {
  readonly name = 'graph' as const;
  readonly stats: SourceStats;
  private expandAlerts: boolean;

  constructor(private readonly options: GraphSourceOptions) {
    this.stats = options.stats;
    this.expandAlerts = options.expandAlerts;
  }

  pull(window: PullWindow, options: PullOptions = {}): AsyncIterable<IncidentPage> {
    return keysetPages({
      apiName: FIELDS.apiName,
      pageSize: GRAPH_PAGE_SIZE,
      buildUrl: (position) => this.listUrl(window, position),
      start: options.start,
      shouldContinue: options.shouldContinue,
      known: options.known,
      fetchPage: (url) => this.fetchPage(url, options.abortSignal),
    });
  }

  /** The request URL of one keyset page, with the options this run still sends. */
  listUrl(window: PullWindow, position: PullPosition): string {
    const clauses = [`lastUpdateDateTime ge ${window.from}`];
    if (window.to !== undefined) clauses.push(`lastUpdateDateTime lt ${window.to}`);
    clauses.push(...positionClauses(position, { updated: 'lastUpdateDateTime', created: 'createdDateTime' }));
    const query: Record<string, string> = { $filter: clauses.join(' and '), $top: String(GRAPH_PAGE_SIZE) };
    if (!this.options.behaviour.orderByRefused) query.$orderby = ORDER_NEWEST_FIRST;
    if (this.expandAlerts) query.$expand = 'alerts';
    if (position.skip > 0) query.$skip = String(position.skip);
    return `${this.options.apiUrl}/v1.0/security/incidents?${encodeQuery(query)}`;
  }

  private async fetchPage(url: string, abortSignal: AbortSignal | undefined): Promise<FetchedPage> {
    let target = this.withCurrentOptions(url);
    let orderByDropped = false;
    for (;;) {
      try {
        const page = await fetchIncidentPage(this.options.client, target, FIELDS, abortSignal);
        if (orderByDropped) this.rememberOrderByRefused();
        this.stats.pages += 1;
        if (!this.expandAlerts && this.options.expandAlerts) this.stats.alertsOmittedPages += 1;
        // A full page continues by time (no deep $skip); a short page with a nextLink is Graph paging on its own.
        return { ...page, nextLink: page.incidents.length < GRAPH_PAGE_SIZE ? page.nextLink : undefined };
      } catch (error) {
        if (!orderByDropped && hasQueryOption(target, '$orderby') && isBadRequest(error)) {
          orderByDropped = true;
          target = withoutQueryOption(target, '$orderby');
          continue;
        }
        if (this.expandAlerts && hasQueryOption(target, '$expand') && isPersistentServerFailure(error)) {
          this.dropExpand(error);
          target = withoutQueryOption(target, '$expand');
          continue;
        }
        throw error;
      }
    }
  }

  /** A nextLink echoes the options of the request it came from; take out those this run no longer sends. */
  private withCurrentOptions(url: string): string {
    let target = url;
    if (!this.expandAlerts) target = withoutQueryOption(target, '$expand');
    if (this.options.behaviour.orderByRefused) target = withoutQueryOption(target, '$orderby');
    return target;
  }

  private rememberOrderByRefused(): void {
    this.options.behaviour.orderByRefused = true;
    this.options.logger.warn(
      `Microsoft Graph refused $orderby=${ORDER_NEWEST_FIRST} (400) and accepted the same ` +
        `request without it; this process no longer sends $orderby and relies on Graph's default ` +
        `newest-first order, which every page is still checked against`,
    );
  }

  private dropExpand(error: ApiError): void {
    this.expandAlerts = false;
    this.options.logger.warn(
      'ALERTS LEFT OUT: Microsoft Graph failed persistently on $expand=alerts; this page and the ' +
        'rest of this run are read WITHOUT alerts. Every incident is still exported, but without ' +
        'its alerts field (blobs of this run lack alerts). The next run tries $expand again; set ' +
        'GRAPH_EXPAND_ALERTS=false to stop asking.',
      { statusCode: error.statusCode, code: error.code, trackingId: error.trackingId },
    );
  }
}

function isBadRequest(error: unknown): error is ApiError {
  return error instanceof ApiError && error.statusCode === 400;
}

/** The client gave up on a 5xx after its retries (not a budget stop, not a network failure without a status). */
function isPersistentServerFailure(error: unknown): error is ApiError {
  return error instanceof ApiError && error.retryable && error.statusCode !== undefined && error.statusCode >= 500;
}
