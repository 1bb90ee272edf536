import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { createLogger, type Logger } from '../../src/common/logger';
import { loadConfig, type Config, type Environment } from '../../src/config/loadConfig';
import { runExport, type ExportDependencies, type RunSummary } from '../../src/export/runExport';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';
import { SimulatedTenant, type SimulatedTenantOptions } from '../../src/local/simulator';
import { buildDependencies, type BuildOptions } from '../../src/runtime/buildDependencies';

/** Everything an integration test runs against: Azurite, the simulated tenant, and the settings pointing at them. */
export interface World {
  readonly azurite: AzuriteBlob;
  readonly tenant: SimulatedTenant;
  readonly env: Environment;
  readonly config: Config;
  readonly deps: ExportDependencies;
  /** The explicit identity that reads the vault (plays the managed identity); never a credential chain. */
  readonly credential: TokenCredential;
  readonly container: ContainerClient;
  /** Every log line of every run, to scan for secrets. */
  readonly logLines: string[];
  readonly logger: Logger;
  run(): Promise<RunSummary>;
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly tenant?: SimulatedTenantOptions;
  readonly settings?: Environment;
  readonly build?: BuildOptions;
}

let containerCounter = 0;

/** Starts Azurite (in memory) and a simulated tenant, and builds the exporter's real dependencies against them with an explicit credential. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const azurite = await startAzurite();
  const tenant = await SimulatedTenant.start({ rateLimits: [], ...options.tenant });
  containerCounter += 1;
  const env: Environment = {
    DEFENDER_TENANT_ID: tenant.tenantId,
    DEFENDER_CLIENT_ID: tenant.exporterApp.clientId,
    KEY_VAULT_URI: tenant.vaultUrl,
    DEFENDER_API_URL: tenant.defenderUrl,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    EXPORT_STORAGE: azurite.connectionString,
    EXPORT_CONTAINER: `exports-${containerCounter}`,
    ...options.settings,
  };
  const config = loadConfig(env);
  const azureCredential = new ClientSecretCredential(tenant.tenantId, tenant.vaultReader.clientId, tenant.vaultReader.clientSecret, {
    authorityHost: tenant.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: tenant.caCertPem },
  });
  const deps = buildDependencies(config, { azureCredential, tlsCa: tenant.caCertPem, retryBaseDelayMs: 5, requestTimeoutMs: 5000, ...options.build });
  const logLines: string[] = [];
  const logger = createLogger({ info: (l) => logLines.push(l), warn: (l) => logLines.push(l), error: (l) => logLines.push(l) });
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(config.container);
  return {
    azurite,
    tenant,
    env,
    config,
    deps,
    credential: azureCredential,
    container,
    logLines,
    logger,
    run: () => runExport(deps, { trigger: 'test', logger }),
    close: async () => {
      await tenant.close();
      await azurite.close();
    },
  };
}
