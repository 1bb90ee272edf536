import { randomBytes } from 'node:crypto';
import { defenderHandler, type DefenderRetirement } from './defenderServer';
import { Directory, VAULT_SECRETS_USER_ROLE } from './directory';
import { defenderError, graphErrorBuilder, loginErrorBuilder, vaultError } from './errorBodies';
import { FaultInjector } from './faultInjector';
import { graphHandler } from './graphServer';
import { startHttpsHost, type RunningHost } from './httpsHost';
import { IncidentStore } from './incidentStore';
import { loginHandler } from './loginServer';
import { Prng } from './prng';
import { DEFENDER_LIST_RATE_LIMITS, RateLimiter, type RateLimit } from './rateLimiter';
import { SecretVault } from './secretVault';
import { getTlsMaterial } from './tls';
import type { Clock, RecordedRequest } from './types';
import { vaultHandler } from './vaultServer';

export interface SimulatedTenantOptions {
  /** Default '11111111-2222-3333-4444-555555555555'. */
  tenantId?: string;
  /** Incidents created at start (default 0), lastUpdateTime spread over the last `seedSpreadHours` (default 72). */
  seedIncidents?: number;
  seedSpreadHours?: number;
  /** Generate realistic-size incidents (about 5-50 KB each) instead of small ones; default false. */
  realisticIncidents?: boolean;
  /** PRNG seed for reproducible data and client ids (default 1). */
  seed?: number;
  /** Default 3599. */
  tokenLifetimeSeconds?: number;
  /** Quotas on incidents list calls per client app, applied to each API separately; default 50/min and 1,500/h; [] disables. */
  rateLimits?: RateLimit[];
  /** Defender `@odata.nextLink`: false (default, as documented), true (same host), or a base URL (e.g. a foreign host). */
  defenderNextLink?: boolean | string;
  /** ms since the epoch; default Date.now. */
  clock?: Clock;
  /** The Defender API is retired from this time on (410 or 404 answers); default: never. */
  defenderRetirement?: DefenderRetirement;
  /** The exporter app lacks the Graph permission SecurityIncident.Read.All (Graph answers 403); default false. */
  withholdGraphPermission?: boolean;
}

/** The Graph application permission to read incidents. */
const GRAPH_READ_ROLE = 'SecurityIncident.Read.All';

/** The name under which the exporter app's client secret is stored in the vault. */
export const EXPORTER_SECRET_NAME = 'defender-client-secret';

function newClientSecret(): string {
  // Shaped like an Entra client secret value: 3 chars, '8Q~', 34 chars.
  return `${randomBytes(3).toString('base64url').slice(0, 3)}8Q~${randomBytes(26).toString('base64url').slice(0, 34)}`;
}

/**
 * A simulated Microsoft tenant on loopback HTTPS: Entra ID (login), Key Vault, the Defender XDR incidents API and
 * Microsoft Graph security incidents, each on its own port, behind a self-signed CA (`caCertPem`).
 */
export class SimulatedTenant {
  readonly tenantId: string;
  readonly incidents: IncidentStore;
  readonly faults = new FaultInjector();
  readonly requests: RecordedRequest[] = [];
  readonly vaultReader: { readonly clientId: string; readonly clientSecret: string };
  /** See `SimulatedTenantOptions.defenderNextLink`; may be changed while running. */
  defenderNextLink: boolean | string;
  /** See `SimulatedTenantOptions.defenderRetirement`; may be changed while running. */
  defenderRetirement: DefenderRetirement | undefined;

  private readonly directory: Directory;
  private readonly vault: SecretVault;
  private readonly exporterClientId: string;
  private hosts: RunningHost[] = [];
  private readonly endpoints = { caCertPem: '', authorityHost: '', vaultUrl: '', defenderUrl: '', graphUrl: '' };

  private constructor(private readonly options: SimulatedTenantOptions) {
    const clock = options.clock ?? Date.now;
    const ids = new Prng((options.seed ?? 1) ^ 0x5eed);
    this.tenantId = options.tenantId ?? '11111111-2222-3333-4444-555555555555';
    this.directory = new Directory(this.tenantId, clock, options.tokenLifetimeSeconds ?? 3599);
    this.vault = new SecretVault(clock);
    this.incidents = new IncidentStore({
      clock,
      seed: options.seed ?? 1,
      realistic: options.realisticIncidents ?? false,
    });
    this.defenderNextLink = options.defenderNextLink ?? false;
    this.defenderRetirement = options.defenderRetirement;
    this.exporterClientId = ids.guid();
    this.vaultReader = { clientId: ids.guid(), clientSecret: newClientSecret() };
    this.directory.registerApp({
      clientId: this.exporterClientId,
      clientSecret: newClientSecret(),
      roles: ['Incident.Read.All', ...(options.withholdGraphPermission === true ? [] : [GRAPH_READ_ROLE])],
    });
    this.directory.registerApp({ ...this.vaultReader, roles: [VAULT_SECRETS_USER_ROLE] });
    this.vault.set(EXPORTER_SECRET_NAME, this.exporterApp.clientSecret);
  }

