import { isRestError } from '@azure/core-rest-pipeline';
import { AuthenticationError } from '@azure/identity';

/**
 * The HTTP status an Azure SDK error carries: the service's reply (`RestError`, thrown by every SDK client) or
 * Entra's reply to the credential the client signed in with (`AuthenticationError`, passed through unchanged).
 * Undefined for anything else, e.g. a request that got no reply.
 */
export function azureErrorStatus(error: unknown): number | undefined {
  // NOTE: isRestError also recognises a RestError of another copy of core-rest-pipeline, where instanceof does not.
  if (isRestError(error)) return error.statusCode;
  if (error instanceof AuthenticationError) return error.statusCode;
  return undefined;
}
