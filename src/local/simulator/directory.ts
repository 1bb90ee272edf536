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
}

export type TokenCheck =
  | { ok: true; appId: string; roles: string[] }
  | { ok: false; reason: 'malformed' | 'expired' | 'revoked' | 'audience' | 'tenant'; message: string };

/** App registrations, RBAC on the vault, and the tokens issued for them. */
export class Directory {
  private readonly apps = new Map<string, AppRegistration>();
  private readonly issuedTokenIds = new Set<string>();
  private readonly revokedTokenIds = new Set<string>();
  private readonly signingKey = randomBytes(32);

  constructor(
    readonly tenantId: string,
    private readonly clock: Clock,
    private readonly tokenLifetimeSeconds: number,
  ) {}

  registerApp(app: { clientId: string; clientSecret: string; roles: string[] }): void {
    this.apps.set(app.clientId.toLowerCase(), { ...app, roles: [...app.roles], objectId: randomUUID() });
  }

  findApp(clientId: string): AppRegistration | undefined {
    return this.apps.get(clientId.toLowerCase());
  }

  allApps(): AppRegistration[] {
    return [...this.apps.values()];
  }

  canReadSecrets(clientId: string): boolean {
    return this.findApp(clientId)?.roles.includes(VAULT_SECRETS_USER_ROLE) ?? false;
  }

  issueToken(app: AppRegistration, resource: string): { accessToken: string; expiresInSeconds: number } {
    const now = Math.floor(this.clock() / 1000);
    const roles = app.roles.filter((role) => ROLE_RESOURCES[role] === resource);
    const uti = randomUUID();
    const claims: AccessTokenClaims = {
      aud: resource,
      iss: `https://sts.windows.net/${this.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + this.tokenLifetimeSeconds,
      appid: app.clientId,
      azp: app.clientId,
      oid: app.objectId,
      sub: app.objectId,
      tid: this.tenantId,
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
    if (tid !== this.tenantId)
      return { ok: false, reason: 'tenant', message: `The token was issued by another tenant '${tid}'.` };
    if (aud !== resource)
      return { ok: false, reason: 'audience', message: `Invalid audience '${aud}'; expected '${resource}'.` };
    return { ok: true, appId, roles: rolesClaim };
  }
}

/** Extracts the token from `Authorization: Bearer <token>`; undefined when absent or another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
