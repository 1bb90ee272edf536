import { RESOURCES, type Directory } from './directory';
import type { ErrorReplyBuilder } from './errorBodies';
import type { Call, CallHandler } from './httpsHost';
import { jsonReply } from './replies';
import type { Reply } from './types';

export interface LoginServerContext {
  directory: Directory;
  errorReply: ErrorReplyBuilder;
  /** Origin of this server (known once it listens). */
  origin: () => string;
}

const KNOWN_RESOURCES: readonly string[] = Object.values(RESOURCES);
/** OIDC scopes MSAL may add; they do not name a resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * Entra ID (v2 endpoints) for the client credentials flow: OpenID configuration, JWKS and the token endpoint.
 * NOTE: MSAL validates that `issuer` has the same scheme and host as the authority (msal-common Authority.validateIssuer).
 */
export function loginHandler(context: LoginServerContext): CallHandler {
  const { directory } = context;
  return (call) => {
    const match =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/token)$/.exec(
        call.path,
      );
    const [, tenant, endpoint] = match ?? [];
    if (tenant === undefined || endpoint === undefined)
      return Promise.resolve(jsonReply(404, { error: 'not_found', error_description: `No endpoint at ${call.path}.` }));
    // A tenant is named by its GUID or one of its verified domains; every endpoint answers with the GUID, as Entra does.
    const tenantId = directory.resolveTenant(decodeURIComponent(tenant));
    if (tenantId === undefined) {
      const message =
        `AADSTS90002: Tenant '${decodeURIComponent(tenant)}' not found. Check to make sure you ` +
        `have the correct tenant ID and are signing into the correct cloud. Check with your ` +
        `subscription administrator, this may happen if there are no active subscriptions for ` +
        `the tenant.`;
      return Promise.resolve(
        context.errorReply(400, endpoint === 'oauth2/v2.0/token' ? 'invalid_request' : 'invalid_tenant', message, {
          requestHeaders: call.headers,
        }),
      );
    }
    if (endpoint === 'oauth2/v2.0/token')
      return Promise.resolve(
        call.method === 'POST'
          ? issueToken(call, context, tenantId)
          : jsonReply(405, {
              error: 'invalid_request',
              error_description: 'AADSTS900561: The endpoint only accepts POST requests.',
            }),
      );
    if (endpoint === 'discovery/v2.0/keys') return Promise.resolve(jsonReply(200, { keys: [] }));
    return Promise.resolve(jsonReply(200, openIdConfiguration(context.origin(), tenantId)));
  };
}

function openIdConfiguration(origin: string, tenantId: string): Record<string, unknown> {
  const base = `${origin}/${tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    tenant_region_scope: 'EU',
  };
}

function issueToken(call: Call, context: LoginServerContext, tenantId: string): Reply {
  const { directory, errorReply } = context;
  const fail = (status: number, error: string, message: string): Reply =>
    errorReply(status, error, message, { requestHeaders: call.headers });
  const form = new URLSearchParams(call.body);
  const missing = ['grant_type', 'client_id'].find((name) => !form.get(name));
  if (missing)
    return fail(
      400,
      'invalid_request',
      `AADSTS900144: The request body must contain the following parameter: '${missing}'.`,
    );
  const grantType = form.get('grant_type') ?? '';
  if (grantType !== 'client_credentials')
    return fail(
      400,
      'unsupported_grant_type',
      `AADSTS70003: The app requested an unsupported grant type '${grantType}'.`,
    );
  const clientId = form.get('client_id') ?? '';
  // A multi-tenant app is found in a customer tenant only once its admin consented (a service principal exists there).
  const app = directory.findAppIn(clientId, tenantId);
  if (!app) {
    return fail(
      400,
      'unauthorized_client',
      `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '` +
        `${tenantId}'. This can happen if the application has not been installed by the ` +
        `administrator of the tenant or consented to by any user in the tenant. You may have sent ` +
        `your authentication request to the wrong tenant.`,
    );
  }
  const secret = form.get('client_secret');
  if (!secret)
    return fail(
      401,
      'invalid_client',
      "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  if (secret !== app.clientSecret) {
    return fail(
      401,
      'invalid_client',
      `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the ` +
        `request is the client secret value, not the client secret ID, for a secret added to app '` +
        `${app.clientId}'.`,
    );
  }
  const scopeText = form.get('scope') ?? '';
  if (!scopeText.trim())
    return fail(
      400,
      'invalid_request',
      "AADSTS900144: The request body must contain the following parameter: 'scope'.",
    );
  const scopes = scopeText.split(/\s+/).filter((scope) => scope && !OIDC_SCOPES.has(scope));
  const [scope] = scopes;
  if (scopes.length !== 1 || scope === undefined || !scope.endsWith('/.default')) {
    return fail(
      400,
      'invalid_scope',
      `AADSTS70011: The provided request must include a 'scope' input parameter. The provided ` +
        `value for the input parameter 'scope' is not valid. The scope ${scopeText} is not valid. ` +
        `Client credential flows must have a scope value with /.default suffixed to the resource ` +
        `identifier (application ID URI).`,
    );
  }
  const resource = scope.slice(0, -'/.default'.length);
  if (!KNOWN_RESOURCES.includes(resource)) {
    return fail(
      400,
      'invalid_resource',
      `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ` +
        `${tenantId}. This can happen if the application has not been installed by the ` +
        `administrator of the tenant or consented to by any user in the tenant. You might have ` +
        `sent your authentication request to the wrong tenant.`,
    );
  }
  const { accessToken, expiresInSeconds } = directory.issueToken(app, resource, tenantId);
  return jsonReply(
    200,
    { token_type: 'Bearer', expires_in: expiresInSeconds, ext_expires_in: expiresInSeconds, access_token: accessToken },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
  );
}
