/** The role the exporter's identity holds on the state container (see infra/): it reads and writes blobs there. */
export const STATE_STORAGE_ROLE = 'Storage Blob Data Contributor';

/**
 * What to do when the state container failed a request that answered `statusCode` (undefined: no answer at all).
 * Only a 403 means the identity lacks its role; a refused connection, a name that does not resolve or a 5xx has
 * other fixes, and naming a role there sends people the wrong way.
 */
export function stateStorageFix(statusCode: number | undefined): string {
  if (statusCode === 403)
    return (
      `Grant the identity the '${STATE_STORAGE_ROLE}' role on the state container ` +
      `(EXPORT_STATE_CONTAINER, else EXPORT_CONTAINER) or its storage account.`
    );
  if (statusCode === undefined || statusCode >= 500)
    return (
      'Check EXPORT_STORAGE (the account and its network access) and that the storage service is ' +
      'up; the next run tries again.'
    );
  return 'Check EXPORT_STORAGE and EXPORT_STATE_CONTAINER.';
}
