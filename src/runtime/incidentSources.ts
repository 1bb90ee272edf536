import type { Agent } from 'https';
import { ClientSecretCredential } from '@azure/identity';
import { TokenProvider } from '../auth/tokenProvider';
import type { Clock } from '../common/clock';
import { registerSensitiveWhileAlive, type Logger } from '../common/logger';
import type { Config } from '../config/loadConfig';
import { SETTING_TABLE } from '../config/settings';
import type { SourceRequest } from '../export/exportDependencies';
import { ApiClient } from '../sources/apiClient';
import { DefenderSource } from '../sources/defenderSource';
import { GraphSource, type GraphApiBehaviour } from '../sources/graphSource';
import {
  checkGraphAccess,
  graphNotPermittedError,
  isGraphPermissionDenied,
  type GraphCheck,
  type GraphIdentity,
} from '../sources/graphAccess';
import { newSourceStats, type IncidentSource, type SourceStats } from '../sources/incident';
import type { RequestPacer } from '../sources/pacer';

/** The date after which Microsoft announced the Defender XDR APIs stop working (MC1220762). */
export const DEFENDER_API_END = '2027-02-01';

/** Whose incidents a source reads, with which app registration, from which API. */
export interface SourceProfile {
  readonly tenantId: string;
  readonly clientId: string;
  readonly incidentsApi: 'auto' | 'defender' | 'graph';
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
 * Builds the run's incidents source for `request.api` with its own token for the API's scope in the configured
 * cloud. With INCIDENTS_API=defender, past DEFENDER_RETIREMENT_WARNING_DATE, the first run of the process warns.
 * A Graph refusal for lack of permission becomes one line naming the permission and the consent link.
 */
export function createIncidentSource(
  config: Config,
  profile: SourceProfile,
  shared: SourceSharing,
  request: SourceRequest,
  providers: TokenProviders = (_secret, _scope, create) => create(),
): IncidentSource {
  const { api, logger } = request;
  if (api === 'defender' && profile.incidentsApi === 'defender') warnIfDefenderRetiring(config, shared, logger);
  const stats = request.stats ?? newSourceStats();
  const { client, baseUrl, tokens } = apiClientFor(config, profile, shared, request, stats, providers);
  if (api === 'defender') return new DefenderSource(client, baseUrl, stats);
  const graph = new GraphSource({
    client,
    apiUrl: baseUrl,
    stats,
    logger,
    expandAlerts: config.graphExpandAlerts,
    behaviour: shared.graphBehaviour,
  });
  // A token cached across runs (registered tenants) predates a grant: after a refusal the next run gets a new one.
  return explainGraphRefusals(graph, { ...profile, authorityHost: config.authorityHost }, () => tokens.invalidate());
}

/**
 * Can this app read Graph incidents? A token for the Graph scope and one `$top=1` call (one paced request,
 * a few attempts at most), within a minute.
 */
export function checkGraphReadiness(
  config: Config,
  profile: SourceProfile,
  shared: SourceSharing,
  request: Omit<SourceRequest, 'api' | 'deadlineMs' | 'stats'>,
  providers: TokenProviders = (_secret, _scope, create) => create(),
): Promise<GraphCheck> {
  const deadlineMs = shared.clock.now().getTime() + 60_000;
  const graphRequest: SourceRequest = { ...request, api: 'graph', deadlineMs };
  const { client } = apiClientFor(config, profile, shared, graphRequest, newSourceStats(), providers, 2);
  return checkGraphAccess(client, config.graphApiUrl);
}

/**
 * Past DEFENDER_RETIREMENT_WARNING_DATE, with INCIDENTS_API=auto, while Graph is not ready: one warning per
 * process (the exporter will switch by itself, but Graph would refuse it). Quiet once Graph is ready.
 */
export function warnIfGraphNotReady(
  config: Config,
  shared: SourceSharing,
  logger: Logger,
  readiness: { readonly ready: boolean; readonly code?: string } | undefined,
): void {
  if (readiness?.ready !== false) return;
  if (shared.retirementWarned || shared.clock.now().getTime() < config.defenderRetirementWarningFromMs) return;
  shared.retirementWarned = true;
  logger.warn(
    `The Defender XDR incidents API ends ` +
      `${new Date(config.defenderApiEndMs).toISOString().slice(0, 10)} (MC1220762) and this ` +
      `exporter then moves to Microsoft Graph, but Graph is not ready (` +
      `${readiness.code ?? 'unknown'}): grant SecurityIncident.Read.All (application) with admin ` +
      `consent; 'defender-export status' shows it`,
    { setting: SETTING_TABLE.incidentsApi.name, graphError: readiness.code },
  );
}

function apiClientFor(
  config: Config,
  profile: SourceProfile,
  shared: SourceSharing,
  request: SourceRequest,
  stats: SourceStats,
  providers: TokenProviders,
  maxAttempts?: number,
): { readonly client: ApiClient; readonly baseUrl: string; readonly tokens: TokenProvider } {
  const graph = request.api === 'graph';
  const { clientSecret } = request;
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
    logger: request.logger,
    stats,
    deadlineMs: request.deadlineMs,
    retryBaseDelayMs: shared.retryBaseDelayMs,
    requestTimeoutMs: shared.requestTimeoutMs,
    pacer: shared.pacer,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  return { client, baseUrl, tokens };
}

/** The Graph source, its 403 (permission missing) turned into one line naming the permission and the consent link. */
function explainGraphRefusals(source: IncidentSource, who: GraphIdentity, onRefused: () => void): IncidentSource {
  return {
    name: source.name,
    stats: source.stats,
    pull: (window, options) => ({
      async *[Symbol.asyncIterator]() {
        try {
          yield* source.pull(window, options);
        } catch (error) {
          if (!isGraphPermissionDenied(error)) throw error;
          onRefused();
          throw graphNotPermittedError(error, who);
        }
      },
    }),
  };
}

function warnIfDefenderRetiring(config: Config, shared: SourceSharing, logger: Logger): void {
  if (shared.retirementWarned || shared.clock.now().getTime() < config.defenderRetirementWarningFromMs) return;
  shared.retirementWarned = true;
  // Short on purpose: the whole story (permission, zero-gap switch) is in the README, "Switching to Microsoft Graph".
  logger.warn(
    `The Defender XDR incidents API stops working after ${DEFENDER_API_END} (MC1220762): set ` +
      `INCIDENTS_API=graph (README: Switching to Microsoft Graph)`,
    { setting: SETTING_TABLE.incidentsApi.name },
  );
}
