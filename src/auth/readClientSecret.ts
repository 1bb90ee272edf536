import { isRestError } from '@azure/core-rest-pipeline';
import type { SecretClient } from '@azure/keyvault-secrets';
import { describeError, SecretError } from '../common/errors';
import { registerSensitive } from '../common/logger';
import { stringProperty } from '../common/jsonFields';
import { azureErrorStatus } from './azureErrorStatus';

/**
 * Reads the app registration's client secret from Key Vault. Called once per run so a rotated secret
 * is picked up at the next run. The value is registered for redaction before anyone can print it.
 */
export async function readClientSecret(
  client: SecretClient,
  vaultUri: string,
  secretName: string,
  abortSignal?: AbortSignal,
): Promise<string> {
  let value: string | undefined;
  try {
    const secret = await client.getSecret(secretName, { abortSignal });
    value = secret.value;
    if (secret.properties.enabled === false) {
      throw new SecretError(
        `Key Vault secret '${secretName}' in ${vaultUri} is disabled: enable it or set a new ` +
          `version with 'az keyvault secret set'.`,
        { code: 'SecretDisabled' },
      );
    }
  } catch (error) {
    if (error instanceof SecretError) throw error;
    throw explain(error, vaultUri, secretName);
  }
  registerSensitive(value);
  if (value === undefined || value.trim() === '') {
    throw new SecretError(
      `Key Vault secret '${secretName}' in ${vaultUri} is empty: store the app registration's ` +
        `client secret value in it ('az keyvault secret set --vault-name <vault> --name ` +
        `${secretName} --value <secret>').`,
      { code: 'SecretEmpty' },
    );
  }
  return value;
}

function explain(error: unknown, vaultUri: string, secretName: string): SecretError {
  const statusCode = azureErrorStatus(error);
  const code = isRestError(error) ? error.code : undefined;
  const name = error instanceof Error ? error.name : '';
  if (statusCode === 404) {
    return new SecretError(
      `Key Vault secret '${secretName}' was not found in ${vaultUri}: create it with 'az ` +
        `keyvault secret set --vault-name <vault> --name ${secretName} --value <client secret>', ` +
        `or set DEFENDER_CLIENT_SECRET_NAME to the secret's name.`,
      { code: 'SecretNotFound', statusCode, cause: error },
    );
  }
  if (statusCode === 403) {
    return new SecretError(
      `The function's identity may not read secrets in ${vaultUri} (${code ?? 'Forbidden'}): ` +
        `grant it the 'Key Vault Secrets User' role on the vault.`,
      { code: 'SecretForbidden', statusCode, cause: error },
    );
  }
  const signIn = signInFailure(error);
  if (signIn !== undefined) {
    return new SecretError(
      `The identity reading Key Vault ${vaultUri} could not sign in: ${signIn.problem} (` +
        `${signIn.aadCode}). ${IDENTITY_FIX}.` +
        `${signIn.correlationId === undefined ? '' : ` Correlation id ${signIn.correlationId}.`}`,
      { code: 'VaultAuthenticationFailed', statusCode, cause: error },
    );
  }
  if (
    statusCode === 401 ||
    name === 'AuthenticationError' ||
    name === 'CredentialUnavailableError' ||
    name === 'AggregateAuthenticationError'
  ) {
    return new SecretError(
      `Could not authenticate to Key Vault ${vaultUri}: ${describeError(error)}. In Azure, check ` +
        `the function's managed identity (AZURE_CLIENT_ID for a user-assigned one); locally, run ` +
        `'az login' or set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET.`,
      { code: 'VaultAuthenticationFailed', statusCode, cause: error },
    );
  }
  const retryable = statusCode === undefined || statusCode === 429 || statusCode >= 500;
  return new SecretError(
    `Reading Key Vault secret '${secretName}' from ${vaultUri} failed` +
      `${statusCode ? ` (HTTP ${statusCode})` : ''}: ${describeError(error)}. Check ` +
      `KEY_VAULT_URI and the vault's network rules.`,
    { code: 'VaultReadFailed', statusCode, retryable, cause: error },
  );
}

/** Where the identity that reads the vault comes from: locally the AZURE_* service principal or az login, in Azure the managed identity. */
const IDENTITY_FIX =
  'Fix AZURE_CLIENT_SECRET (or unset AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET and ' +
  "run 'az login'); in Azure, check the function's managed identity (AZURE_CLIENT_ID for a " +
  'user-assigned one)';

/** Entra's answers to the identity that reads the vault, in a few words (Entra's own text spans lines with trace ids). */
const SIGN_IN_PROBLEMS: Readonly<Record<string, string>> = {
  AADSTS7000215: 'invalid client secret',
  AADSTS7000222: 'the client secret has expired',
  AADSTS700016: 'no application with AZURE_CLIENT_ID in that tenant',
  AADSTS90002: 'the tenant AZURE_TENANT_ID was not found',
  AADSTS900023: 'AZURE_TENANT_ID is not a valid tenant',
};

/** The AADSTS code, a short reading and the correlation id of an Entra sign-in refusal anywhere in the cause chain. */
function signInFailure(
  error: unknown,
): { aadCode: string; problem: string; correlationId: string | undefined } | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    const message = current instanceof Error ? current.message : stringProperty(current, 'message');
    const aadCode = message === undefined ? undefined : /AADSTS\d+/.exec(message)?.[0];
    if (message !== undefined && aadCode !== undefined) {
      const correlationId = /Correlation ID:\s*([0-9a-f-]{36})/i.exec(message)?.[1];
      return { aadCode, problem: SIGN_IN_PROBLEMS[aadCode] ?? 'Entra refused the sign-in', correlationId };
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}
