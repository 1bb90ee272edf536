import { randomUUID } from 'node:crypto';
import { authenticate, hasAnyRole } from './authenticate';
import { RESOURCES } from './directory';
import type { ErrorReplyBuilder } from './errorBodies';
import { toGraphIncident } from './graphShape';
import type { CallHandler } from './httpsHost';
import { listPage, parseCount } from './incidentListing';
import { nextPageUrl, runPageHooks, type IncidentsApiContext } from './incidentsApiContext';
import { FilterError, parseFilter, type FilterFields, type IncidentPredicate } from './odataFilter';
import { toGraphEnum } from './graphEnums';
import { jsonReply } from './replies';

export interface GraphServerContext extends IncidentsApiContext {
  errorReply: ErrorReplyBuilder;
}

const MAX_TOP = 50;
const READ_ROLES = ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
/** Largest `$skip` Graph's security API accepts (501 is answered 400). */
const MAX_SKIP = 500;
const SUPPORTED_OPTIONS = new Set(['$filter', '$top', '$skip', '$orderby', '$expand', '$count']);
const FILTER_FIELDS: FilterFields = {
  lastUpdateDateTime: { kind: 'datetime', ticks: (row) => row.lastUpdateTicks },
  createdDateTime: { kind: 'datetime', ticks: (row) => row.createdTicks },
  status: { kind: 'string', value: (row) => toGraphEnum(row.incident.status) },
  severity: { kind: 'string', value: (row) => toGraphEnum(row.incident.severity) },
  classification: { kind: 'string', value: (row) => toGraphEnum(row.incident.classification) },
  determination: { kind: 'string', value: (row) => toGraphEnum(row.incident.determination) },
  assignedTo: { kind: 'string', value: (row) => row.incident.assignedTo },
};

/**
 * Microsoft Graph `GET /v1.0/security/incidents`: `$filter`, `$top` up to 50, `$skip`, `$orderby` on the timestamps,
 * `$expand=alerts`, `$count`; `@odata.nextLink` on this host while results remain; newest update first by default.
 */
export function graphHandler(context: GraphServerContext): CallHandler {
  const pageRequests = { all: 0, byTenant: new Map<string, number>() };
  return async (call) => {
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      context.errorReply(status, code, message, { headers, requestHeaders: call.headers });
    if (!/^\/v1\.0\/security\/incidents\/?$/.test(call.path))
      return fail(404, 'UnknownError', `Resource not found for the segment '${call.path}'.`);
    if (call.method !== 'GET') return fail(405, 'Request_BadRequest', `${call.method} is not supported.`);
    const auth = authenticate(call.headers, context.directory, RESOURCES.graph);
    if (!auth.ok)
      return fail(
        401,
        'InvalidAuthenticationToken',
        auth.reason === 'missing' ? 'Access token is empty.' : `Access token validation failure. ${auth.message}`,
      );
    if (!hasAnyRole(auth.roles, READ_ROLES)) {
      // NOTE: as Graph answers an app without the permission (reported e.g. in wazuh/wazuh-documentation#7300).
      return fail(
        403,
        'Forbidden',
        `Missing application roles. API required roles: ${READ_ROLES.join(',')}, application ` +
          `roles: ${auth.roles.join(',')}.`,
      );
    }
    // The token's tenant decides whose incidents are served, and whose quota (per tenant and app) is used.
    const scope = context.tenantScope(auth.tenantId);
    if (!scope) return fail(401, 'InvalidAuthenticationToken', `The tenant '${auth.tenantId}' is not served here.`);
    const decision = scope.rateLimiters.graph.tryCall(auth.appId);
    if (!decision.allowed) {
      const seconds = decision.retryAfterSeconds;
      return fail(429, 'TooManyRequests', `Rate limit is exceeded. Try again in ${seconds} seconds.`, {
        'retry-after': String(seconds),
      });
    }

    const unsupported = Object.keys(call.query).find((name) => name.startsWith('$') && !SUPPORTED_OPTIONS.has(name));
    if (unsupported) return fail(400, 'BadRequest', `Query option '${unsupported}' is not supported.`);
    const top = parseCount(call.query.$top);
    const skip = parseCount(call.query.$skip);
    if (top === 'invalid')
      return fail(400, 'BadRequest', `Invalid value '${call.query.$top ?? ''}' for $top query option.`);
    if (skip === 'invalid')
      return fail(400, 'BadRequest', `Invalid value '${call.query.$skip ?? ''}' for $skip query option.`);
    // NOTE: Graph's security API refuses $skip above 500 (https://learn.microsoft.com/graph/api/resources/security-error-codes, "Constraints").
    if (skip !== undefined && skip > MAX_SKIP)
      return fail(400, 'BadRequest', `$skip=${skip} cannot exceed ${MAX_SKIP}`);
    if (top !== undefined && top > MAX_TOP)
      return fail(
        400,
        'BadRequest',
        `The limit of '${MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${top}'.`,
      );
    const expand = call.query.$expand;
    if (expand !== undefined && expand.trim() !== 'alerts')
      return fail(
        400,
        'BadRequest',
        `Parsing OData Select and Expand failed: Could not find a property named '${expand}' on ` +
          `type 'microsoft.graph.security.incident'.`,
      );
    const order = /^(lastUpdateDateTime|createdDateTime)(?:\s+(asc|desc))?$/.exec(
      (call.query.$orderby ?? 'lastUpdateDateTime desc').trim(),
    );
    if (!order) return fail(400, 'BadRequest', `Invalid $orderby '${call.query.$orderby ?? ''}'.`);
    let filter: IncidentPredicate | undefined;
    try {
      filter =
        call.query.$filter === undefined
          ? undefined
          : parseFilter(call.query.$filter, FILTER_FIELDS, 'microsoft.graph.security.incident');
    } catch (error) {
      if (error instanceof FilterError) return fail(400, 'BadRequest', `Invalid filter clause: ${error.message}`);
      throw error;
    }

    const pageTop = top ?? MAX_TOP;
    const pageSkip = skip ?? 0;
    await runPageHooks(context.faults, scope, pageRequests, { server: 'graph', skip: pageSkip, top: pageTop });
    const { page, total } = listPage(scope.store.visible(context.clock()), {
      filter,
      orderBy: order[1] === 'createdDateTime' ? 'created' : 'lastUpdate',
      descending: order[1] === 'lastUpdateDateTime' && call.query.$orderby === undefined ? true : order[2] === 'desc',
      skip: pageSkip,
      top: pageTop,
    });
    const origin = context.origin();
    const more = pageSkip + page.length < total && page.length > 0;
    return jsonReply(
      200,
      {
        '@odata.context': `${origin}/v1.0/$metadata#security/incidents${expand ? '(alerts())' : ''}`,
        ...(call.query.$count === 'true' ? { '@odata.count': total } : {}),
        ...(more ? { '@odata.nextLink': nextPageUrl(origin, call.path, call.query, pageSkip + page.length) } : {}),
        value: page.map((row) => toGraphIncident(row.incident, scope.tenantId, expand !== undefined)),
      },
      { 'request-id': randomUUID() },
    );
  };
}
