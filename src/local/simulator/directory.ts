import { randomBytes, randomUUID } from 'node:crypto';
import { fieldsOf, isStringArray } from './jsonFields';
import { signJwt, verifyJwt, type AccessTokenClaims } from './jwt';
import type { Clock } from './types';

/** Resources (token audiences) the simulated Entra issues tokens for. */
export const RESOURCES = {
  defender: 'https://api.security.microsoft.com',
  graph: 'https://graph.microsoft.com',
  vault: 'https://vault.azure.net',
} as const;

/** Application permissions and the API that defines them (only those roles go into that API's tokens). */
const ROLE_RESOURCES: Readonly<Record<string, string>> = {
  'Incident.Read.All': RESOURCES.defender,
  'Incident.ReadWrite.All': RESOURCES.defender,
  'Alert.Read.All': RESOURCES.defender,
  'SecurityIncident.Read.All': RESOURCES.graph,
  'SecurityIncident.ReadWrite.All': RESOURCES.graph,
  'SecurityAlert.Read.All': RESOURCES.graph,
};

/** Not a token role: an Azure RBAC assignment on the vault; `registerApp` accepts it in `roles` for convenience. */
export const VAULT_SECRETS_USER_ROLE = 'Key Vault Secrets User';

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  roles: string[];
  objectId: string;
  /** The tenant the app is registered in (its home tenant, where it always has a service principal). */
  homeTenantId: string;
  /**
   * Other tenants where an admin consented to the (multi-tenant) app: it has a service principal there, holding the
   * application permissions granted there (undefined: all the app requests).
   */
  consentedTenants: Map<string, readonly string[] | undefined>;
}

/** An Entra tenant the directory serves: its GUID and its verified domain names (lower case). */
interface TenantRecord {
  readonly tenantId: string;
  readonly domains: Set<string>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type TokenCheck =
  | { ok: true; appId: string; roles: string[]; tenantId: string }
  | { ok: false; reason: 'malformed' | 'expired' | 'revoked' | 'audience' | 'tenant'; message: string };

/**
 * Entra tenants (the home tenant `tenantId` and any others), app registrations and their consents, RBAC on the vault,
 * and the tokens issued for them. One signing key for every tenant, as Entra signs every tenant's tokens with the
 * same keys: an API tells the tenants apart by the token's `tid`.
 */
export class Directory {
  private readonly apps = new Map<string, AppRegistration>();
  private readonly tenants = new Map<string, TenantRecord>();
  private readonly issuedTokenIds = new Set<string>();
  private readonly revokedTokenIds = new Set<string>();
  private readonly signingKey = randomBytes(32);

  constructor(
    readonly tenantId: string,
    private readonly clock: Clock,
    private readonly tokenLifetimeSeconds: number,
  ) {
    this.addTenant(tenantId);
  }

  /** Adds a tenant (GUID) with its verified domains; an existing tenant gains the domains. */
  addTenant(tenantId: string, domains: readonly string[] = []): void {
    if (!GUID.test(tenantId)) throw new Error(`tenant id '${tenantId}' is not a GUID`);
    const key = tenantId.toLowerCase();
    const record = this.tenants.get(key) ?? { tenantId, domains: new Set<string>() };
    this.tenants.set(key, record);
    for (const domain of domains) {
      const owner = this.resolveTenant(domain);
      if (owner !== undefined && owner !== record.tenantId)
        throw new Error(`domain '${domain}' is already verified in tenant ${owner}`);
      record.domains.add(domain.toLowerCase());
    }
  }

  /** The tenant's GUID for a tenant id or one of its verified domains (case-insensitive); undefined when unknown. */
  resolveTenant(idOrDomain: string): string | undefined {
    const key = idOrDomain.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId.tenantId;
    for (const record of this.tenants.values()) if (record.domains.has(key)) return record.tenantId;
    return undefined;
  }

  tenantDomains(tenantId: string): string[] {
    return [...(this.tenants.get(tenantId.toLowerCase())?.domains ?? [])];
  }

  /** Registers an app in `tenantId` (default: the home tenant); replaces an app with the same client id. */
  registerApp(app: { clientId: string; clientSecret: string; roles: string[]; tenantId?: string }): void {
    const { tenantId, ...rest } = app;
    const homeTenantId = this.resolveTenant(tenantId ?? this.tenantId);
    if (homeTenantId === undefined) throw new Error(`tenant '${tenantId ?? ''}' is not known`);
    this.apps.set(app.clientId.toLowerCase(), {
      ...rest,
      roles: [...app.roles],
      objectId: randomUUID(),
      homeTenantId,
      consentedTenants: new Map(),
    });
  }

  findApp(clientId: string): AppRegistration | undefined {
    return this.apps.get(clientId.toLowerCase());
  }

  /** The app as a tenant sees it: registered there, or consented there; undefined otherwise (no service principal). */
  findAppIn(clientId: string, tenantId: string): AppRegistration | undefined {
    const app = this.findApp(clientId);
    if (!app) return undefined;
    return app.homeTenantId === tenantId || app.consentedTenants.has(tenantId) ? app : undefined;
  }

