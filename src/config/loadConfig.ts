import { ConfigError } from '../common/errors';
import { CLOUD_NAMES, CLOUDS, findCloud, type CloudName } from './clouds';
import { parseNcrontab } from './ncrontab';
import { SETTINGS } from './settings';

/** Where export blobs and state go: a connection string (Azurite, or a key) or an identity-based endpoint. */
export type StorageTarget =
  | { readonly kind: 'connectionString'; readonly connectionString: string; readonly settingName: string }
  | { readonly kind: 'identity'; readonly blobServiceUri: string };

/** The identity that reads Key Vault when it is a service principal from the environment (local runs, tests). */
export interface VaultServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Typed, validated, frozen settings. Built once per entry point by `loadConfig`. */
export interface Config {
  readonly tenantId: string;
  readonly clientId: string;
  readonly keyVaultUri: string;
  readonly secretName: string;
  /** Which incidents API the runs read (INCIDENTS_API). */
  readonly incidentsApi: 'defender' | 'graph';
  /** DEFENDER_CLOUD: the source of the defaults below and of the token scopes. */
  readonly cloud: CloudName;
  /** Defender API base (DEFENDER_API_URL, else the cloud's). */
  readonly apiUrl: string;
  /** Token scope of the Defender API in this cloud. */
  readonly defenderScope: string;
  /** Microsoft Graph base without /v1.0 (GRAPH_API_URL, else the cloud's). */
  readonly graphApiUrl: string;
  /** Token scope of Microsoft Graph in this cloud. */
  readonly graphScope: string;
  readonly authorityHost: string;
  /** Graph source: ask for alerts with `$expand=alerts`. */
  readonly graphExpandAlerts: boolean;
  /** From this instant (epoch ms, UTC midnight) runs on the Defender source warn about its retirement. */
  readonly defenderRetirementWarningFromMs: number;
  readonly storage: StorageTarget;
  readonly container: string;
  readonly schedule: string;
  readonly initialLookbackHours: number;
  readonly overlapMinutes: number;
  readonly exportFormat: 'json' | 'ndjson';
  readonly exportCompression: 'none' | 'gzip';
  readonly exportIndexTags: boolean;
  /** Parts of a run's output are cut past this size. */
  readonly exportMaxBlobBytes: number;
  /** Explicit run budget; undefined: derived from host.json's functionTimeout. */
  readonly runBudgetMs: number | undefined;
  readonly apiCallsPerMinute: number;
  readonly apiCallsPerHour: number;
  /** Set when AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET are all present; otherwise DefaultAzureCredential reads the vault. */
  readonly vaultServicePrincipal: VaultServicePrincipal | undefined;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function defaultOf(name: string): string {
  return SETTINGS.find((s) => s.name === name)?.defaultValue ?? '';
}

/**
 * Reads the settings contract from `env` (process.env, or local.settings.json's Values), trims every value,
 * applies defaults, and reports every problem at once, each naming the setting and the fix.
 */
export function loadConfig(env: Environment): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const withDefault = (name: string): string => read(name) ?? defaultOf(name);

  const tenantId = read('DEFENDER_TENANT_ID') ?? '';
  if (tenantId === '') problems.push("DEFENDER_TENANT_ID is missing: set it to your Entra tenant id (a GUID) or domain (e.g. contoso.onmicrosoft.com).");
  else if (!GUID.test(tenantId) && !DOMAIN.test(tenantId)) problems.push(`DEFENDER_TENANT_ID '${tenantId}' is neither a GUID nor a domain: copy the Directory (tenant) ID from the app registration's overview.`);

  const clientId = read('DEFENDER_CLIENT_ID') ?? '';
  if (clientId === '') problems.push("DEFENDER_CLIENT_ID is missing: set it to the app registration's Application (client) ID.");
  else if (!GUID.test(clientId)) problems.push(`DEFENDER_CLIENT_ID '${clientId}' is not a GUID: copy the Application (client) ID from the app registration's overview.`);

