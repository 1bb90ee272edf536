import { CLOUD_NAMES, CLOUDS, findCloud, type CloudEndpoints } from './clouds';
import { parseNcrontab } from './ncrontab';
import { httpsUrl, mapParsed, numberIn, ok, oneOf, problem, utcDate, type Parsed } from './settingParsers';

/**
 * The settings contract: every app setting the exporter reads, with its default, how it is parsed and what it
 * means, in one table. `loadConfig` reads exactly these; the README, `local.settings.sample.json` and the infra
 * templates are checked against `SETTINGS`.
 */

/** App settings as the process sees them (process.env, or local.settings.json's Values). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Where export blobs and state go: a connection string (Azurite, or a key) or an identity-based endpoint. */
export type StorageTarget =
  | { readonly kind: 'connectionString'; readonly connectionString: string; readonly settingName: string }
  | { readonly kind: 'identity'; readonly blobServiceUri: string };

/** A setting as documented: what the README table, the sample settings and the infra check read. */
export interface SettingSpec {
  readonly name: string;
  /** Required settings have no default; the run refuses to start without them. */
  readonly required: boolean;
  /** Default applied when the setting is absent or blank (documentation text for computed defaults). */
  readonly defaultValue?: string;
  readonly description: string;
}

/** The typed value of each setting, under the name it keeps from the table to where it is used. */
export interface SettingValues {
  /** Undefined: no single tenant (a deployment that exports only the tenants of its registry). */
  readonly tenantId: string | undefined;
  readonly clientId: string;
  readonly keyVaultUri: string;
  readonly secretName: string;
  /** Which incidents API the runs read (INCIDENTS_API): auto reads Defender until it ends, then Graph. */
  readonly incidentsApi: 'auto' | 'defender' | 'graph';
  readonly cloud: CloudEndpoints;
  /** Defender API base (DEFENDER_API_URL, else the cloud's). */
  readonly apiUrl: string;
  /** Microsoft Graph base without /v1.0 (GRAPH_API_URL, else the cloud's). */
  readonly graphApiUrl: string;
  readonly authorityHost: string;
  /** Graph source: ask for alerts with `$expand=alerts`. */
  readonly graphExpandAlerts: boolean;
  /** Epoch ms of 00:00 UTC on the warning date. */
  readonly defenderRetirementWarningFromMs: number;
  /** Epoch ms of 00:00 UTC on DEFENDER_API_END_DATE: from then on INCIDENTS_API=auto reads Graph. */
  readonly defenderApiEndMs: number;
  readonly storage: StorageTarget;
  /** The identity-based endpoint when set; `storage` then targets it. */
  readonly blobServiceUri: string | undefined;
  readonly container: string;
  /** Container of the state, backfill jobs and tenant registry (EXPORT_STATE_CONTAINER, else EXPORT_CONTAINER). */
  readonly stateContainer: string;
  readonly schedule: string;
  /** Storage queue (host account) of the per-tenant runs; its poison queue is `<exportQueue>-poison`. */
  readonly exportQueue: string;
  readonly initialLookbackHours: number;
  readonly exportFormat: 'json' | 'ndjson';
  readonly exportCompression: 'none' | 'gzip';
  readonly exportIndexTags: boolean;
  /** Parts of a run's output are cut past this size. */
  readonly exportMaxBlobBytes: number;
  /** Undefined: derived from host.json's functionTimeout by the runtime. */
  readonly runBudgetMs: number | undefined;
  readonly apiCallsPerMinute: number;
  readonly apiCallsPerHour: number;
  readonly overlapMinutes: number;
  readonly statusMaxAgeMinutes: number;
}

export type SettingKey = keyof SettingValues;

/** Settings the Azure platform or the Azure SDK read themselves; allowed in app settings but not part of our contract. */
export const PLATFORM_SETTINGS = [
  'AzureWebJobsStorage',
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'WEBSITE_RUN_FROM_PACKAGE',
] as const;

/** Platform settings we also read, plus the local-only service principal secret (never an app setting). */
export type PlatformSettingName = (typeof PLATFORM_SETTINGS)[number] | 'AZURE_CLIENT_SECRET';

