import { Agent } from 'https';
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { readClientSecret } from '../auth/readClientSecret';
import { isMicrosoftAuthority, isMicrosoftVault } from '../auth/microsoftHosts';
import { systemClock, type Clock } from '../common/clock';
import type { Config, StorageConfig } from '../config/loadConfig';
import type { ExportDependencies } from '../export/runExport';
import { SlidingWindowPacer, type RateLimit } from '../sources/pacer';
import { createIncidentSource, type SourceSharing } from './incidentSources';
import { runBudgetFromHostJson } from './runBudget';

/** Seams for tests and the local host; production passes none of these. */
export interface BuildOptions {
  /** Identity that reads Key Vault and (identity-based) storage. Default: the service principal from AZURE_* settings, else DefaultAzureCredential. */
  readonly azureCredential?: TokenCredential;
  /** Extra CA (PEM) to trust for the vault, Entra and the API (the simulated tenant). Production uses NODE_EXTRA_CA_CERTS. */
  readonly tlsCa?: string;
  readonly clock?: Clock;
  readonly runBudgetMs?: number;
  readonly retryBaseDelayMs?: number;
  readonly requestTimeoutMs?: number;
  /** Pacing override (the bench's scaled-down limits); default from API_CALLS_PER_MINUTE/API_CALLS_PER_HOUR. */
  readonly rateLimits?: readonly RateLimit[];
}

/**
 * The composition root: turns a Config into the clients a run uses. Clients are built here once and
 * reused by every run of this process; the secret and the API token are fetched per run.
 */
export function buildDependencies(config: Config, options: BuildOptions = {}): ExportDependencies {
  const clock = options.clock ?? systemClock;
  const tlsOptions = options.tlsCa === undefined ? undefined : { ca: options.tlsCa };
  const disableInstanceDiscovery = !isMicrosoftAuthority(config.authorityHost);
  const azureCredential =
    options.azureCredential ?? defaultAzureCredential(config, disableInstanceDiscovery, tlsOptions);

  const secretClient = new SecretClient(config.keyVaultUri, azureCredential, {
    disableChallengeResourceVerification: !isMicrosoftVault(config.keyVaultUri),
    ...(tlsOptions ? { tlsOptions } : {}),
  });
  const container = containerClient(config, azureCredential);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 8,
    ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa }),
  });
  let containerReady: Promise<void> | undefined;
  // One pacer per process for the active API (INCIDENTS_API): the quota belongs to the app, whichever run spends it.
  // Graph documents no limit for this call, so API_CALLS_PER_MINUTE/HOUR apply to whichever API is active.
  const pacer = new SlidingWindowPacer(
    options.rateLimits ?? [
      { windowMs: 60_000, maxCalls: config.apiCallsPerMinute },
      { windowMs: 3_600_000, maxCalls: config.apiCallsPerHour },
    ],
    clock,
  );

  const sourceSharing: SourceSharing = {
    agent,
    clock,
    pacer,
    graphBehaviour: { orderByRefused: false },
    retirementWarned: false,
    tlsOptions,
    disableInstanceDiscovery,
    retryBaseDelayMs: options.retryBaseDelayMs,
    requestTimeoutMs: options.requestTimeoutMs,
  };

  return {
    container,
    clock,
    settings: Object.freeze({
      sourceName: config.incidentsApi,
      initialLookbackHours: config.initialLookbackHours,
      overlapMinutes: config.overlapMinutes,
      runBudgetMs: options.runBudgetMs ?? config.runBudgetMs ?? runBudgetFromHostJson(),
      maxBlobBytes: config.exportMaxBlobBytes,
      encoding: Object.freeze({ format: config.exportFormat, compression: config.exportCompression }),
      indexTags: config.exportIndexTags,
    }),
    readSecret: (abortSignal) => readClientSecret(secretClient, config.keyVaultUri, config.secretName, abortSignal),
    ensureContainer: () => {
      containerReady ??= ensureContainer(container).catch((error: unknown) => {
        containerReady = undefined;
        throw error;
      });
      return containerReady;
    },
    createSource: (clientSecret, deadlineMs, logger) =>
      createIncidentSource(config, sourceSharing, clientSecret, deadlineMs, logger),
  };
}

function defaultAzureCredential(
  config: Config,
  disableInstanceDiscovery: boolean,
  tlsOptions: { ca: string } | undefined,
): TokenCredential {
  const sp = config.vaultServicePrincipal;
  if (sp) {
    return new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret, {
      authorityHost: config.authorityHost,
      disableInstanceDiscovery,
      ...(tlsOptions ? { tlsOptions } : {}),
    });
  }
  // In Azure: the function's managed identity (AZURE_CLIENT_ID selects a user-assigned one); locally: az login and friends.
  return new DefaultAzureCredential({ authorityHost: config.authorityHost });
}

/** Only the container client, for the read-only commands: no tenant, vault or API settings needed. */
export function buildContainerClient(
  config: StorageConfig,
  options: Pick<BuildOptions, 'azureCredential'> = {},
): ContainerClient {
  if (config.storage.kind === 'connectionString')
    return BlobServiceClient.fromConnectionString(config.storage.connectionString).getContainerClient(config.container);
  const sp = config.vaultServicePrincipal;
  const authority =
    config.authorityHost === undefined
      ? {}
      : { authorityHost: config.authorityHost, disableInstanceDiscovery: !isMicrosoftAuthority(config.authorityHost) };
  const credential =
    options.azureCredential ??
    (sp
      ? new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret, authority)
      : new DefaultAzureCredential(config.authorityHost === undefined ? {} : { authorityHost: config.authorityHost }));
  return new BlobServiceClient(config.storage.blobServiceUri, credential).getContainerClient(config.container);
}

function containerClient(config: Config, credential: TokenCredential): ContainerClient {
  const service =
    config.storage.kind === 'identity'
      ? new BlobServiceClient(config.storage.blobServiceUri, credential)
      : BlobServiceClient.fromConnectionString(config.storage.connectionString);
  return service.getContainerClient(config.container);
}

async function ensureContainer(container: ContainerClient): Promise<void> {
  // NOTE: exists() first: with a container-scoped role, creating an existing container is denied (403) rather than 409.
  if (!(await container.exists())) await container.createIfNotExists();
}