  const keyVaultUri = normaliseUrl('KEY_VAULT_URI', read('KEY_VAULT_URI'), problems, 'e.g. https://contoso-kv.vault.azure.net/', true);
  const incidentsApi = readChoice('INCIDENTS_API', withDefault('INCIDENTS_API'), ['defender', 'graph'] as const, problems, 'set defender (the Defender XDR API) or graph (Microsoft Graph security incidents)');
  const cloudText = withDefault('DEFENDER_CLOUD');
  const cloud = findCloud(cloudText);
  if (cloud === undefined) problems.push(`DEFENDER_CLOUD '${cloudText}' is not one of ${CLOUD_NAMES.join(', ')}: use public for commercial tenants, gcc, gcchigh or dod for US Government tenants.`);
  // Hosts default to the cloud's; an explicit setting wins (regional hosts, tests).
  const endpoints = cloud ?? CLOUDS.public;
  const apiUrl = normaliseUrl('DEFENDER_API_URL', read('DEFENDER_API_URL') ?? endpoints.defenderApiUrl, problems, `e.g. ${endpoints.defenderApiUrl}`);
  const graphApiUrl = normaliseUrl('GRAPH_API_URL', read('GRAPH_API_URL') ?? endpoints.graphApiUrl, problems, `e.g. ${endpoints.graphApiUrl}`);
  const authorityHost = normaliseUrl('AZURE_AUTHORITY_HOST', read('AZURE_AUTHORITY_HOST') ?? endpoints.authorityHost, problems, `e.g. ${endpoints.authorityHost}`);
  const graphExpandAlerts = readChoice('GRAPH_EXPAND_ALERTS', withDefault('GRAPH_EXPAND_ALERTS'), ['true', 'false'] as const, problems, 'set true to export alerts with each Graph incident, false to leave them out') === 'true';
  const defenderRetirementWarningFromMs = readDate('DEFENDER_RETIREMENT_WARNING_DATE', withDefault('DEFENDER_RETIREMENT_WARNING_DATE'), problems);

  const secretName = withDefault('DEFENDER_CLIENT_SECRET_NAME');
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(secretName)) problems.push(`DEFENDER_CLIENT_SECRET_NAME '${secretName}' is not a valid Key Vault secret name: use 1-127 letters, digits and dashes.`);

  const container = withDefault('EXPORT_CONTAINER');
  if (!CONTAINER.test(container)) problems.push(`EXPORT_CONTAINER '${container}' is not a valid container name: use 3-63 lowercase letters, digits and single dashes.`);

  const schedule = withDefault('EXPORT_SCHEDULE');
  try {
    parseNcrontab(schedule);
  } catch (error) {
    problems.push(`EXPORT_SCHEDULE is not a valid NCRONTAB expression: ${error instanceof Error ? error.message : String(error)}.`);
  }

  const initialLookbackHours = readNumber('INITIAL_LOOKBACK_HOURS', withDefault('INITIAL_LOOKBACK_HOURS'), problems, { min: 0.01, max: 180 * 24, what: 'a number of hours above 0, at most 4320 (the API keeps 180 days)' });
  const overlapMinutes = readNumber('OVERLAP_MINUTES', withDefault('OVERLAP_MINUTES'), problems, { min: 0, max: 24 * 60, what: 'a number of minutes from 0 to 1440' });

  const exportFormat = readChoice('EXPORT_FORMAT', withDefault('EXPORT_FORMAT'), ['json', 'ndjson'] as const, problems);
  const exportCompression = readChoice('EXPORT_COMPRESSION', withDefault('EXPORT_COMPRESSION'), ['none', 'gzip'] as const, problems);
  const exportIndexTags = readChoice('EXPORT_INDEX_TAGS', withDefault('EXPORT_INDEX_TAGS'), ['false', 'true'] as const, problems) === 'true';
  const exportMaxBlobMb = readNumber('EXPORT_MAX_BLOB_MB', withDefault('EXPORT_MAX_BLOB_MB'), problems, { min: 1, max: 4000, what: 'a size in MB from 1 to 4000' });
  const budgetText = read('RUN_BUDGET_SECONDS');
  const runBudgetSeconds = budgetText === undefined ? undefined : readNumber('RUN_BUDGET_SECONDS', budgetText, problems, { min: 1, max: 7 * 86_400, what: 'a number of seconds above 0' });
  const apiCallsPerMinute = readNumber('API_CALLS_PER_MINUTE', withDefault('API_CALLS_PER_MINUTE'), problems, { min: 1, max: 100_000, what: 'a whole number of calls above 0' });
  const apiCallsPerHour = readNumber('API_CALLS_PER_HOUR', withDefault('API_CALLS_PER_HOUR'), problems, { min: 1, max: 6_000_000, what: 'a whole number of calls above 0' });

  const storage = readStorage(read, problems);

  const vaultTenant = read('AZURE_TENANT_ID');
  const vaultClient = read('AZURE_CLIENT_ID');
  const vaultSecret = read('AZURE_CLIENT_SECRET');
  const vaultServicePrincipal = vaultTenant !== undefined && vaultClient !== undefined && vaultSecret !== undefined ? { tenantId: vaultTenant, clientId: vaultClient, clientSecret: vaultSecret } : undefined;

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    tenantId,
    clientId,
    keyVaultUri,
    secretName,
    incidentsApi,
    cloud: endpoints.name,
    apiUrl,
    defenderScope: endpoints.defenderScope,
    graphApiUrl,
    graphScope: endpoints.graphScope,
    authorityHost,
    graphExpandAlerts,
    defenderRetirementWarningFromMs,
    storage,
    container,
    schedule,
    initialLookbackHours,
    overlapMinutes,
    exportFormat,
    exportCompression,
    exportIndexTags,
    exportMaxBlobBytes: Math.round(exportMaxBlobMb * 1024 * 1024),
    runBudgetMs: runBudgetSeconds === undefined ? undefined : runBudgetSeconds * 1000,
    apiCallsPerMinute: Math.floor(apiCallsPerMinute),
    apiCallsPerHour: Math.floor(apiCallsPerHour),
    vaultServicePrincipal: vaultServicePrincipal && Object.freeze(vaultServicePrincipal),
  });
}

