import type { ContainerClient } from '@azure/storage-blob';
import type { Environment } from '../config/loadConfig';
import { SETTING_TABLE } from '../config/settings';
import { ConfigError } from '../common/errors';
import { TenantRegistryStore } from '../tenants/registry';
import { SimulatedTenant, type DefenderRetirement } from './simulator';

/** App settings by name, every one of them set. */
type SettingValuesByName = Readonly<Record<string, string>>;

/** The simulated tenant plus the settings that point the exporter at it. */
export interface EmbeddedTenant {
  readonly tenant: SimulatedTenant;
  readonly settings: SettingValuesByName;
}

/** The app's settings that point at a simulated tenant: tenant, app, vault, both APIs, authority. */
export function tenantSettings(tenant: SimulatedTenant): SettingValuesByName {
  return {
    [SETTING_TABLE.tenantId.name]: tenant.tenantId,
    [SETTING_TABLE.clientId.name]: tenant.exporterApp.clientId,
    [SETTING_TABLE.keyVaultUri.name]: tenant.vaultUrl,
    [SETTING_TABLE.apiUrl.name]: tenant.defenderUrl,
    [SETTING_TABLE.graphApiUrl.name]: tenant.graphUrl,
    [SETTING_TABLE.authorityHost.name]: tenant.authorityHost,
  };
}

/**
 * Whether `npm start` runs the simulated tenant: no app is configured (neither DEFENDER_TENANT_ID nor
 * DEFENDER_CLIENT_ID). A configuration without DEFENDER_TENANT_ID but with an app (a deployment that exports the
 * tenants of its registry) runs against the real tenants.
 */
export function usesSimulatedTenant(env: Environment): boolean {
  return [SETTING_TABLE.tenantId, SETTING_TABLE.clientId].every(({ name }) => (env[name] ?? '').trim() === '');
}

/**
 * Starts the simulated tenant with realistic incidents and returns the settings a newcomer would
 * otherwise fill in: tenant, app, vault (read by a separate identity, as a managed identity would) and API.
 * `tenants` > 1 serves that many Entra tenants (the home tenant first), each with its own incidents and quota,
 * the exporter app consented in each.
 */
export async function startEmbeddedTenant(options: {
  seedIncidents: number;
  /** LOCAL_DEFENDER_END / LOCAL_DEFENDER_END_REPLY: retire the simulated Defender API at that time (see localRetirement). */
  env?: Environment;
  tenants?: number;
  /** Leave DEFENDER_TENANT_ID out of the settings: the exporter then exports only the tenants of its registry. */
  registryOnly?: boolean;
}): Promise<EmbeddedTenant> {
  const tenant = await SimulatedTenant.start({
    seedIncidents: options.seedIncidents,
    seedSpreadHours: 72,
    defenderRetirement: localRetirement(options.env ?? {}),
    tenants: options.tenants ?? 1,
  });
  const settings: Record<string, string> = {
    ...tenantSettings(tenant),
    // The identity that reads the vault, as the managed identity would in Azure.
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_CLIENT_ID: tenant.vaultReader.clientId,
    AZURE_CLIENT_SECRET: tenant.vaultReader.clientSecret,
  };
  if (options.registryOnly === true) delete settings[SETTING_TABLE.tenantId.name];
  return { tenant, settings };
}

/**
 * `npm start` with LOCAL_DEFENDER_END=<ISO time> (and LOCAL_DEFENDER_END_REPLY=410, the default, or 404): the
 * simulated Defender API answers as a retired API from then on, so the exporter's switch to Graph can be watched.
 */
export function localRetirement(env: Environment): DefenderRetirement | undefined {
  const end = env.LOCAL_DEFENDER_END?.trim();
  if (end === undefined || end === '') return undefined;
  const at = /(Z|[+-]\d{2}:\d{2})$/i.test(end) ? Date.parse(end) : Number.NaN;
  if (Number.isNaN(at))
    throw new ConfigError([
      `LOCAL_DEFENDER_END '${end}' is not a time with a time zone: write e.g. ` +
        `${new Date(Date.now() + 120_000).toISOString()} (two minutes from now, UTC).`,
    ]);
  const reply = (env.LOCAL_DEFENDER_END_REPLY?.trim() ?? '410') || '410';
  if (reply !== '410' && reply !== '404')
    throw new ConfigError([`LOCAL_DEFENDER_END_REPLY '${reply}' is not 410 or 404: set 410 (Gone) or 404 (NotFound).`]);
  return { at, reply };
}

/**
 * What `npm start` says when Azurite's folder kept a watermark from an earlier start: the simulated tenant is
 * new at each start, so only its incidents updated after that watermark are exported. Undefined on a first start.
 */
export function keptDataNote(keptWatermark: string | undefined): string | undefined {
  if (keptWatermark === undefined) return undefined;
  return (
    `.azurite/ keeps the exports and the watermark ${keptWatermark} of an earlier start, but ` +
    `the simulated tenant is new: only its incidents updated after that are exported. To start ` +
    `over, stop and delete .azurite/ (rm -rf .azurite).`
  );
}

/** The most tenants `LOCAL_TENANTS` asks the simulated tenant to serve. */
export const MAX_LOCAL_TENANTS = 500;

/** `LOCAL_TENANTS` of `npm start`: undefined when unset; a whole number of tenants, or an error naming the fix. */
export function parseLocalTenants(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const count = Number(text.trim());
  if (!Number.isInteger(count) || count < 1 || count > MAX_LOCAL_TENANTS)
    throw new Error(
      `LOCAL_TENANTS '${text}' is not a number of tenants: use a whole number from 1 to ` +
        `${MAX_LOCAL_TENANTS}, e.g. LOCAL_TENANTS=3 npm start.`,
    );
  return count;
}

/**
 * Writes the tenant registry of `npm start` with LOCAL_TENANTS: exactly the simulated tenants, enabled. The
 * simulator's tenant ids are the same at every start, so a kept registry (.azurite/) is rewritten to the same tenants.
 */
export async function registerLocalTenants(
  stateContainer: ContainerClient,
  tenantIds: readonly string[],
): Promise<void> {
  await new TenantRegistryStore(stateContainer).update(() => ({
    schemaVersion: 1,
    tenants: tenantIds.map((tenantId, index) => ({
      tenantId: tenantId.toLowerCase(),
      name: index === 0 ? 'Simulated home tenant' : `Simulated customer ${index}`,
      enabled: true,
    })),
  }));
}
