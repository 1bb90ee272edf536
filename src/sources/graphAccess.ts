import { ApiError, AuthError, ExporterError, describeError } from '../common/errors';
import type { ApiClient } from './apiClient';

/** The Graph application permission the exporter needs. */
export const GRAPH_PERMISSION = 'SecurityIncident.Read.All';

/** Whose permission is missing, to name the consent link. */
export interface GraphIdentity {
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
}

/** What a readiness check found: ready, or not with the exact error code (Graph's, or Entra's AADSTS code). */
export type GraphCheck =
  { readonly ready: true } | { readonly ready: false; readonly code: string; readonly message: string };

/** Graph refused the app for lack of permission (403: `Forbidden` "Missing application roles", or `Authorization_RequestDenied`). */
export function isGraphPermissionDenied(error: unknown): error is ApiError {
  return error instanceof ApiError && error.statusCode === 403;
}

/** The admin consent link of the app (Entra's documented pattern: {authority}/{tenant}/adminconsent?client_id={app}). */
export function adminConsentUrl(who: GraphIdentity): string {
  return `${who.authorityHost.replace(/\/+$/, '')}/${who.tenantId}/adminconsent?client_id=${who.clientId}`;
}

/** The fix, in the words `status` and the run's error use. */
export function graphPermissionFix(who: GraphIdentity): string {
  return (
    `grant ${GRAPH_PERMISSION} (application) with admin consent: ${adminConsentUrl(who)} (or ` +
    `Entra admin center > App registrations > ${who.clientId} > API permissions > Add > ` +
    `Microsoft Graph > Application permissions > ${GRAPH_PERMISSION} > Grant admin consent)`
  );
}

/** One line naming the permission and the consent link, for a Graph refusal when Graph is the source. */
export function graphNotPermittedError(error: ApiError, who: GraphIdentity): ApiError {
  return new ApiError(
    `Microsoft Graph refused app ${who.clientId} (403 ${error.apiCode ?? 'Forbidden'}): ` +
      `${graphPermissionFix(who)}. The watermark is unchanged; the first run after the grant ` +
      `exports everything since, with no gap.`,
    {
      code: 'GraphNotPermitted',
      statusCode: 403,
      apiCode: error.apiCode,
      apiMessage: error.apiMessage,
      trackingId: error.trackingId,
      cause: error,
    },
  );
}

/**
 * Whether the app can read Graph incidents: a token for the Graph scope and one `GET /v1.0/security/incidents?$top=1`.
 * Never throws for a refusal: it is reported with its code (the Graph error code, or the token's AADSTS code).
 */
export async function checkGraphAccess(
  client: Pick<ApiClient, 'getJson'>,
  graphApiUrl: string,
  abortSignal?: AbortSignal,
): Promise<GraphCheck> {
  try {
    const parse = (body: Buffer): unknown => {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      return parsed;
    };
    await client.getJson(`${graphApiUrl}/v1.0/security/incidents?$top=1`, parse, abortSignal);
    return { ready: true };
  } catch (error) {
    if (abortSignal?.aborted) throw error;
    const code =
      error instanceof ApiError
        ? (error.apiCode ?? error.code)
        : error instanceof AuthError || error instanceof ExporterError
          ? error.code
          : 'Unknown';
    return { ready: false, code, message: describeError(error).slice(0, 500) };
  }
}
