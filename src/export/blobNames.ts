/**
 * Export blob names: `incidents/YYYY/MM/DD/<execution time, ISO 8601 with ':' as '-'>.json`, so name
 * order is time order in the portal and in Storage Explorer.
 */
export const EXPORT_PREFIX = 'incidents/';

export function exportBlobName(executionTime: Date, extension = 'json'): string {
  const iso = executionTime.toISOString();
  return `${EXPORT_PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.replace(/:/g, '-')}.${extension}`;
}
