/**
 * The settings contract: every app setting the exporter reads, with its default and meaning.
 * `loadConfig` reads exactly these; the README, `local.settings.sample.json` and the infra templates are checked against this list.
 */
export interface SettingSpec {
  readonly name: string;
  /** Required settings have no default; the run refuses to start without them. */
  readonly required: boolean;
  /** Default applied when the setting is absent or blank (documentation text for computed defaults). */
  readonly defaultValue?: string;
  readonly description: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  { name: 'DEFENDER_TENANT_ID', required: true, description: 'Entra tenant of the app registration (GUID or domain, e.g. contoso.onmicrosoft.com).' },
  { name: 'DEFENDER_CLIENT_ID', required: true, description: "App registration's client (application) id, a GUID." },
  { name: 'KEY_VAULT_URI', required: true, description: 'Key Vault holding the client secret, e.g. https://contoso-kv.vault.azure.net/.' },
  { name: 'DEFENDER_CLIENT_SECRET_NAME', required: false, defaultValue: 'defender-client-secret', description: 'Name of the secret in that vault.' },
  { name: 'INCIDENTS_API', required: false, defaultValue: 'defender', description: "Which incidents API to read: defender (GET /api/incidents, retiring after 2027-02-01) or graph (Microsoft Graph GET /v1.0/security/incidents, permission SecurityIncident.Read.All). Switching keeps the watermark: the first run after a switch continues where the other source stopped." },
  { name: 'DEFENDER_CLOUD', required: false, defaultValue: 'public', description: 'Microsoft cloud of the tenant: public, gcc, gcchigh or dod. Sets the Defender and Graph API hosts, the Entra authority and the token scopes; DEFENDER_API_URL, GRAPH_API_URL and AZURE_AUTHORITY_HOST override the hosts.' },
  {
    name: 'DEFENDER_API_URL',
    required: false,
    defaultValue: 'from DEFENDER_CLOUD: https://api.security.microsoft.com (public), https://api-gcc.security.microsoft.us (gcc), https://api-gov.security.microsoft.us (gcchigh, dod)',
    description: "Defender API base URL. Regional hosts of the public cloud, closer to the tenant's data: https://api-us.security.microsoft.com, https://api-eu.security.microsoft.com, https://api-uk.security.microsoft.com, and the newer https://us.api.security.microsoft.com, eu., uk., au. (same token scope as the default host). Also used by tests.",
  },
  {
    name: 'GRAPH_API_URL',
    required: false,
    defaultValue: 'from DEFENDER_CLOUD: https://graph.microsoft.com (public, gcc), https://graph.microsoft.us (gcchigh), https://dod-graph.microsoft.us (dod)',
    description: 'Microsoft Graph base URL, without /v1.0 (used when INCIDENTS_API=graph; tests).',
  },
  {
    name: 'AZURE_AUTHORITY_HOST',
    required: false,
    defaultValue: 'from DEFENDER_CLOUD: https://login.microsoftonline.com (public, gcc), https://login.microsoftonline.us (gcchigh, dod)',
    description: 'Entra authority host (sovereign clouds, tests).',
  },
  { name: 'GRAPH_EXPAND_ALERTS', required: false, defaultValue: 'true', description: "Graph source: ask for each incident's alerts with $expand=alerts (true or false). If a page with $expand fails persistently (5xx after the retries), that page and the rest of the run are read without alerts and a warning is logged; the incidents are still exported." },
  { name: 'DEFENDER_RETIREMENT_WARNING_DATE', required: false, defaultValue: '2026-11-01', description: 'From this date (YYYY-MM-DD, UTC) every run that still reads the Defender API logs a warning to set INCIDENTS_API=graph before the API stops working after 2027-02-01.' },
  { name: 'EXPORT_STORAGE', required: false, defaultValue: 'AzureWebJobsStorage', description: 'Connection string of the export storage account; falls back to AzureWebJobsStorage. For identity-based access set EXPORT_STORAGE__blobServiceUri instead.' },
  { name: 'EXPORT_STORAGE__blobServiceUri', required: false, description: 'Blob endpoint of the export storage account, reached with the managed identity (no key).' },
  { name: 'EXPORT_CONTAINER', required: false, defaultValue: 'defender-incidents', description: 'Container for the export blobs (incidents/...) and the state (state/...).' },
  { name: 'EXPORT_SCHEDULE', required: false, defaultValue: '0 */5 * * * *', description: 'Six-field NCRONTAB schedule (UTC) of the timer, used as %EXPORT_SCHEDULE%.' },
  { name: 'INITIAL_LOOKBACK_HOURS', required: false, defaultValue: '48', description: 'Window of the very first run, in hours (as in the Hello World scripts).' },
  { name: 'EXPORT_FORMAT', required: false, defaultValue: 'json', description: 'json: each blob is one JSON array; ndjson: one incident per line (.ndjson).' },
  { name: 'EXPORT_COMPRESSION', required: false, defaultValue: 'none', description: 'none, or gzip: blobs are gzip-compressed, named .json.gz/.ndjson.gz and served as application/gzip without a Content-Encoding, so portal and Storage Explorer downloads are the same valid .gz file.' },
  { name: 'EXPORT_INDEX_TAGS', required: false, defaultValue: 'false', description: "true: also set blob index tags (kind, source, windowfrom, windowto) for filtering in Storage Explorer; needs a role with blobs/tags/write (e.g. Storage Blob Data Owner), which Storage Blob Data Contributor lacks." },
  { name: 'EXPORT_MAX_BLOB_MB', required: false, defaultValue: '100', description: "A run's output is split into parts (…-part0002.json, …) past this many MB; each part is committed with the run's progress." },
  { name: 'RUN_BUDGET_SECONDS', required: false, defaultValue: "derived from host.json's functionTimeout", description: "Time a run may spend before it stops cleanly (committing what it has) so the next run continues; defaults to functionTimeout minus a 10% margin (at least 60 s)." },
  { name: 'API_CALLS_PER_MINUTE', required: false, defaultValue: '50', description: 'Pacing of the incidents list call, for whichever INCIDENTS_API is active (the documented Defender limit is 50 per minute; Graph documents none for this call).' },
  { name: 'API_CALLS_PER_HOUR', required: false, defaultValue: '1500', description: 'Pacing of the incidents list call, for whichever INCIDENTS_API is active (the documented Defender limit is 1,500 per hour).' },
  { name: 'OVERLAP_MINUTES', required: false, defaultValue: '15', description: 'Each run re-reads this many minutes below the watermark to catch updates that became visible late; versions already exported are dropped.' },
  { name: 'STATUS_MAX_AGE_MINUTES', required: false, defaultValue: '60', description: "`defender-export status` reports unhealthy (exit code 3) when no run succeeded within this many minutes (a health probe's threshold; keep it above the schedule's interval)." },
];

/** Settings the Azure platform or the Azure SDK read themselves; allowed in app settings but not part of our contract. */
export const PLATFORM_SETTINGS: readonly string[] = [
  'AzureWebJobsStorage',
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'WEBSITE_RUN_FROM_PACKAGE',
];
