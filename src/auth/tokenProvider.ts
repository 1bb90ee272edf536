import type { AccessToken, TokenCredential } from '@azure/identity';
import { AuthError, describeError } from '../common/errors';
import { registerSensitiveWhileAlive } from '../common/logger';
import { azureErrorStatus } from './azureErrorStatus';

/** Renew a token this long before it expires, so a page request never starts with a token about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Hands out one app token for all pages of a run, renewing it near expiry or when the API says it is
 * no longer valid (`invalidate`). A fresh credential is built on invalidation, so a token cached inside
 * the credential is not handed back again.
 */
export class TokenProvider {
  private credential: TokenCredential;
  private token: AccessToken | undefined;
  private tokenRequests = 0;

  constructor(
    private readonly createCredential: () => TokenCredential,
    private readonly scope: string,
    private readonly describeApp: string,
    private readonly now: () => number = Date.now,
  ) {
    this.credential = createCredential();
  }

  /** How many tokens this provider obtained (the bench reports it). */
  get requests(): number {
    return this.tokenRequests;
  }

  async getToken(abortSignal?: AbortSignal): Promise<string> {
    if (this.token && this.token.expiresOnTimestamp - REFRESH_MARGIN_MS > this.now()) return this.token.token;
    let token: AccessToken | null;
    try {
      this.tokenRequests += 1;
      token = await this.credential.getToken(this.scope, { abortSignal });
    } catch (error) {
      throw explainTokenError(error, this.scope, this.describeApp);
    }
    if (!token)
      throw new AuthError(`Entra returned no token for ${this.scope} (${this.describeApp}).`, {
        code: 'TokenMissing',
        retryable: true,
      });
    // Redacted for as long as this provider (and so the run that uses the token) can be reached.
    registerSensitiveWhileAlive(token.token, this);
    this.token = token;
    return token.token;
  }

  /** Forget the current token (the API answered 401): the next getToken asks Entra again. */
  invalidate(): void {
    this.token = undefined;
    this.credential = this.createCredential();
  }
}

function explainTokenError(error: unknown, scope: string, app: string): AuthError {
  const text = describeError(error);
  const aadCode = /AADSTS(\d+)/.exec(text)?.[0];
  const hint = aadCode ? HINTS[aadCode] : undefined;
  const statusCode = azureErrorStatus(error);
  const retryable = aadCode === undefined && (statusCode === undefined || statusCode >= 500 || statusCode === 429);
  const fix = hint ?? 'check DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID, AZURE_AUTHORITY_HOST and the secret in Key Vault';
  return new AuthError(
    `Entra refused the token request for ${scope} (${app})${aadCode ? ` with ${aadCode}` : ''}` +
      `: ${fix}. Entra said: ${entraSaid(text)}`,
    { code: aadCode ?? 'TokenRequestFailed', statusCode, retryable, cause: error },
  );
}

/** The AADSTS sentence (e.g. "AADSTS7000215: Invalid client secret provided."), else the first line. */
function entraSaid(text: string): string {
  const sentence = /AADSTS\d+:[^.]*\./.exec(text)?.[0];
  return (sentence ?? text.split('\n')[0] ?? '').slice(0, 300);
}

const HINTS: Readonly<Record<string, string>> = {
  AADSTS7000215:
    "the client secret is wrong: store the secret's Value (not its ID) in Key Vault under DEFENDER_CLIENT_SECRET_NAME",
  AADSTS7000222: 'the client secret has expired: create a new one in the app registration and store it in Key Vault',
  AADSTS700016: 'no app with DEFENDER_CLIENT_ID exists in that tenant: check DEFENDER_CLIENT_ID and DEFENDER_TENANT_ID',
  AADSTS90002: 'the tenant was not found: check DEFENDER_TENANT_ID (and AZURE_AUTHORITY_HOST for sovereign clouds)',
  AADSTS70011: 'the scope is not valid for this app: check DEFENDER_CLOUD and the API permissions',
  AADSTS500011:
    "the API is not available in this tenant: grant the app the API's application permission " +
    '(Incident.Read.All on Microsoft Threat Protection, or SecurityIncident.Read.All on ' +
    'Microsoft Graph) with admin consent, and check DEFENDER_CLOUD',
};
