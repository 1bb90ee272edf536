import { ConfigError } from '../common/errors';
import type { CloudName } from './clouds';
import type { Parsed } from './settingParsers';
import {
  SETTING_KEYS,
  SETTING_TABLE,
  type Environment,
  type PlatformSettingName,
  type SettingContext,
  type SettingKey,
  type SettingValues,
  type StorageTarget,
} from './settings';

export type { Environment, StorageTarget } from './settings';

/** The identity that reads Key Vault when it is a service principal from the environment (local runs, tests). */
export interface VaultServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * Typed, validated, frozen settings. Built once per entry point by `loadConfig`: the table's values
 * (SettingValues, under the same names) with the cloud resolved to its name and token scopes.
 */
export interface Config extends Omit<SettingValues, 'cloud' | 'blobServiceUri' | 'statusMaxAgeMinutes'> {
  /** DEFENDER_CLOUD: the source of the host defaults and of the token scopes. */
  readonly cloud: CloudName;
  /** Token scope of the Defender API in this cloud. */
  readonly defenderScope: string;
  /** Token scope of Microsoft Graph in this cloud. */
  readonly graphScope: string;
  /** Set when AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET are all present; otherwise DefaultAzureCredential reads the vault. */
  readonly vaultServicePrincipal: VaultServicePrincipal | undefined;
}

/** The settings a run follows: all but the CLI's health threshold, which must not stop the function app. */
const RUN_SETTINGS = SETTING_KEYS.filter((key) => key !== 'statusMaxAgeMinutes');

/**
 * Reads the settings contract from `env` (process.env, or local.settings.json's Values), trims every value,
 * applies defaults, and reports every problem at once, each naming the setting and the fix.
 */
export function loadConfig(env: Environment): Config {
  const settings = readSettings(env, RUN_SETTINGS);
  const cloud = settings.value('cloud');
  return Object.freeze({
    tenantId: settings.value('tenantId'),
    clientId: settings.value('clientId'),
    keyVaultUri: settings.value('keyVaultUri'),
    secretName: settings.value('secretName'),
    incidentsApi: settings.value('incidentsApi'),
    cloud: cloud.name,
    apiUrl: settings.value('apiUrl'),
    defenderScope: cloud.defenderScope,
    graphApiUrl: settings.value('graphApiUrl'),
    graphScope: cloud.graphScope,
    authorityHost: settings.value('authorityHost'),
    graphExpandAlerts: settings.value('graphExpandAlerts'),
    defenderRetirementWarningFromMs: settings.value('defenderRetirementWarningFromMs'),
    defenderApiEndMs: settings.value('defenderApiEndMs'),
    storage: Object.freeze(settings.value('storage')),
    container: settings.value('container'),
    stateContainer: settings.value('stateContainer'),
    schedule: settings.value('schedule'),
    exportQueue: settings.value('exportQueue'),
    initialLookbackHours: settings.value('initialLookbackHours'),
    overlapMinutes: settings.value('overlapMinutes'),
    exportFormat: settings.value('exportFormat'),
    exportCompression: settings.value('exportCompression'),
    exportIndexTags: settings.value('exportIndexTags'),
    exportMaxBlobBytes: settings.value('exportMaxBlobBytes'),
    runBudgetMs: settings.value('runBudgetMs'),
    apiCallsPerMinute: settings.value('apiCallsPerMinute'),
    apiCallsPerHour: settings.value('apiCallsPerHour'),
    vaultServicePrincipal: vaultServicePrincipal(env),
  });
}

/** Where exports live: all that the read-only commands (list, show, status, state) need. */
export interface StorageConfig {
  readonly storage: StorageTarget;
  readonly container: string;
  /** EXPORT_STATE_CONTAINER (default: the export container). */
  readonly stateContainer: string;
  readonly vaultServicePrincipal: VaultServicePrincipal | undefined;
  /** Only when set explicitly; otherwise the credential's own default. */
  readonly authorityHost: string | undefined;
}

/** Reads only the storage settings (EXPORT_STORAGE / EXPORT_STORAGE__blobServiceUri / AzureWebJobsStorage, EXPORT_CONTAINER, EXPORT_STATE_CONTAINER). */
export function loadStorageConfig(env: Environment): StorageConfig {
  const settings = readSettings(env, ['container', 'stateContainer', 'blobServiceUri', 'storage', 'authorityHost']);
  return Object.freeze({
    storage: Object.freeze(settings.value('storage')),
    container: settings.value('container'),
    stateContainer: settings.value('stateContainer'),
    vaultServicePrincipal: vaultServicePrincipal(env),
    authorityHost: settings.isSet('authorityHost') ? settings.value('authorityHost') : undefined,
  });
}

/** What `defender-export status` follows besides its options. */
export interface StatusConfig {
  /** Unhealthy when no run succeeded within this many minutes (STATUS_MAX_AGE_MINUTES). */
  readonly statusMaxAgeMinutes: number;
}

/** Reads only STATUS_MAX_AGE_MINUTES, so `status` works wherever the container is reachable. */
export function loadStatusConfig(env: Environment): StatusConfig {
  return Object.freeze({
    statusMaxAgeMinutes: readSettings(env, ['statusMaxAgeMinutes']).value('statusMaxAgeMinutes'),
  });
}

/** Settings read and checked: every value is valid. */
interface CheckedSettings<K extends SettingKey> {
  value<P extends K>(key: P): SettingValues[P];
  isSet(key: K): boolean;
}

/** Trimmed text of a setting; blank counts as absent. */
function textOf(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Parses the settings `keys` through their rows of the table (a row may ask for another's value; rows are pure
 * and cheap, so each ask parses again) and throws one ConfigError that lists every problem, in `keys` order.
 */
export function readSettings<K extends SettingKey>(env: Environment, keys: readonly K[]): CheckedSettings<K> {
  const context = (name: string): SettingContext => ({
    name,
    value: (key) => {
      const result = parse(key);
      return result.ok ? result.value : undefined;
    },
    isSet: (key) => textOf(env, SETTING_TABLE[key].name) !== undefined,
    platform: (platformName: PlatformSettingName) => textOf(env, platformName),
  });
  function parse<P extends SettingKey>(key: P): Parsed<SettingValues[P]> {
    const row = SETTING_TABLE[key];
    return row.parse(textOf(env, row.name), context(row.name));
  }

  const problems = keys.flatMap((key) => {
    const result = parse(key);
    return result.ok ? [] : [result.problem];
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    value: (key) => {
      const result = parse(key);
      if (!result.ok) throw new ConfigError([result.problem]);
      return result.value;
    },
    isSet: (key) => textOf(env, SETTING_TABLE[key].name) !== undefined,
  };
}

/** The vault's service principal from the platform's AZURE_* settings, when all three are present. */
function vaultServicePrincipal(env: Environment): VaultServicePrincipal | undefined {
  const read = (name: PlatformSettingName): string | undefined => textOf(env, name);
  const tenantId = read('AZURE_TENANT_ID');
  const clientId = read('AZURE_CLIENT_ID');
  const clientSecret = read('AZURE_CLIENT_SECRET');
  return tenantId !== undefined && clientId !== undefined && clientSecret !== undefined
    ? Object.freeze({ tenantId, clientId, clientSecret })
    : undefined;
}
