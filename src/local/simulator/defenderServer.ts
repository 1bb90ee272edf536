import { authenticate, hasAnyRole } from './authenticate';
import { toDefenderIncident } from './defenderShape';
import { RESOURCES } from './directory';
import { defenderError } from './errorBodies';
import type { CallHandler } from './httpsHost';
import { listPage, parseCount } from './incidentListing';
import { nextPageUrl, runPageHooks, type IncidentsApiContext } from './incidentsApiContext';
import { FilterError, parseFilter, type FilterFields, type IncidentPredicate } from './odataFilter';
import { jsonReply } from './replies';

export interface DefenderServerContext extends IncidentsApiContext {
  /** false: no `@odata.nextLink` (as documented); true: one on this host; a string: one on that base URL (foreign-host tests). */
  nextLink: () => boolean | string;
  /** When (ms epoch) and how the API is retired; undefined: it works. */
  retirement: () => DefenderRetirement | undefined;
}

/**
 * The Defender API's end (MC1220762): from `at` every request is answered as a retired API likely is, either
 * 410 Gone naming the retirement, or a plain 404 NotFound as for a path that does not exist.
 */
export interface DefenderRetirement {
  at: number;
  reply: '410' | '404';
}

const MAX_TOP = 100;
const READ_ROLES = ['Incident.Read.All', 'Incident.ReadWrite.All'];
const SUPPORTED_OPTIONS = new Set(['$filter', '$top', '$skip']);
const FILTER_FIELDS: FilterFields = {
  lastUpdateTime: { kind: 'datetime', ticks: (row) => row.lastUpdateTicks },
  createdTime: { kind: 'datetime', ticks: (row) => row.createdTicks },
  status: { kind: 'string', value: (row) => row.incident.status },
  assignedTo: { kind: 'string', value: (row) => row.incident.assignedTo },
};

/**
 * Defender XDR `GET /api/incidents` as documented (learn.microsoft.com/defender-xdr/api-list-incidents):
 * `$filter` on lastUpdateTime, createdTime, status, assignedTo; `$top` up to 100; `$skip`; most recently updated first;
 * 50 calls per minute and 1,500 per hour.
 */
export function defenderHandler(context: DefenderServerContext): CallHandler {
  const pageRequests = { all: 0, byTenant: new Map<string, number>() };
  return async (call) => {
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      defenderError(status, code, message, { headers });
    const retirement = context.retirement();
    if (retirement !== undefined && context.clock() >= retirement.at)
      return retirement.reply === '410'
        ? fail(
            410,
            'Gone',
            'The Microsoft Defender XDR incidents API has been retired (MC1220762). Use the Microsoft ' +
              'Graph security API: https://learn.microsoft.com/graph/api/resources/security-api-overview.',
          )
        : fail(404, 'NotFound', `Resource ${call.path} was not found.`);
    if (!/^\/api\/incidents\/?$/i.test(call.path)) return fail(404, 'NotFound', `Resource ${call.path} was not found.`);
    if (call.method !== 'GET') return fail(405, 'MethodNotAllowed', `${call.method} is not supported.`);
    const auth = authenticate(call.headers, context.directory, RESOURCES.defender);
    if (!auth.ok)
      return fail(
        401,
        'Unauthorized',
        auth.reason === 'missing'
          ? 'Authorization header is missing or is not a bearer token.'
          : `Invalid access token: ${auth.message}`,
      );
    if (!hasAnyRole(auth.roles, READ_ROLES)) {
      return fail(
        403,
        'Forbidden',
        `The application does not have any of the required application permissions (` +
          `${READ_ROLES.join(', ')}) to access the resource.`,
      );
    }
    // The token's tenant decides whose incidents are served, and whose quota (per tenant and app) is used.
    const scope = context.tenantScope(auth.tenantId);
    if (!scope) return fail(401, 'Unauthorized', `The tenant '${auth.tenantId}' is not served here.`);
    const decision = scope.rateLimiters.defender.tryCall(auth.appId);
    if (!decision.allowed) {
      const seconds = decision.retryAfterSeconds;
      return fail(429, 'TooManyRequests', `Rate limit is exceeded. Try again in ${seconds} seconds.`, {
        'retry-after': String(seconds),
      });
    }

    const unsupported = Object.keys(call.query).find((name) => name.startsWith('$') && !SUPPORTED_OPTIONS.has(name));
    if (unsupported)
      return fail(
        400,
        'ODataError',
        `Query option '${unsupported}' is not allowed. To allow it, set the 'AllowedQueryOptions' ` +
          `property on EnableQueryAttribute or QueryValidationSettings.`,
      );
    const top = parseCount(call.query.$top);
    const skip = parseCount(call.query.$skip);
    if (top === 'invalid')
      return fail(400, 'InvalidInput', `Invalid value '${call.query.$top ?? ''}' for $top query option.`);
    if (skip === 'invalid')
      return fail(400, 'InvalidInput', `Invalid value '${call.query.$skip ?? ''}' for $skip query option.`);
    if (top !== undefined && top > MAX_TOP)
      return fail(
        400,
        'InvalidInput',
        `The limit of '${MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${top}'.`,
      );
    let filter: IncidentPredicate | undefined;
    try {
      filter =
        call.query.$filter === undefined ? undefined : parseFilter(call.query.$filter, FILTER_FIELDS, 'Incident');
    } catch (error) {
      if (error instanceof FilterError) return fail(400, 'ODataError', `Invalid filter clause: ${error.message}`);
      throw error;
    }

    const pageTop = top ?? MAX_TOP;
    const pageSkip = skip ?? 0;
    await runPageHooks(context.faults, scope, pageRequests, { server: 'defender', skip: pageSkip, top: pageTop });
    const { page, total } = listPage(scope.store.visible(context.clock()), {
      filter,
      orderBy: 'lastUpdate',
      descending: true,
      skip: pageSkip,
      top: pageTop,
    });
    const origin = context.origin();
    const nextLink = context.nextLink();
    const more = pageSkip + page.length < total && page.length > 0;
    return jsonReply(200, {
      '@odata.context': `${origin}/api/$metadata#Incidents`,
      value: page.map((row) => toDefenderIncident(row.incident, scope.tenantId)),
      ...(more && nextLink !== false
        ? {
            '@odata.nextLink': nextPageUrl(
              nextLink === true ? origin : nextLink.replace(/\/$/, ''),
              call.path,
              call.query,
              pageSkip + page.length,
            ),
          }
        : {}),
    });
  };
}
