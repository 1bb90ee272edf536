import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { createLogger, type Logger } from '../../src/common/logger';
import { loadConfig, type Config, type Environment } from '../../src/config/loadConfig';
import { runExport, type ExportDependencies, type RunSummary } from '../../src/export/runExport';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';
import { tenantSettings } from '../../src/local/embeddedTenant';
import { SimulatedTenant, type SimulatedTenantOptions } from '../../src/local/simulator';
import type { BuildOptions } from '../../src/runtime/buildDependencies';
import { createRuntime, type ExporterRuntime } from '../../src/runtime/exporterRuntime';
import { singleTenantExporter } from '../../src/tenants/singleTenant';

/** The incidents APIs a world can export from (INCIDENTS_API). */
export type SourceName = 'defender' | 'graph';

/** What differs between the two sources in the tests' eyes. */
export interface SourceTraits {
  readonly name: SourceName;
  /** The simulated server that answers this source (for faults and request counts). */
  readonly server: SourceName;
  /** `$top` the source asks for: 100 (Defender) or 50 (Graph). */
  readonly pageSize: number;
  /** Display name in error messages. */
  readonly apiName: string;
  /** Path of the list call. */
  readonly listPath: string;
  /** Name of the update-time field in `$filter`. */
  readonly updateField: string;
}

/** Per source: server, page size and names, so one scenario can be written once for both. */
export const SOURCES: Readonly<Record<SourceName, SourceTraits>> = {
  defender: {
    name: 'defender',
    server: 'defender',
    pageSize: 100,
    apiName: 'Defender API',
    listPath: '/api/incidents',
    updateField: 'lastUpdateTime',
  },
  graph: {
    name: 'graph',
    server: 'graph',
    pageSize: 50,
    apiName: 'Microsoft Graph',
    listPath: '/v1.0/security/incidents',
    updateField: 'lastUpdateDateTime',
  },
};

/** Everything an integration test runs against: Azurite, the simulated tenant, and the settings pointing at them. */
export interface World {
  /** The source the exporter reads (INCIDENTS_API), and its traits. */
  readonly source: SourceTraits;
  readonly azurite: AzuriteBlob;
  readonly tenant: SimulatedTenant;
  readonly env: Environment;
  readonly config: Config;
  readonly deps: ExportDependencies;
  /** The runtime whose single-tenant exporter is `deps` (for handlers and the tenant runner). */
  readonly runtime: ExporterRuntime;
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
  /** INCIDENTS_API of the exporter; default 'defender'. */
  readonly source?: SourceName;
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
    ...tenantSettings(tenant),
    INCIDENTS_API: options.source ?? 'defender',
    EXPORT_STORAGE: azurite.connectionString,
    EXPORT_CONTAINER: `exports-${containerCounter}`,
    ...options.settings,
  };
  return buildWorld(azurite, tenant, env, options.build);
}

/**
 * The same Azurite, tenant and container (so the same state and exports) with other settings, e.g. INCIDENTS_API
 * switched: what a redeploy with a changed app setting does. Closing either world closes both servers.
 */
export function reconfigureWorld(world: World, settings: Environment, build?: BuildOptions): World {
  return buildWorld(world.azurite, world.tenant, { ...world.env, ...settings }, build);
}

/**
 * The same world (Azurite, tenant, containers, registry) with DEFENDER_TENANT_ID left out of its settings: a
 * deployment that exports only the tenants of its registry. Its `runtime`, `env` and `config` have no single
 * tenant (`run()` fails as the timer would); `deps` stays the original's, for its containers.
 */
export function withoutTenantId(world: World, build?: BuildOptions): World {
  const env = { ...world.env, DEFENDER_TENANT_ID: undefined };
  const config = loadConfig(env);
  const runtime = worldRuntime(world.tenant, config, world.credential, build);
  return {
    ...world,
    env,
    config,
    runtime,
    run: () => runExport(singleTenantExporter(runtime), { trigger: 'test', logger: world.logger }),
  };
}

/** The identity that reads the vault (plays the managed identity): explicit, never a credential chain. */
function vaultCredential(tenant: SimulatedTenant): TokenCredential {
  return new ClientSecretCredential(tenant.tenantId, tenant.vaultReader.clientId, tenant.vaultReader.clientSecret, {
    authorityHost: tenant.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: tenant.caCertPem },
  });
}

function worldRuntime(
  tenant: SimulatedTenant,
  config: Config,
  azureCredential: TokenCredential,
  build: BuildOptions | undefined,
): ExporterRuntime {
  return createRuntime(config, {
    azureCredential,
    tlsCa: tenant.caCertPem,
    retryBaseDelayMs: 5,
    requestTimeoutMs: 5000,
    ...build,
  });
}

function buildWorld(
  azurite: AzuriteBlob,
  tenant: SimulatedTenant,
  env: Environment,
  build: BuildOptions | undefined,
): World {
  const config = loadConfig(env);
  const credential = vaultCredential(tenant);
  const runtime = worldRuntime(tenant, config, credential, build);
  const { deps } = runtime;
  if (deps === undefined) throw new Error('A world exports one tenant: give it DEFENDER_TENANT_ID.');
  const logLines: string[] = [];
  const logger = createLogger({
    info: (l) => logLines.push(l),
    warn: (l) => logLines.push(l),
    error: (l) => logLines.push(l),
  });
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    config.container,
  );
  return {
    source: SOURCES[config.incidentsApi === 'graph' ? 'graph' : 'defender'],
    azurite,
    tenant,
    env,
    config,
    deps,
    runtime,
    credential,
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
