import { ApiError, BudgetExceededError } from '../../src/common/errors';
import { createLogger, type Logger } from '../../src/common/logger';
import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';
import type { HeldReply } from '../../src/sources/apiClient';
import { newSourceStats, versionKey } from '../../src/sources/incident';
import { GRAPH_PAGE_SIZE, GraphSource, type GraphApiBehaviour } from '../../src/sources/graphSource';

const BASE = 'https://graph.microsoft.us';
const from = requireTimestamp('2026-11-27T07:00:00Z', 'from');
const at = (second: number): Timestamp =>
  requireTimestamp(
    `2026-11-27T08:${String(Math.floor(second / 60)).padStart(2, '0')}:` +
      `${String(second % 60).padStart(2, '0')}.1234567Z`,
    't',
  );

type Answer = (url: URL) => string;

/** A fake ApiClient: records every URL and answers with `answer`, which may throw like the real client. */
function fakeClient(answer: Answer): {
  getHeld: <T>(url: string, parse: (body: Buffer) => T) => Promise<HeldReply<T>>;
  urls: URL[];
} {
  const urls: URL[] = [];
  return {
    urls,
    getHeld: <T>(url: string, parse: (body: Buffer) => T): Promise<HeldReply<T>> => {
      const parsed = new URL(url);
      urls.push(parsed);
      try {
        return Promise.resolve({ value: parse(Buffer.from(answer(parsed))), release: () => undefined });
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}

/**
 * A newest-first Graph list of `count` incidents, one second apart, answering `le` + `$skip` + `$top` like Graph,
 * with a nextLink (the same query, `$skip` moved on) while more remain. `shortFirstPage` makes Graph end the first page early.
 */
function graphList(count: number, options: { shortFirstPage?: number } = {}): Answer {
  const incidents = Array.from({ length: count }, (_, index) => ({
    id: String(index + 1),
    lastUpdateDateTime: at(index + 1),
  })).reverse();
  return (url) => {
    const filter = url.searchParams.get('$filter') ?? '';
    const cursor = /lastUpdateDateTime le (\S+)/.exec(filter)?.[1];
    const skip = Number(url.searchParams.get('$skip') ?? '0');
    const top = Number(url.searchParams.get('$top') ?? '50');
    const eligible = incidents.filter((incident) => cursor === undefined || incident.lastUpdateDateTime <= cursor);
    const size =
      options.shortFirstPage !== undefined && skip === 0 && cursor === undefined ? options.shortFirstPage : top;
    const page = eligible
      .slice(skip, skip + size)
      .map((incident) => (url.searchParams.has('$expand') ? { ...incident, alerts: [] } : incident));
    const next = new URL(url.href);
    next.searchParams.set('$skip', String(skip + page.length));
    const nextLink = skip + page.length < eligible.length ? next.href : undefined;
    return JSON.stringify({
      '@odata.context': `${BASE}/v1.0/$metadata#security/incidents`,
      value: page,
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    });
  };
}

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger({
      info: (l) => lines.push(l),
      warn: (l) => lines.push(`WARN ${l}`),
      error: (l) => lines.push(`ERROR ${l}`),
    }),
  };
}

function graphSource(
  answer: Answer,
  options: { expandAlerts?: boolean; behaviour?: GraphApiBehaviour } = {},
): { source: GraphSource; urls: URL[]; lines: string[]; behaviour: GraphApiBehaviour } {
  const client = fakeClient(answer);
  const { logger, lines } = capturingLogger();
  const behaviour = options.behaviour ?? { orderByRefused: false };
  const source = new GraphSource({
    client,
    apiUrl: BASE,
    stats: newSourceStats(),
    logger,
    expandAlerts: options.expandAlerts ?? true,
    behaviour,
  });
  return { source, urls: client.urls, lines, behaviour };
}

/** The ids read, each version once: a full page continues at its oldest time, read again (the ledger drops it). */
async function pullIds(source: GraphSource): Promise<string[]> {
  const ids: string[] = [];
  const seen = new Set<string>();
  for await (const page of source.pull({ from }))
    for (const incident of page.incidents) {
      if (!seen.has(versionKey(incident))) ids.push(incident.id);
      seen.add(versionKey(incident));
    }
  return ids;
}

const serverError = (): ApiError =>
  new ApiError('Microsoft Graph answered 500 InternalServerError; gave up after 6 attempts.', {
    code: 'InternalServerError',
    statusCode: 500,
    retryable: true,
    trackingId: 'req-1',
  });
const badRequest = (message: string): ApiError =>
  new ApiError(`Microsoft Graph refused the request with 400 BadRequest: ${message}`, {
    code: 'BadRequest',
    statusCode: 400,
  });

describe('GraphSource request URLs', () => {
  it(
    'asks for the first page newest first by lastUpdateDateTime, 50 at a time, with alerts, ' +
      'encoding spaces as %20',
    () => {
      // Prepare
      const { source } = graphSource(graphList(0));

      // Act
      const url = source.listUrl({ from }, { cursor: undefined, skip: 0 });

      // Assess
      expect(url).toBe(
        `${BASE}/v1.0/security/incidents?%24filter=lastUpdateDateTime%20ge%202026-11-27T07%3A00%3A00.0000000Z` +
          '&%24top=50&%24orderby=lastUpdateDateTime%20desc&%24expand=alerts',
      );
      expect(GRAPH_PAGE_SIZE).toBe(50);
    },
  );

  it('moves the time filter for the next page and skips only the ties already read', () => {
    // Prepare
    const { source } = graphSource(graphList(0));
    const to = requireTimestamp('2026-11-27T09:00:00Z', 'to');

    // Act
    const url = new URL(source.listUrl({ from, to }, { cursor: at(5), skip: 2 }));

    // Assess
    expect(url.searchParams.get('$filter')).toBe(
      `lastUpdateDateTime ge ${from} and lastUpdateDateTime lt ${to} and lastUpdateDateTime le ${at(5)}`,
    );
    expect(url.searchParams.get('$skip')).toBe('2');
    expect(url.searchParams.get('$top')).toBe('50');
  });

  it(
    'leaves $expand out when GRAPH_EXPAND_ALERTS is false, and $orderby out once the process ' +
      'learned it is refused',
    () => {
      // Prepare
      const { source } = graphSource(graphList(0), { expandAlerts: false, behaviour: { orderByRefused: true } });

      // Act
      const url = new URL(source.listUrl({ from }, { cursor: undefined, skip: 0 }));

      // Assess
      expect(url.searchParams.has('$expand')).toBe(false);
      expect(url.searchParams.has('$orderby')).toBe(false);
    },
  );
});

describe('GraphSource paging', () => {
  it('continues full pages by time rather than by a deepening $skip nextLink', async () => {
    // Prepare
    const { source, urls } = graphSource(graphList(120));

    // Act
    const ids = await pullIds(source);

    // Assess
    expect(ids).toHaveLength(120);
    expect(new Set(ids).size).toBe(120);
    expect(urls).toHaveLength(3);
    expect(urls.map((url) => url.searchParams.get('$skip'))).toEqual([null, null, null]);
    expect(urls.slice(1).every((url) => /lastUpdateDateTime le /.test(url.searchParams.get('$filter') ?? ''))).toBe(
      true,
    );
    expect(source.stats.pages).toBe(3);
  });

  it('follows a nextLink when Graph ends a page early while saying more remain', async () => {
    // Prepare
    const { source, urls } = graphSource(graphList(70, { shortFirstPage: 20 }));

    // Act
    const ids = await pullIds(source);

    // Assess
    expect(new Set(ids).size).toBe(70);
    expect(urls[1]?.searchParams.get('$skip')).toBe('20');
  });
});

describe('GraphSource fallbacks', () => {
  it('retries a page without $orderby when Graph refuses it, and stops sending it for the rest of the process', async () => {
    // Prepare
    const list = graphList(60);
    const behaviour: GraphApiBehaviour = { orderByRefused: false };
    const refuseOrderBy: Answer = (url) => {
      if (url.searchParams.has('$orderby')) throw badRequest("Invalid $orderby 'lastUpdateDateTime desc'.");
      return list(url);
    };
    const first = graphSource(refuseOrderBy, { behaviour });

    // Act
    const ids = await pullIds(first.source);
    const second = graphSource(refuseOrderBy, { behaviour });
    await pullIds(second.source);

    // Assess
    expect(ids).toHaveLength(60);
    expect(behaviour.orderByRefused).toBe(true);
    expect(first.urls.map((url) => url.searchParams.has('$orderby'))).toEqual([true, false, false]);
    expect(second.urls.some((url) => url.searchParams.has('$orderby'))).toBe(false);
    expect(first.lines.join('\n')).toMatch(/WARN Microsoft Graph refused \$orderby=lastUpdateDateTime desc \(400\)/);
  });

  it('reports a 400 that is not about $orderby as it is, without remembering $orderby as refused', async () => {
    // Prepare
    const { source, behaviour } = graphSource(() => {
      throw badRequest("Invalid filter clause: 'lastUpdateDateTime' is not a property.");
    });

    // Act
    const failure = pullIds(source);

    // Assess
    await expect(failure).rejects.toMatchObject({ code: 'BadRequest', statusCode: 400 });
    expect(behaviour.orderByRefused).toBe(false);
  });

  it(
    'reads the same page without $expand when $expand=alerts fails persistently, and the rest ' +
      'of the run too, counting and announcing it',
    async () => {
      // Prepare
      const list = graphList(120);
      const expandBreaks: Answer = (url) => {
        if (url.searchParams.has('$expand')) throw serverError();
        return list(url);
      };
      const { source, urls, lines } = graphSource(expandBreaks);

      // Act
      const pages: { ids: string[]; withAlerts: boolean }[] = [];
      for await (const page of source.pull({ from }))
        pages.push({
          ids: page.incidents.map((i) => i.id),
          withAlerts: page.incidents.some((i) => i.json.includes('"alerts"')),
        });

      // Assess
      expect(new Set(pages.flatMap((page) => page.ids)).size).toBe(120);
      expect(pages.every((page) => !page.withAlerts)).toBe(true);
      expect(urls.map((url) => url.searchParams.has('$expand'))).toEqual([true, false, false, false]);
      expect(urls[1]?.searchParams.get('$filter')).toBe(urls[0]?.searchParams.get('$filter'));
      expect(source.stats.alertsOmittedPages).toBe(3);
      expect(lines.filter((line) => line.startsWith('WARN ALERTS LEFT OUT'))).toHaveLength(1);
      expect(lines.join('\n')).toMatch(/trackingId=req-1/);
    },
  );

  it('tries $expand again in the next run', async () => {
    // Prepare
    let broken = true;
    const list = graphList(10);
    const answer: Answer = (url) => {
      if (broken && url.searchParams.has('$expand')) throw serverError();
      return list(url);
    };
    const behaviour: GraphApiBehaviour = { orderByRefused: false };
    await pullIds(graphSource(answer, { behaviour }).source);
    broken = false;

    // Act
    const next = graphSource(answer, { behaviour });
    await pullIds(next.source);

    // Assess
    expect(next.urls.map((url) => url.searchParams.get('$expand'))).toEqual(['alerts']);
    expect(next.source.stats.alertsOmittedPages).toBe(0);
  });

  it('strips $expand from a nextLink it follows after the fallback', async () => {
    // Prepare
    const list = graphList(70, { shortFirstPage: 20 });
    const answer: Answer = (url) => {
      if (url.searchParams.has('$expand')) throw serverError();
      return list(url);
    };
    const { source, urls } = graphSource(answer);

    // Act
    const ids = await pullIds(source);

    // Assess
    expect(new Set(ids).size).toBe(70);
    expect(urls.slice(1).some((url) => url.searchParams.has('$expand'))).toBe(false);
  });

  it.each([
    [
      'a refused permission (403)',
      (): Error => new ApiError('Microsoft Graph refused with 403 Forbidden', { code: 'Forbidden', statusCode: 403 }),
    ],
    [
      'the run budget running out',
      (): Error =>
        new BudgetExceededError('waiting would pass the budget', { code: 'BudgetExceeded', retryable: true }),
    ],
    [
      'a network failure without a status',
      (): Error =>
        new ApiError('no complete reply within 200 ms; gave up', { code: 'ApiUnavailable', retryable: true }),
    ],
  ])('does not fall back on %s: the error reaches the run unchanged', async (_what, makeError) => {
    // Prepare
    const error = makeError();
    const { source, urls } = graphSource(() => {
      throw error;
    });

    // Act
    const failure = pullIds(source);

    // Assess
    await expect(failure).rejects.toBe(error);
    expect(urls).toHaveLength(1);
    expect(source.stats.alertsOmittedPages).toBe(0);
  });
});