/** What a row's parser may look at besides its own text. */
export interface SettingContext {
  /** The row's own setting name, for its messages. */
  readonly name: string;
  /** Another setting's value; undefined when that setting has a problem (its own row reports it). */
  value<K extends SettingKey>(key: K): SettingValues[K] | undefined;
  /** Whether another setting is present and not blank. */
  isSet(key: SettingKey): boolean;
  /** A platform setting, trimmed; undefined when absent or blank. */
  platform(name: PlatformSettingName): string | undefined;
}

/** One row of the table: the documented setting and its parser. */
export interface Setting<T> extends SettingSpec {
  /** Turns the trimmed text (undefined when absent or blank) into the value, or one problem naming the setting and its fix. */
  parse(text: string | undefined, context: SettingContext): Parsed<T>;
}

type SettingTable = { readonly [K in SettingKey]: Setting<SettingValues[K]> };

interface RowText {
  readonly name: string;
  readonly description: string;
}

/** A setting without a default: absent or blank is a problem, `fix` says what to set. */
function required<T>(
  row: RowText & { readonly fix: string; readonly parse: (text: string, context: SettingContext) => Parsed<T> },
): Setting<T> {
  return {
    name: row.name,
    required: true,
    description: row.description,
    parse: (text, context) =>
      text === undefined ? problem(`${row.name} is missing: ${row.fix}`) : row.parse(text, context),
  };
}

/** A setting whose literal default stands in for an absent or blank value. */
function withDefault<T>(
  row: RowText & {
    readonly defaultValue: string;
    readonly parse: (text: string, context: SettingContext) => Parsed<T>;
  },
): Setting<T> {
  return {
    name: row.name,
    required: false,
    defaultValue: row.defaultValue,
    description: row.description,
    parse: (text, context) => row.parse(text ?? row.defaultValue, context),
  };
}

