import { authenticate } from './authenticate';
import { RESOURCES, type Directory } from './directory';
import { vaultError } from './errorBodies';
import type { CallHandler } from './httpsHost';
import { jsonReply } from './replies';
import type { SecretVault } from './secretVault';

export interface VaultServerContext {
  directory: Directory;
  vault: SecretVault;
  /** Origin of the login server, for the challenge's `authorization` parameter. */
  authorityHost: () => string;
  /** `https://127.0.0.1:<port>/` */
  vaultUrl: () => string;
}

/**
 * Key Vault `GET /secrets/{name}/{version?}` with the documented challenge: an unauthenticated request gets 401 and
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`.
 * Access is Azure RBAC: only identities holding "Key Vault Secrets User" may read.
 */
export function vaultHandler(context: VaultServerContext): CallHandler {
  const { directory, vault } = context;
  return (call) => {
    const challenge = {
      'www-authenticate': `Bearer authorization="${context.authorityHost()}/${directory.tenantId}", resource="${RESOURCES.vault}"`,
    };
    const auth = authenticate(call.headers, directory, RESOURCES.vault);
    if (!auth.ok) {
      const message =
        auth.reason === 'missing'
          ? 'AKV10000: Request is missing a Bearer or PoP token.'
          : `AKV10022: Invalid token: ${auth.message}`;
      return Promise.resolve(vaultError(401, 'Unauthorized', message, { headers: challenge }));
    }
    // The vault belongs to the home tenant: a token issued by another tenant is refused (Key Vault checks the issuer).
    if (auth.tenantId !== directory.tenantId) {
      const expected = `https://sts.windows.net/${directory.tenantId}/`;
      const message = `AKV10032: Invalid issuer. Expected one of ${expected}, found https://sts.windows.net/${auth.tenantId}/.`;
      return Promise.resolve(vaultError(401, 'Unauthorized', message, { headers: challenge }));
    }
    if (!call.query['api-version'])
      return Promise.resolve(vaultError(400, 'BadParameter', 'The api-version query parameter is missing.'));
    const match = /^\/secrets\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-fA-F]{32})?)?\/?$/.exec(call.path);
    const [, name, version] = match ?? [];
    if (name === undefined)
      return Promise.resolve(
        vaultError(404, 'NotFound', `The requested path ${call.path} was not found on this vault.`),
      );
    if (call.method !== 'GET')
      return Promise.resolve(
        vaultError(405, 'MethodNotAllowed', `${call.method} is not supported by the simulated vault.`),
      );
    if (!directory.canReadSecrets(auth.appId)) {
      const message =
        `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny ` +
        `assignments or role definitions were changed recently, please observe propagation ` +
        `time.\r\nCaller: appid=${auth.appId}\r\nAction: ` +
        `'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/secrets/${name}` +
        `'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\nVault: ` +
        `simulated-vault;location=local\r\n`;
      return Promise.resolve(
        jsonReply(403, { error: { code: 'Forbidden', message, innererror: { code: 'ForbiddenByRbac' } } }),
      );
    }
    const secret = vault.get(name, version);
    if (!secret) {
      const id = version ? `${name}/${version}` : name;
      return Promise.resolve(
        vaultError(
          404,
          'SecretNotFound',
          `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted ` +
            `this secret you may be able to recover it using the correct recovery command. For help ` +
            `resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
        ),
      );
    }
    return Promise.resolve(
      jsonReply(200, {
        value: secret.value,
        id: `${context.vaultUrl()}secrets/${secret.name}/${secret.version}`,
        attributes: {
          enabled: true,
          created: secret.createdSeconds,
          updated: secret.createdSeconds,
          recoveryLevel: 'Recoverable+Purgeable',
          recoverableDays: 90,
        },
        tags: {},
      }),
    );
  };
}
