import type { Agent } from 'https';
import { ClientSecretCredential } from '@azure/identity';
import { TokenProvider } from '../auth/tokenProvider';
import type { Clock } from '../common/clock';
import { registerSensitiveWhileAlive, type Logger } from '../common/logger';
import type { Config } from '../config/loadConfig';
import { ApiClient } from '../sources/apiClient';
import { DefenderSource } from '../sources/defenderSource';
import { GraphSource, type GraphApiBehaviour } from '../sources/graphSource';
import { newSourceStats, type IncidentSource } from '../sources/incident';
import type { RequestPacer } from '../sources/pacer';

/** The date after which Microsoft announced the Defender XDR APIs stop working (MC1220762). */
export const DEFENDER_API_END = '2027-02-01';

/** Whose incidents a source reads, with which app registration, from which API. */
export interface SourceProfile {
  readonly tenantId: string;
  readonly clientId: string;
  readonly incidentsApi: 'defender' | 'graph';
}

/**
 * Gives the token provider of a run: `create` builds a new one (the default: one per run); a registered
 * tenant's exporter hands back the provider of its earlier runs while the secret and scope are the same,
 * so a cached token is reused across runs on an instance.
 */
export type TokenProviders = (clientSecret: string, scope: string, create: () => TokenProvider) => TokenProvider;

/** What the sources of every run of one exporter (the single tenant, or one registered tenant) share. */
export interface SourceSharing {
  readonly agent: Agent;
  readonly clock: Clock;
  /** The active API's quota, spent by every run of this exporter (never by another tenant's). */
  readonly pacer: RequestPacer;
  /** What this exporter learned about Graph (e.g. that it refuses $orderby). */
  readonly graphBehaviour: GraphApiBehaviour;
  /** The retirement warning was logged by this process: it is logged once per process (instance), not every run. */
  retirementWarned: boolean;
  readonly tlsOptions: { ca: string } | undefined;
  readonly disableInstanceDiscovery: boolean;
  readonly retryBaseDelayMs?: number;
  readonly requestTimeoutMs?: number;
}

/**
 * Builds the run's incidents source (INCIDENTS_API) with its own token for the API's scope in the
 * configured cloud. While the Defender source is in use past DEFENDER_RETIREMENT_WARNING_DATE, every
 * run warns in its log, naming the setting that switches.
 */
export function createIncidentSource(
  config: Config,
  profile: SourceProfile,
  shared: SourceSharing,
  clientSecret: string,
  deadlineMs: number,
  logger: Logger,
  providers: TokenProviders = (_secret, _scope, create) => create(),
): IncidentSource {
  const graph = profile.incidentsApi === 'graph';
  if (!graph) warnIfDefenderRetiring(config, shared, logger);
  const stats = newSourceStats();
  const scope = graph ? config.graphScope : config.defenderScope;
  const baseUrl = graph ? config.graphApiUrl : config.apiUrl;
  const tokens = providers(clientSecret, scope, () => {
    // Entra's v2 endpoint of the tenant: {authority}/{tenantId}/oauth2/v2.0/token, with the tenant's app.
    const provider = new TokenProvider(
      () =>
        new ClientSecretCredential(profile.tenantId, profile.clientId, clientSecret, {
          authorityHost: config.authorityHost,
          disableInstanceDiscovery: shared.disableInstanceDiscovery,
          ...(shared.tlsOptions ? { tlsOptions: shared.tlsOptions } : {}),
        }),
      scope,
      `app ${profile.clientId} in tenant ${profile.tenantId}`,
      () => shared.clock.now().getTime(),
    );
    // The secret lives in the credential the provider builds: redacted at least as long as the provider.
    registerSensitiveWhileAlive(clientSecret, provider);
    return provider;
  });
  const client = new ApiClient({
    apiName: graph ? 'Microsoft Graph' : 'Defender API',
    baseUrl,
    tokens,
    agent: shared.agent,
    clock: shared.clock,
    logger,
    stats,
    deadlineMs,
    retryBaseDelayMs: shared.retryBaseDelayMs,
    requestTimeoutMs: shared.requestTimeoutMs,
    pacer: shared.pacer,
  });
  if (!graph) return new DefenderSource(client, baseUrl, stats);
  return new GraphSource({
    client,
    apiUrl: baseUrl,
    stats,
    logger,
    expandAlerts: config.graphExpandAlerts,
    behaviour: shared.graphBehaviour,
  });
}

function warnIfDefenderRetiring(config: Config, shared: SourceSharing, logger: Logger): void {
  if (shared.retirementWarned || shared.clock.now().getTime() < config.defenderRetirementWarningFromMs) return;
  shared.retirementWarned = true;
  // Short on purpose: the whole story (permission, zero-gap switch) is in the README, "Switching to Microsoft Graph".
  logger.warn(
    `The Defender XDR incidents API stops working after ${DEFENDER_API_END} (MC1220762): set INCIDENTS_API=graph (README: Switching to Microsoft Graph)`,
    { setting: 'INCIDENTS_API' },
  );
}