/** A setting whose parser handles absence itself (a default computed from other settings, or none). */
function optional<T>(
  row: RowText & {
    readonly defaultValue?: string;
    readonly parse: (text: string | undefined, context: SettingContext) => Parsed<T>;
  },
): Setting<T> {
  return {
    name: row.name,
    required: false,
    ...(row.defaultValue === undefined ? {} : { defaultValue: row.defaultValue }),
    description: row.description,
    parse: row.parse,
  };
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
export const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
/** A queue name that leaves room for the '-poison' suffix of its poison queue (queue names: 3-63 characters). */
const QUEUE = /^(?=.{3,56}$)[a-z0-9]+(-[a-z0-9]+)*$/;
export const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const CONNECTION_STRING = /(^|;)\s*(BlobEndpoint|AccountName)\s*=/i;

/** The cloud whose hosts are the defaults; public while DEFENDER_CLOUD itself is wrong (its row reports that). */
function cloudOf(context: SettingContext): CloudEndpoints {
  return context.value('cloud') ?? CLOUDS.public;
}

const cloudUrl = (pick: (cloud: CloudEndpoints) => string) => (text: string | undefined, context: SettingContext) => {
  const fallback = pick(cloudOf(context));
  return httpsUrl(context.name, text ?? fallback, `e.g. ${fallback}`);
};

/** `true` or `false`, listed in `choices`' order in the problem. */
const flag =
  (choices: readonly ['true', 'false'] | readonly ['false', 'true'], fix?: string) =>
  (text: string, context: SettingContext) =>
    mapParsed(oneOf(context.name, text, choices, fix), (value) => value === 'true');

/** The table. Its order is the README's. */
export const SETTING_TABLE: SettingTable = {
  tenantId: optional({
    name: 'DEFENDER_TENANT_ID',
    defaultValue: 'required without a tenant registry',
    description:
      'Entra tenant of the app registration (GUID or domain, e.g. contoso.onmicrosoft.com): the ' +
      'one tenant exported without a tenant registry. With a registry (config/tenants.json) it ' +
      "may be left out: the registry's tenants are exported, and this one only if registered " +
      'too. Neither set: every run fails with one line naming both fixes.',
    parse: (text, { name }) =>
      text === undefined || GUID.test(text) || DOMAIN.test(text)
        ? ok(text)
        : problem(
            `${name} '${text}' is neither a GUID nor a domain: copy the Directory (tenant) ID from the ` +
              `app registration's overview.`,
          ),
  }),
  clientId: required({
    name: 'DEFENDER_CLIENT_ID',
    description: "App registration's client (application) id, a GUID.",
    fix: "set it to the app registration's Application (client) ID.",
    parse: (text, { name }) =>
      GUID.test(text)
        ? ok(text)
        : problem(
            `${name} '${text}' is not a GUID: copy the Application (client) ID from the app registration's overview.`,
          ),
  }),
  keyVaultUri: required({
    name: 'KEY_VAULT_URI',
    description: 'Key Vault holding the client secret, e.g. https://contoso-kv.vault.azure.net/.',
    fix: 'set it to an https URL (e.g. https://contoso-kv.vault.azure.net/).',
    parse: (text, { name }) => httpsUrl(name, text, 'e.g. https://contoso-kv.vault.azure.net/', true),
  }),
  secretName: withDefault({
    name: 'DEFENDER_CLIENT_SECRET_NAME',
    defaultValue: 'defender-client-secret',
    description: 'Name of the secret in that vault.',
    parse: (text, { name }) =>
      SECRET_NAME.test(text)
        ? ok(text)
        : problem(`${name} '${text}' is not a valid Key Vault secret name: use 1-127 letters, digits and dashes.`),
  }),
  incidentsApi: withDefault({
    name: 'INCIDENTS_API',
    defaultValue: 'auto',
    description:
      'Which incidents API to read: auto (the Defender API until DEFENDER_API_END_DATE or until ' +
      'it answers that it is gone, then Microsoft Graph, by itself, once, recorded in the state; ' +
      'grant both permissions), defender (GET /api/incidents, retiring after 2027-02-01) or ' +
      'graph (Microsoft Graph GET /v1.0/security/incidents, permission ' +
      'SecurityIncident.Read.All). Switching keeps the watermark: the first run after a switch ' +
      'continues where the other source stopped.',
    parse: (text, { name }) =>
      oneOf(
        name,
        text,
        ['auto', 'defender', 'graph'],
        'set auto (Defender, then Microsoft Graph when the Defender API ends), defender (the ' +
          'Defender XDR API) or graph (Microsoft Graph security incidents)',
      ),
  }),
  cloud: withDefault({
    name: 'DEFENDER_CLOUD',
    defaultValue: 'public',
    description:
      'Microsoft cloud of the tenant: public, gcc, gcchigh or dod. Sets the Defender and Graph ' +
      'API hosts, the Entra authority and the token scopes; DEFENDER_API_URL, GRAPH_API_URL and ' +
      'AZURE_AUTHORITY_HOST override the hosts.',
    parse: (text, { name }) => {
      const cloud = findCloud(text);
      return cloud === undefined
        ? problem(
            `${name} '${text}' is not one of ${CLOUD_NAMES.join(', ')}: use public for commercial ` +
              `tenants, gcc, gcchigh or dod for US Government tenants.`,
          )
        : ok(cloud);
    },
  }),
  apiUrl: optional({
    name: 'DEFENDER_API_URL',
    defaultValue:
      'from DEFENDER_CLOUD: https://api.security.microsoft.com (public), ' +
      'https://api-gcc.security.microsoft.us (gcc), https://api-gov.security.microsoft.us ' +
      '(gcchigh, dod)',
    description:
      "Defender API base URL. Regional hosts of the public cloud, closer to the tenant's data: " +
      'https://api-us.security.microsoft.com, https://api-eu.security.microsoft.com, ' +
      'https://api-uk.security.microsoft.com, and the newer ' +
      'https://us.api.security.microsoft.com, eu., uk., au. (same token scope as the default ' +
      'host). Also used by tests.',
    parse: cloudUrl((cloud) => cloud.defenderApiUrl),
  }),
  graphApiUrl: optional({
    name: 'GRAPH_API_URL',
    defaultValue:
      'from DEFENDER_CLOUD: https://graph.microsoft.com (public, gcc), ' +
      'https://graph.microsoft.us (gcchigh), https://dod-graph.microsoft.us (dod)',
    description:
      'Microsoft Graph base URL, without /v1.0 (used with INCIDENTS_API=graph, and auto for its ' +
      'readiness check and after the switch; tests).',
    parse: cloudUrl((cloud) => cloud.graphApiUrl),
  }),
  authorityHost: optional({
    name: 'AZURE_AUTHORITY_HOST',
    defaultValue:
      'from DEFENDER_CLOUD: https://login.microsoftonline.com (public, gcc), ' +
      'https://login.microsoftonline.us (gcchigh, dod)',
    description: 'Entra authority host (sovereign clouds, tests).',
    parse: cloudUrl((cloud) => cloud.authorityHost),
  }),
  graphExpandAlerts: withDefault({
    name: 'GRAPH_EXPAND_ALERTS',
    defaultValue: 'true',
    description:
      "Graph source: ask for each incident's alerts with $expand=alerts (true or false). If a " +
      'page with $expand fails persistently (5xx after the retries), that page and the rest of ' +
      'the run are read without alerts and a warning is logged; the incidents are still exported.',
    parse: flag(['true', 'false'], 'set true to export alerts with each Graph incident, false to leave them out'),
  }),
  defenderRetirementWarningFromMs: withDefault({
    name: 'DEFENDER_RETIREMENT_WARNING_DATE',
    defaultValue: '2026-11-01',
    description:
      'From this date (YYYY-MM-DD, UTC) each process (function instance, CLI run, npm start) ' +
      'that reads the Defender API logs one short warning before the Defender API stops working ' +
      'after 2027-02-01: with INCIDENTS_API=defender always (set auto or graph), with auto only ' +
      'while Microsoft Graph is not ready (the permission is missing).',
    parse: (text, { name }) => utcDate(name, text),
  }),
  defenderApiEndMs: withDefault({
    name: 'DEFENDER_API_END_DATE',
    defaultValue: '2027-02-01',
    description:
      'INCIDENTS_API=auto: from 00:00 UTC on this date (YYYY-MM-DD) runs read Microsoft Graph ' +
      "instead of the Defender API (Microsoft's announced end, MC1220762). A Defender reply that " +
      'says the API is gone (410; 404 on /api/incidents; an error naming retirement or ' +
      'deprecation) switches earlier; a 429, 5xx, 401, 403 or network error never does.',
    parse: (text, { name }) => utcDate(name, text),
  }),
  storage: optional({
    name: 'EXPORT_STORAGE',
    defaultValue: 'AzureWebJobsStorage',
    description:
      'Connection string of the export storage account; falls back to AzureWebJobsStorage. For ' +
      'identity-based access set EXPORT_STORAGE__blobServiceUri instead.',
    parse: (text, context) => {
      // The identity-based endpoint wins; its own row reports a malformed one.
      if (context.isSet('blobServiceUri'))
        return ok({ kind: 'identity', blobServiceUri: context.value('blobServiceUri') ?? '' });
      const host = context.platform('AzureWebJobsStorage');
      const connectionString = text ?? host;
      if (connectionString === undefined) {
        return problem(
          `${context.name} is missing (and so is AzureWebJobsStorage): set ` +
            `EXPORT_STORAGE__blobServiceUri to the export account's blob endpoint (managed identity), ` +
            `or ${context.name} to a connection string (UseDevelopmentStorage=true for Azurite).`,
        );
      }
      const settingName = text !== undefined ? context.name : 'AzureWebJobsStorage';
      // NOTE: the value may hold an account key, so it never appears in the message.
      if (connectionString !== 'UseDevelopmentStorage=true' && !CONNECTION_STRING.test(connectionString))
        return problem(
          `${settingName} is not a storage connection string (expected UseDevelopmentStorage=true or ` +
            `one with AccountName=/BlobEndpoint=).`,
        );
      return ok({ kind: 'connectionString', connectionString, settingName });
    },
  }),
  blobServiceUri: optional({
    name: 'EXPORT_STORAGE__blobServiceUri',
    description: 'Blob endpoint of the export storage account, reached with the managed identity (no key).',
    parse: (text, { name }) =>
      text === undefined ? ok(undefined) : httpsUrl(name, text, 'e.g. https://contosoexports.blob.core.windows.net'),
  }),
  container: withDefault({
    name: 'EXPORT_CONTAINER',
    defaultValue: 'defender-incidents',
    description:
      'Container for the export blobs (incidents/... or tenants/<id>/incidents/...), and for the ' +
      'state unless EXPORT_STATE_CONTAINER names another.',
    parse: (text, { name }) =>
      CONTAINER.test(text)
        ? ok(text)
        : problem(
            `${name} '${text}' is not a valid container name: use 3-63 lowercase letters, digits and single dashes.`,
          ),
  }),
  stateContainer: optional({
    name: 'EXPORT_STATE_CONTAINER',
    defaultValue: 'the EXPORT_CONTAINER',
    description:
      'Container for the state (state/... or tenants/<id>/state/...), the backfill jobs and the ' +
      'tenant registry (config/tenants.json), which are rewritten; the exports stay in ' +
      'EXPORT_CONTAINER, which can then be immutable. Moving an existing deployment: ' +
      "'defender-export state move --to <container>', then set this.",
    parse: (text, context) => {
      if (text === undefined) return ok(context.value('container') ?? '');
      return CONTAINER.test(text)
        ? ok(text)
        : problem(
            `${context.name} '${text}' is not a valid container name: use 3-63 lowercase letters, ` +
              `digits and single dashes, or remove it to keep the state in EXPORT_CONTAINER.`,
          );
    },
  }),
  schedule: withDefault({
    name: 'EXPORT_SCHEDULE',
    defaultValue: '0 */5 * * * *',
    description: 'Six-field NCRONTAB schedule (UTC) of the timer, used as %EXPORT_SCHEDULE%.',
    parse: (text, { name }) => {
      try {
        parseNcrontab(text);
        return ok(text);
      } catch (error) {
        return problem(
          `${name} is not a valid NCRONTAB expression: ${error instanceof Error ? error.message : String(error)}.`,
        );
      }
    },
  }),
  exportQueue: withDefault({
    name: 'EXPORT_QUEUE',
    defaultValue: 'defender-export-runs',
    description:
      'With a tenant registry: the Storage queue in the host storage account ' +
      '(AzureWebJobsStorage) on which each timer run puts one message per enabled tenant, read ' +
      'by the exportTenant function (%EXPORT_QUEUE%); a message that fails maxDequeueCount times ' +
      "(host.json) moves to '<EXPORT_QUEUE>-poison'. Unused without a registry.",
    parse: (text, { name }) =>
      QUEUE.test(text)
        ? ok(text)
        : problem(
            `${name} '${text}' is not a valid queue name: use 3-56 lowercase letters, digits and ` +
              `single dashes (the poison queue adds '-poison').`,
          ),
  }),
  initialLookbackHours: withDefault({
    name: 'INITIAL_LOOKBACK_HOURS',
    defaultValue: '48',
    description: 'Window of the very first run, in hours (as in the Hello World scripts).',
    parse: (text, { name }) =>
      numberIn(name, text, {
        min: 0.01,
        max: 180 * 24,
        what: 'a number of hours above 0, at most 4320 (the API keeps 180 days)',
      }),
  }),
  exportFormat: withDefault({
    name: 'EXPORT_FORMAT',
    defaultValue: 'json',
    description: 'json: each blob is one JSON array; ndjson: one incident per line (.ndjson).',
    parse: (text, { name }) => oneOf(name, text, ['json', 'ndjson']),
  }),
  exportCompression: withDefault({
    name: 'EXPORT_COMPRESSION',
    defaultValue: 'none',
    description:
      'none, or gzip: blobs are gzip-compressed, named .json.gz/.ndjson.gz and served as ' +
      'application/gzip without a Content-Encoding, so portal and Storage Explorer downloads are ' +
      'the same valid .gz file.',
    parse: (text, { name }) => oneOf(name, text, ['none', 'gzip']),
  }),
  exportIndexTags: withDefault({
    name: 'EXPORT_INDEX_TAGS',
    defaultValue: 'false',
    description:
      'true: also set blob index tags (kind, source, windowfrom, windowto) for filtering in ' +
      'Storage Explorer; needs a role with blobs/tags/write (e.g. Storage Blob Data Owner), ' +
      'which Storage Blob Data Contributor lacks.',
    parse: flag(['false', 'true']),
  }),
  exportMaxBlobBytes: withDefault({
    name: 'EXPORT_MAX_BLOB_MB',
    defaultValue: '100',
    description:
      "A run's output is split into parts (…-part0002.json, …) past this many MB; each part is " +
      "committed with the run's progress.",
    parse: (text, { name }) =>
      mapParsed(numberIn(name, text, { min: 1, max: 4000, what: 'a size in MB from 1 to 4000' }), (mb) =>
        Math.round(mb * 1024 * 1024),
      ),
  }),
  runBudgetMs: optional({
    name: 'RUN_BUDGET_SECONDS',
    defaultValue: "derived from host.json's functionTimeout",
    description:
      'Time a run may spend before it stops cleanly (committing what it has) so the next run ' +
      'continues; defaults to functionTimeout minus a 10% margin (at least 60 s).',
    parse: (text, { name }) =>
      text === undefined
        ? ok(undefined)
        : mapParsed(
            numberIn(name, text, { min: 1, max: 7 * 86_400, what: 'a number of seconds above 0' }),
            (seconds) => seconds * 1000,
          ),
  }),
  apiCallsPerMinute: withDefault({
    name: 'API_CALLS_PER_MINUTE',
    defaultValue: '50',
    description:
      'Pacing of the incidents list call, for whichever INCIDENTS_API is active (the documented ' +
      'Defender limit is 50 per minute; Graph documents none for this call).',
    parse: (text, { name }) =>
      mapParsed(numberIn(name, text, { min: 1, max: 100_000, what: 'a whole number of calls above 0' }), Math.floor),
  }),
  apiCallsPerHour: withDefault({
    name: 'API_CALLS_PER_HOUR',
    defaultValue: '1500',
    description:
      'Pacing of the incidents list call, for whichever INCIDENTS_API is active (the documented ' +
      'Defender limit is 1,500 per hour).',
    parse: (text, { name }) =>
      mapParsed(numberIn(name, text, { min: 1, max: 6_000_000, what: 'a whole number of calls above 0' }), Math.floor),
  }),
  overlapMinutes: withDefault({
    name: 'OVERLAP_MINUTES',
    defaultValue: '15',
    description:
      'Each run re-reads this many minutes below the watermark to catch updates that became ' +
      'visible late; versions already exported are dropped.',
    parse: (text, { name }) =>
      numberIn(name, text, { min: 0, max: 24 * 60, what: 'a number of minutes from 0 to 1440' }),
  }),
  statusMaxAgeMinutes: withDefault({
    name: 'STATUS_MAX_AGE_MINUTES',
    defaultValue: '60',
    description:
      '`defender-export status` reports unhealthy (exit code 3) when no run succeeded within ' +
      "this many minutes (a health probe's threshold; keep it above the schedule's interval).",
    parse: (text, { name }) => {
      const minutes = Number(text);
      return text !== '' && Number.isFinite(minutes) && minutes > 0
        ? ok(minutes)
        : problem(
            `${name} '${text}' is not a positive number of minutes: set it to e.g. 60 (above the ` +
              `schedule's interval), or remove it for the default.`,
          );
    },
  }),
};

function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(SETTING_TABLE, key);
}

/** Every key of the table, in its order. */
export const SETTING_KEYS: readonly SettingKey[] = Object.freeze(Object.keys(SETTING_TABLE).filter(isSettingKey));

/** Every setting of the contract, as documented (README, sample settings, infra). */
export const SETTINGS: readonly SettingSpec[] = Object.freeze(SETTING_KEYS.map((key) => SETTING_TABLE[key]));