  /**
   * Admin consent: the app gets a service principal in the tenant, with its application permissions granted there
   * (`roles`: only those of the app's requested permissions; default all). Consenting again replaces the grant.
   */
  consent(clientId: string, tenantIdOrDomain: string, roles?: readonly string[]): void {
    this.requireApp(clientId).consentedTenants.set(this.requireTenant(tenantIdOrDomain), roles && [...roles]);
  }

  /** The tenant's admin removes the app (its service principal): new token requests there fail with AADSTS700016. */
  revokeConsent(clientId: string, tenantIdOrDomain: string): void {
    this.requireApp(clientId).consentedTenants.delete(this.requireTenant(tenantIdOrDomain));
  }

  /**
   * The tenant a request is meant for, for recording and per-tenant faults only (not a security check): the login
   * path's tenant, else the bearer token's unverified `tid`.
   */
  tenantOfRequest(server: string, path: string, authorization: string | undefined): string | undefined {
    if (server === 'login') {
      const segment = /^\/([^/]+)\//.exec(path)?.[1];
      return segment === undefined ? undefined : this.resolveTenant(safeDecode(segment));
    }
    const payload = bearerToken(authorization)?.split('.')[1];
    if (payload === undefined) return undefined;
    try {
      const tid = fieldsOf(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')))?.get('tid');
      return typeof tid === 'string' ? this.resolveTenant(tid) : undefined;
    } catch {
      return undefined;
    }
  }

  allApps(): AppRegistration[] {
    return [...this.apps.values()];
  }

  canReadSecrets(clientId: string): boolean {
    return this.findApp(clientId)?.roles.includes(VAULT_SECRETS_USER_ROLE) ?? false;
  }

  /** A token of `app` for `resource`, issued by `tenantId` (default: the home tenant), which must see the app. */
  issueToken(
    app: AppRegistration,
    resource: string,
    tenantId: string = this.tenantId,
  ): { accessToken: string; expiresInSeconds: number } {
    const now = Math.floor(this.clock() / 1000);
    // Only the permissions granted in the issuing tenant go into the token (all of them in the app's home tenant).
    const granted = tenantId === app.homeTenantId ? undefined : app.consentedTenants.get(tenantId);
    const roles = app.roles.filter(
      (role) => ROLE_RESOURCES[role] === resource && (granted === undefined || granted.includes(role)),
    );
    const uti = randomUUID();
    const claims: AccessTokenClaims = {
      aud: resource,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + this.tokenLifetimeSeconds,
      appid: app.clientId,
      azp: app.clientId,
      oid: app.objectId,
      sub: app.objectId,
      tid: tenantId,
      uti,
      ver: '1.0',
      ...(roles.length > 0 ? { roles } : {}),
    };
    this.issuedTokenIds.add(uti);
    return { accessToken: signJwt(claims, this.signingKey), expiresInSeconds: this.tokenLifetimeSeconds };
  }

  /** Every token issued so far stops working. */
  revokeTokens(): void {
    for (const id of this.issuedTokenIds) this.revokedTokenIds.add(id);
  }

  validateToken(token: string, resource: string): TokenCheck {
    const claims = fieldsOf(verifyJwt(token, this.signingKey));
    if (claims === undefined)
      return { ok: false, reason: 'malformed', message: 'The token signature or format is invalid.' };
    const [aud, tid, appId, uti, exp] = ['aud', 'tid', 'appid', 'uti', 'exp'].map((name) => claims.get(name));
    const rolesClaim = claims.get('roles') ?? [];
    if (
      typeof aud !== 'string' ||
      typeof tid !== 'string' ||
      typeof appId !== 'string' ||
      typeof uti !== 'string' ||
      typeof exp !== 'number' ||
      !isStringArray(rolesClaim)
    ) {
      return { ok: false, reason: 'malformed', message: 'The token is missing required claims.' };
    }
    if (this.revokedTokenIds.has(uti)) return { ok: false, reason: 'revoked', message: 'The token has been revoked.' };
    if (exp * 1000 <= this.clock()) return { ok: false, reason: 'expired', message: 'The token is expired.' };
    const tenantId = this.tenants.get(tid.toLowerCase())?.tenantId;
    if (tenantId === undefined)
      return { ok: false, reason: 'tenant', message: `The token was issued by an unknown tenant '${tid}'.` };
    if (aud !== resource)
      return { ok: false, reason: 'audience', message: `Invalid audience '${aud}'; expected '${resource}'.` };
    return { ok: true, appId, roles: rolesClaim, tenantId };
  }

  private requireApp(clientId: string): AppRegistration {
    const app = this.findApp(clientId);
    if (!app) throw new Error(`app '${clientId}' is not registered`);
    return app;
  }

  private requireTenant(idOrDomain: string): string {
    const tenantId = this.resolveTenant(idOrDomain);
    if (tenantId === undefined) throw new Error(`tenant '${idOrDomain}' is not known`);
    return tenantId;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Extracts the token from `Authorization: Bearer <token>`; undefined when absent or another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
