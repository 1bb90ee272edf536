import type { Environment } from '../config/loadConfig';
import { SimulatedTenant } from './simulator';

/** The simulated tenant plus the settings that point the exporter at it. */
export interface EmbeddedTenant {
  readonly tenant: SimulatedTenant;
  readonly settings: Environment;
}

/** The app's settings that point at a simulated tenant: tenant, app, vault, both APIs, authority. */
export function tenantSettings(tenant: SimulatedTenant): Environment {
  return {
    DEFENDER_TENANT_ID: tenant.tenantId,
    DEFENDER_CLIENT_ID: tenant.exporterApp.clientId,
    KEY_VAULT_URI: tenant.vaultUrl,
    DEFENDER_API_URL: tenant.defenderUrl,
    GRAPH_API_URL: tenant.graphUrl,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
  };
}

/**
 * Starts the simulated tenant with realistic incidents and returns the settings a newcomer would
 * otherwise fill in: tenant, app, vault (read by a separate identity, as a managed identity would) and API.
 */
export async function startEmbeddedTenant(options: { seedIncidents: number }): Promise<EmbeddedTenant> {
  const tenant = await SimulatedTenant.start({ seedIncidents: options.seedIncidents, seedSpreadHours: 72 });
  return {
    tenant,
    settings: {
      ...tenantSettings(tenant),
      // The identity that reads the vault, as the managed identity would in Azure.
      AZURE_TENANT_ID: tenant.tenantId,
      AZURE_CLIENT_ID: tenant.vaultReader.clientId,
      AZURE_CLIENT_SECRET: tenant.vaultReader.clientSecret,
    },
  };
}

/**
 * What `npm start` says when Azurite's folder kept a watermark from an earlier start: the simulated tenant is
 * new at each start, so only its incidents updated after that watermark are exported. Undefined on a first start.
 */
export function keptDataNote(keptWatermark: string | undefined): string | undefined {
  if (keptWatermark === undefined) return undefined;
  return `.azurite/ keeps the exports and the watermark ${keptWatermark} of an earlier start, but the simulated tenant is new: only its incidents updated after that are exported. To start over, stop and delete .azurite/ (rm -rf .azurite).`;
}
