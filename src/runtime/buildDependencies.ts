import { Agent } from 'https';
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { readClientSecret } from '../auth/readClientSecret';
import { isMicrosoftAuthority, isMicrosoftVault } from '../auth/microsoftHosts';
import { systemClock, type Clock } from '../common/clock';
import { NoTenantError } from '../common/errors';
import type { Config, StorageConfig } from '../config/loadConfig';
import { SINGLE_TENANT_LAYOUT, type BlobLayout } from '../export/blobLayout';
import type { ExportDependencies } from '../export/runExport';
import { SlidingWindowPacer, type RateLimit } from '../sources/pacer';
import {
  checkGraphReadiness,
  createIncidentSource,
  warnIfGraphNotReady,
  type SourceProfile,
  type SourceSharing,
  type TokenProviders,
} from './incidentSources';
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
 * What every exporter of one process shares, whichever tenant it exports: the settings, the identity that
 * reads Key Vault and storage, the vault and storage clients. Nothing here holds a run's or a tenant's data.
 */
export interface RuntimePlatform {
  readonly config: Config;
  readonly options: BuildOptions;
  readonly clock: Clock;
  readonly exportContainer: ContainerClient;
  readonly stateContainer: ContainerClient;
  /** Reads a secret of KEY_VAULT_URI (a fresh read each call: callers cache per tick). */
  readSecret(secretName: string, abortSignal?: AbortSignal): Promise<string>;
  /** Makes sure both containers exist (once per process while it succeeds). */
  ensureContainers(): Promise<void>;
  /** Log lines said once per process, whichever tenant's run says them first (the Defender API's retirement). */
  readonly notices: { retirementWarned: boolean };
}

/** Builds the process-wide clients from the Config, once per entry point. */
export function buildPlatform(config: Config, options: BuildOptions = {}): RuntimePlatform {
  const clock = options.clock ?? systemClock;
  const tlsOptions = tlsOptionsOf(options);
  const azureCredential =
    options.azureCredential ?? defaultAzureCredential(config, !isMicrosoftAuthority(config.authorityHost), tlsOptions);
  const secretClient = new SecretClient(config.keyVaultUri, azureCredential, {
    disableChallengeResourceVerification: !isMicrosoftVault(config.keyVaultUri),
    ...(tlsOptions ? { tlsOptions } : {}),
  });
  const service =
    config.storage.kind === 'identity'
      ? new BlobServiceClient(config.storage.blobServiceUri, azureCredential)
      : BlobServiceClient.fromConnectionString(config.storage.connectionString);
  const exportContainer = service.getContainerClient(config.container);
  const stateContainer =
    config.stateContainer === config.container ? exportContainer : service.getContainerClient(config.stateContainer);
  let containersReady: Promise<void> | undefined;
  return {
    config,
    options,
    clock,
    exportContainer,
    stateContainer,
    notices: { retirementWarned: false },
    readSecret: (secretName, abortSignal) =>
      readClientSecret(secretClient, config.keyVaultUri, secretName, abortSignal),
    ensureContainers: () => {
      containersReady ??= ensureContainers([exportContainer, stateContainer]).catch((error: unknown) => {
        containersReady = undefined;
        throw error;
      });
      return containersReady;
    },
  };
}

/** One exporter's identity and place: whose incidents, with which app, from which API, into which blob names. */
export interface ExporterProfile extends SourceProfile {
  readonly layout: BlobLayout;
}

/** The single-tenant exporter of DEFENDER_TENANT_ID (no registry): today's names. */
export function singleTenantProfile(config: Config, tenantId: string): ExporterProfile {
  return {
    tenantId,
    clientId: config.clientId,
    incidentsApi: config.incidentsApi,
    layout: SINGLE_TENANT_LAYOUT,
  };
}

/** A run's time budget: the build option (tests), else RUN_BUDGET_SECONDS, else host.json's functionTimeout less a margin. */
export function runBudgetOf({ options, config }: Pick<RuntimePlatform, 'options' | 'config'>): number {
  return options.runBudgetMs ?? config.runBudgetMs ?? runBudgetFromHostJson();
}

/**
 * What one exporter (the single tenant, or one registered tenant) keeps across its runs: its own quota
 * (pacer), connections and what it learned about Graph. Never shared between tenants, so a tenant never
 * waits on another's quota and concurrent runs of different tenants share nothing mutable.
 */