/** Where exports live: all that the read-only commands (list, show, status, state) need. */
export interface StorageConfig {
  readonly storage: StorageTarget;
  readonly container: string;
  readonly vaultServicePrincipal: VaultServicePrincipal | undefined;
  /** Only when set explicitly; otherwise the credential's own default. */
  readonly authorityHost: string | undefined;
}

/** Reads only the storage settings (EXPORT_STORAGE / EXPORT_STORAGE__blobServiceUri / AzureWebJobsStorage, EXPORT_CONTAINER). */
export function loadStorageConfig(env: Environment): StorageConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const container = read('EXPORT_CONTAINER') ?? defaultOf('EXPORT_CONTAINER');
  if (!CONTAINER.test(container)) problems.push(`EXPORT_CONTAINER '${container}' is not a valid container name: use 3-63 lowercase letters, digits and single dashes.`);
  const storage = readStorage(read, problems);
  const authorityText = read('AZURE_AUTHORITY_HOST');
  const authorityHost = authorityText === undefined ? undefined : normaliseUrl('AZURE_AUTHORITY_HOST', authorityText, problems, 'e.g. https://login.microsoftonline.com');
  if (problems.length > 0) throw new ConfigError(problems);
  const tenantId = read('AZURE_TENANT_ID');
  const clientId = read('AZURE_CLIENT_ID');
  const clientSecret = read('AZURE_CLIENT_SECRET');
  const vaultServicePrincipal = tenantId !== undefined && clientId !== undefined && clientSecret !== undefined ? { tenantId, clientId, clientSecret } : undefined;
  return Object.freeze({ storage, container, vaultServicePrincipal, authorityHost });
}

function normaliseUrl(name: string, value: string | undefined, problems: string[], example: string, trailingSlash = false): string {
  if (value === undefined) {
    problems.push(`${name} is missing: set it to an https URL (${example}).`);
    return '';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} '${value}' is not a URL: set it to an https URL (${example}).`);
    return '';
  }
  if (url.protocol !== 'https:') {
    problems.push(`${name} '${value}' must use https (${example}).`);
    return '';
  }
  const text = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return trailingSlash ? `${text}/` : text;
}

function readNumber(name: string, text: string, problems: string[], range: { min: number; max: number; what: string }): number {
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < range.min || value > range.max) {
    problems.push(`${name} '${text}' is not ${range.what}.`);
    return range.min;
  }
  return value;
}

function readChoice<T extends string>(name: string, text: string, choices: readonly [T, ...T[]], problems: string[], fix?: string): T {
  const value = choices.find((choice) => choice === text.toLowerCase());
  if (value === undefined) {
    problems.push(`${name} '${text}' is not one of ${choices.join(', ')}${fix ? `: ${fix}` : ''}.`);
    return choices[0];
  }
  return value;
}

/** A calendar date `YYYY-MM-DD` as epoch ms at 00:00 UTC. */
function readDate(name: string, text: string, problems: string[]): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    problems.push(`${name} '${text}' is not a date: use YYYY-MM-DD (UTC), e.g. 2026-11-01.`);
    return 0;
  }
  return ms;
}

function readStorage(read: (name: string) => string | undefined, problems: string[]): StorageTarget {
  const serviceUri = read('EXPORT_STORAGE__blobServiceUri');
  if (serviceUri !== undefined) {
    const normalised = normaliseUrl('EXPORT_STORAGE__blobServiceUri', serviceUri, problems, 'e.g. https://contosoexports.blob.core.windows.net');
    return { kind: 'identity', blobServiceUri: normalised };
  }
  const own = read('EXPORT_STORAGE');
  const host = read('AzureWebJobsStorage');
  const connectionString = own ?? host;
  if (connectionString === undefined) {
    problems.push('EXPORT_STORAGE is missing (and so is AzureWebJobsStorage): set EXPORT_STORAGE__blobServiceUri to the export account\'s blob endpoint (managed identity), or EXPORT_STORAGE to a connection string (UseDevelopmentStorage=true for Azurite).');
    return { kind: 'connectionString', connectionString: '', settingName: 'EXPORT_STORAGE' };
  }
  const settingName = own !== undefined ? 'EXPORT_STORAGE' : 'AzureWebJobsStorage';
  if (connectionString !== 'UseDevelopmentStorage=true' && !/(^|;)\s*(BlobEndpoint|AccountName)\s*=/i.test(connectionString)) {
    problems.push(`${settingName} is not a storage connection string (expected UseDevelopmentStorage=true or one with AccountName=/BlobEndpoint=).`);
  }
  return { kind: 'connectionString', connectionString, settingName };
}