  /** Starts the four servers on 127.0.0.1 (random ports) and seeds incidents. */
  static async start(options: SimulatedTenantOptions = {}): Promise<SimulatedTenant> {
    const tenant = new SimulatedTenant(options);
    try {
      await tenant.listen();
    } catch (error) {
      await tenant.close();
      throw error;
    }
    if (options.seedIncidents)
      tenant.incidents.seed(options.seedIncidents, { spreadHours: options.seedSpreadHours ?? 72 });
    return tenant;
  }

  /** The CA that signed the servers' certificate: trust it (`tlsOptions: { ca }`, `https.Agent({ ca })`). */
  get caCertPem(): string {
    return this.endpoints.caCertPem;
  }

  /** Login server, `https://127.0.0.1:<port>` (Entra ID authority host). */
  get authorityHost(): string {
    return this.endpoints.authorityHost;
  }

  /** Key Vault, `https://127.0.0.1:<port>/`. */
  get vaultUrl(): string {
    return this.endpoints.vaultUrl;
  }

  /** Defender XDR API, `https://127.0.0.1:<port>` (list incidents at `/api/incidents`). */
  get defenderUrl(): string {
    return this.endpoints.defenderUrl;
  }

  /** Microsoft Graph, `https://127.0.0.1:<port>` (incidents at `/v1.0/security/incidents`). */
  get graphUrl(): string {
    return this.endpoints.graphUrl;
  }

  /** The app registration the exporter uses (roles Incident.Read.All and SecurityIncident.Read.All); its secret is in the vault. */
  get exporterApp(): { clientId: string; clientSecret: string } {
    const app = this.directory.findApp(this.exporterClientId);
    if (!app) throw new Error('the exporter app registration is missing');
    return { clientId: app.clientId, clientSecret: app.clientSecret };
  }

  /** Creates or rotates a vault secret; with `rotateApp`, apps whose secret was the previous value now accept only the new one. */
  setSecret(name: string, value: string, options: { rotateApp?: boolean } = {}): void {
    const previous = this.vault.set(name, value);
    if (options.rotateApp && previous !== undefined) {
      for (const app of this.directory.allApps()) if (app.clientSecret === previous) app.clientSecret = value;
    }
  }

  deleteSecret(name: string): void {
    this.vault.delete(name);
  }

  /** Registers an app; roles are application permissions (e.g. 'Incident.Read.All') or 'Key Vault Secrets User' for the vault. */
  registerApp(app: { clientId: string; clientSecret: string; roles: string[] }): void {
    this.directory.registerApp(app);
  }

  /**
   * Grants or withholds (admin consent given or revoked) the Graph permission SecurityIncident.Read.All of one app
   * (default: the exporter's). Like Entra, only tokens issued afterwards carry the change.
   */
  setGraphPermission(granted: boolean, clientId: string = this.exporterClientId): void {
    const app = this.directory.findApp(clientId);
    if (!app) throw new Error(`no app registration ${clientId}`);
    app.roles = app.roles.filter((role) => role !== GRAPH_READ_ROLE);
    if (granted) app.roles.push(GRAPH_READ_ROLE);
  }

  /** Every token issued so far is refused from now on (401). */
  revokeTokens(): void {
    this.directory.revokeTokens();
  }

  async close(): Promise<void> {
    const hosts = this.hosts;
    this.hosts = [];
    await Promise.all(hosts.map((host) => host.close()));
  }

  private async listen(): Promise<void> {
    const tls = await getTlsMaterial();
    this.endpoints.caCertPem = tls.caCertPem;
    const clock = this.options.clock ?? Date.now;
    const base = { tls, faults: this.faults, requests: this.requests, clock };
    const limits = this.options.rateLimits ?? DEFENDER_LIST_RATE_LIMITS;
    const api = { directory: this.directory, store: this.incidents, faults: this.faults, clock };
    const start = async (...args: Parameters<typeof startHttpsHost>): Promise<string> => {
      const host = await startHttpsHost(...args);
      this.hosts.push(host);
      return host.origin;
    };
    const loginError = loginErrorBuilder(clock, () => this.authorityHost);
    this.endpoints.authorityHost = await start(
      'login',
      loginHandler({ directory: this.directory, errorReply: loginError, origin: () => this.authorityHost }),
      { ...base, errorReply: loginError },
    );
    const vaultOrigin = await start(
      'vault',
      vaultHandler({
        directory: this.directory,
        vault: this.vault,
        authorityHost: () => this.authorityHost,
        vaultUrl: () => this.vaultUrl,
      }),
      { ...base, errorReply: vaultError },
    );
    this.endpoints.vaultUrl = `${vaultOrigin}/`;
    this.endpoints.defenderUrl = await start(
      'defender',
      defenderHandler({
        ...api,
        rateLimiter: new RateLimiter(limits, clock),
        origin: () => this.defenderUrl,
        nextLink: () => this.defenderNextLink,
        retirement: () => this.defenderRetirement,
      }),
      { ...base, errorReply: defenderError },
    );
    const graphError = graphErrorBuilder(clock);
    this.endpoints.graphUrl = await start(
      'graph',
      graphHandler({
        ...api,
        rateLimiter: new RateLimiter(limits, clock),
        origin: () => this.graphUrl,
        errorReply: graphError,
      }),
      { ...base, errorReply: graphError },
    );
  }
}