export function newSourceSharing(platform: RuntimePlatform): SourceSharing {
  const { config, options, clock } = platform;
  const tlsOptions = tlsOptionsOf(options);
  // Graph documents no limit for this call, so API_CALLS_PER_MINUTE/HOUR apply to whichever API is active.
  const pacer = new SlidingWindowPacer(
    options.rateLimits ?? [
      { windowMs: 60_000, maxCalls: config.apiCallsPerMinute },
      { windowMs: 3_600_000, maxCalls: config.apiCallsPerHour },
    ],
    clock,
  );
  const { notices } = platform;
  return {
    agent: new Agent({ keepAlive: true, maxSockets: 8, ...(tlsOptions ?? {}) }),
    clock,
    pacer,
    graphBehaviour: { orderByRefused: false },
    // Once per process, not once per tenant: a flag for one log line, no tenant's data.
    get retirementWarned() {
      return notices.retirementWarned;
    },
    set retirementWarned(warned: boolean) {
      notices.retirementWarned = warned;
    },
    tlsOptions,
    disableInstanceDiscovery: !isMicrosoftAuthority(config.authorityHost),
    retryBaseDelayMs: options.retryBaseDelayMs,
    requestTimeoutMs: options.requestTimeoutMs,
  };
}

/**
 * The dependencies of one exporter's runs on the shared platform. `readSecret` and `tokens` decide how the
 * secret is read (per run, or once per tick for registered tenants) and whether the token provider is reused.
 */
export function dependenciesFor(
  platform: RuntimePlatform,
  profile: ExporterProfile,
  sharing: SourceSharing,
  secrets: Pick<ExportDependencies, 'readSecret'> & {
    readonly tokens?: TokenProviders;
  },
): ExportDependencies {
  const { config } = platform;
  return {
    container: platform.exportContainer,
    stateContainer: platform.stateContainer,
    layout: profile.layout,
    clock: platform.clock,
    settings: Object.freeze({
      incidentsApi: profile.incidentsApi,
      defenderApiEndMs: config.defenderApiEndMs,
      initialLookbackHours: config.initialLookbackHours,
      overlapMinutes: config.overlapMinutes,
      runBudgetMs: runBudgetOf(platform),
      maxBlobBytes: config.exportMaxBlobBytes,
      encoding: Object.freeze({ format: config.exportFormat, compression: config.exportCompression }),
      indexTags: config.exportIndexTags,
    }),
    readSecret: secrets.readSecret,
    ensureContainer: () => platform.ensureContainers(),
    createSource: (request) => createIncidentSource(config, profile, sharing, request, secrets.tokens),
    checkGraph: (clientSecret, logger) =>
      checkGraphReadiness(config, profile, sharing, { clientSecret, logger }, secrets.tokens),
    warnIfGraphNotReady: (logger, readiness) => warnIfGraphNotReady(config, sharing, logger, readiness),
  };
}

/**
 * The composition root of the single-tenant exporter: turns a Config into the clients a run uses. Clients
 * are built here once and reused by every run of this process; the secret and the API token are fetched per run.
 * Needs DEFENDER_TENANT_ID (tests, the bench); the entry points go through the runtime.
 */
export function buildDependencies(config: Config, options: BuildOptions = {}): ExportDependencies {
  const deps = singleTenantDependencies(buildPlatform(config, options));
  if (deps === undefined) throw new NoTenantError();
  return deps;
}

/**
 * The single-tenant exporter's dependencies on an existing platform (the runtime builds the platform once);
 * undefined without DEFENDER_TENANT_ID (a deployment that exports only the tenants of its registry).
 */
export function singleTenantDependencies(platform: RuntimePlatform): ExportDependencies | undefined {
  const { config } = platform;
  const { tenantId } = config;
  if (tenantId === undefined) return undefined;
  // One pacer per process for the active API (INCIDENTS_API): the quota belongs to the app, whichever run spends it.
  return dependenciesFor(platform, singleTenantProfile(config, tenantId), newSourceSharing(platform), {
    readSecret: (abortSignal) => platform.readSecret(config.secretName, abortSignal),
  });
}

function tlsOptionsOf(options: BuildOptions): { ca: string } | undefined {
  return options.tlsCa === undefined ? undefined : { ca: options.tlsCa };
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

/** Only the container clients, for the read-only commands: no tenant, vault or API settings needed. */
export function buildContainerClient(
  config: StorageConfig,
  options: Pick<BuildOptions, 'azureCredential'> & { readonly which?: 'exports' | 'state' } = {},
): ContainerClient {
  const name = options.which === 'state' ? config.stateContainer : config.container;
  if (config.storage.kind === 'connectionString')
    return BlobServiceClient.fromConnectionString(config.storage.connectionString).getContainerClient(name);
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
  return new BlobServiceClient(config.storage.blobServiceUri, credential).getContainerClient(name);
}

async function ensureContainers(containers: readonly ContainerClient[]): Promise<void> {
  const distinct = containers.filter(
    (container, index) => containers.findIndex((other) => other.url === container.url) === index,
  );
  // NOTE: exists() first: with a container-scoped role, creating an existing container is denied (403) rather than 409.
  for (const container of distinct) if (!(await container.exists())) await container.createIfNotExists();
}
