import { randomBytes } from 'node:crypto';
import { defenderHandler, type DefenderRetirement } from './defenderServer';
import { Directory, VAULT_SECRETS_USER_ROLE } from './directory';
import { defenderError, graphErrorBuilder, loginErrorBuilder, vaultError } from './errorBodies';
import { FaultInjector, type FaultRequest, type FaultSpec } from './faultInjector';
import { graphHandler } from './graphServer';
import { startHttpsHost, type RunningHost } from './httpsHost';
import { IncidentStore } from './incidentStore';
import type { TenantApiScope } from './incidentsApiContext';
import { loginHandler } from './loginServer';
import { Prng } from './prng';
import { DEFENDER_LIST_RATE_LIMITS, RateLimiter, type RateLimit } from './rateLimiter';
import { SecretVault } from './secretVault';
import { getTlsMaterial } from './tls';
import type { Clock, RecordedRequest } from './types';
import { vaultHandler } from './vaultServer';

export interface SimulatedTenantOptions {
  /** The home tenant (the MSP's: the vault and the app registrations live there). Default '11111111-2222-3333-4444-555555555555'. */
  tenantId?: string;
  /** Verified domain names of the home tenant (a token request may name the tenant by one); default none. */
  domains?: string[];
  /**
   * Entra tenants served from the start, the home tenant first (default 1). The others are added as by `addTenant()`
   * with their defaults: ids derived from `seed`, domain `tenant-<k>.onmicrosoft.com`, the exporter app consented,
   * each seeded with `seedIncidents`. This is what `LOCAL_TENANTS=<n>` asks for; `tenantIds` lists them.
   */
  tenants?: number;
  /** Incidents created at start (default 0), lastUpdateTime spread over the last `seedSpreadHours` (default 72). */
  seedIncidents?: number;
  seedSpreadHours?: number;
  /** Generate realistic-size incidents (about 5-50 KB each) instead of small ones; default false. */
  realisticIncidents?: boolean;
  /** PRNG seed for reproducible data and client ids (default 1). */
  seed?: number;
  /** Default 3599. */
  tokenLifetimeSeconds?: number;
  /** Quotas on incidents list calls per tenant and client app, applied to each API separately; default 50/min and 1,500/h; [] disables. */
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

/** A tenant added to a running simulator (see `SimulatedTenant.addTenant`). */
export interface TenantOptions {
  /** A GUID; default the next id derived from the simulator's seed. */
  tenantId?: string;
  /** Verified domains; default `tenant-<k>.onmicrosoft.com` (k: the tenant's index, the home tenant being 0). */
  domains?: string[];
  /** Admin consent for the (multi-tenant) exporter app in this tenant; default true. */
  consentExporterApp?: boolean;
  /** Incidents created now, spread over the last `seedSpreadHours` (default the simulator's). */
  seedIncidents?: number;
  seedSpreadHours?: number;
  /** PRNG seed of this tenant's incidents; default derived from the simulator's seed and the tenant's index. */
  seed?: number;
  /** This tenant's quota (per app, each API); default the simulator's `rateLimits`. */
  rateLimits?: RateLimit[];
}

/** One Entra tenant of the simulator: its own incidents, faults, quota, domains and consents. */
export interface TenantHandle {
  readonly tenantId: string;
  readonly domains: readonly string[];
  /** This tenant's incidents (ids may repeat those of other tenants: each tenant numbers its own). */
  readonly incidents: IncidentStore;
  /** Faults for this tenant's requests only (login path or token `tid`); its page hook sees only its own pages. */
  readonly faults: FaultInjector;
  /** Admin consent for a multi-tenant app registered in another tenant; `roles` grants only those of its permissions. */
  consent(appClientId: string, options?: { roles?: readonly string[] }): void;
  /** The app's service principal is removed: token requests for this tenant get AADSTS700016. */
  revokeConsent(appClientId: string): void;
  /** Registers a single-tenant app in this tenant (its own client id and secret). */
  registerApp(app: { clientId: string; clientSecret: string; roles: string[] }): void;
}

/** The name under which the exporter app's client secret is stored in the vault. */
export const EXPORTER_SECRET_NAME = 'defender-client-secret';

function newClientSecret(): string {
  // Shaped like an Entra client secret value: 3 chars, '8Q~', 34 chars.
  return `${randomBytes(3).toString('base64url').slice(0, 3)}8Q~${randomBytes(26).toString('base64url').slice(0, 34)}`;
}

/**
 * A simulated Microsoft tenant on loopback HTTPS: Entra ID (login), Key Vault, the Defender XDR incidents API and
 * Microsoft Graph security incidents, each on its own port, behind a self-signed CA (`caCertPem`).
 *
 * Many tenants: one simulator serves any number of Entra tenants on the same four hosts, as Microsoft's services do.
 * `tenantId`, `incidents`, `exporterApp` and the vault belong to the home tenant (the MSP's). `addTenant()` (or the
 * `tenants: n` option) adds customer tenants, each with its own incidents, faults and quota; the exporter app is a
 * multi-tenant app registered in the home tenant and consented in each added tenant (`consent`/`revokeConsent`).
 * `{authorityHost}/{tenant GUID or verified domain}/oauth2/v2.0/token` issues a token whose `tid` is that tenant's
 * GUID; the incident APIs serve only the incidents of the token's `tid` and count its calls against that tenant's
 * quota for that app; the vault accepts only home-tenant tokens.
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
  private readonly tenantIdSource: Prng;
  private readonly scopes = new Map<string, { handle: TenantHandle; scope: TenantApiScope }>();
  private readonly clock: Clock;
  private hosts: RunningHost[] = [];
  private readonly endpoints = { caCertPem: '', authorityHost: '', vaultUrl: '', defenderUrl: '', graphUrl: '' };

  private constructor(private readonly options: SimulatedTenantOptions) {
    const clock = options.clock ?? Date.now;
    this.clock = clock;
    const ids = new Prng((options.seed ?? 1) ^ 0x5eed);
    this.tenantIdSource = new Prng((options.seed ?? 1) ^ 0x7e4a47);
    this.tenantId = options.tenantId ?? '11111111-2222-3333-4444-555555555555';
    this.directory = new Directory(this.tenantId, clock, options.tokenLifetimeSeconds ?? 3599);
    this.directory.addTenant(this.tenantId, options.domains ?? []);
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
    this.addScope(this.tenantId, this.incidents, new FaultInjector(), options.rateLimits);
    for (let index = 1; index < (options.tenants ?? 1); index += 1) this.addTenant();
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
      for (const { incidents } of tenant.tenants)
        incidents.seed(options.seedIncidents, { spreadHours: options.seedSpreadHours ?? 72 });
    return tenant;
  }

  /** Adds an Entra tenant (works before or after start); see `TenantOptions` for the defaults. */
  addTenant(options: TenantOptions = {}): TenantHandle {
    const index = this.scopes.size;
    const tenantId = options.tenantId ?? this.tenantIdSource.guid();
    if (this.directory.resolveTenant(tenantId) !== undefined) throw new Error(`tenant ${tenantId} already exists`);
    this.directory.addTenant(tenantId, options.domains ?? [`tenant-${index}.onmicrosoft.com`]);
    const incidents = new IncidentStore({
      clock: this.clock,
      seed: options.seed ?? ((this.options.seed ?? 1) + index * 0x9e3779b1) >>> 0,
      realistic: this.options.realisticIncidents ?? false,
    });
    const handle = this.addScope(
      tenantId,
      incidents,
      new FaultInjector(),
      options.rateLimits ?? this.options.rateLimits,
    );
    if (options.consentExporterApp ?? true) handle.consent(this.exporterClientId);
    if (options.seedIncidents)
      incidents.seed(options.seedIncidents, {
        spreadHours: options.seedSpreadHours ?? this.options.seedSpreadHours ?? 72,
      });
    return handle;
  }

  /** A tenant by GUID or verified domain (the home tenant included); throws when unknown. */
  tenant(idOrDomain: string): TenantHandle {
    const tenantId = this.directory.resolveTenant(idOrDomain);
    const entry = tenantId === undefined ? undefined : this.scopes.get(tenantId.toLowerCase());
    if (!entry) throw new Error(`the simulator serves no tenant '${idOrDomain}'`);
    return entry.handle;
  }

  /** Every tenant served, the home tenant first, in the order they were added. */
  get tenants(): TenantHandle[] {
    return [...this.scopes.values()].map(({ handle }) => handle);
  }

  /** The GUIDs of `tenants`. */
  get tenantIds(): string[] {
    return this.tenants.map((handle) => handle.tenantId);
  }

  /**
   * Admin consent for an app (registered in another tenant) in a tenant: it can then get tokens there, carrying the
   * granted permissions (`roles`, default all the app requests; a permission not granted is missing from the token,
   * so the API answers 403).
   */
  consent(appClientId: string, tenantIdOrDomain: string, options: { roles?: readonly string[] } = {}): void {
    this.directory.consent(appClientId, tenantIdOrDomain, options.roles);
  }

  /** Removes the app's consent (service principal) in a tenant: token requests there get AADSTS700016. */
  revokeConsent(appClientId: string, tenantIdOrDomain: string): void {
    this.directory.revokeConsent(appClientId, tenantIdOrDomain);
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

  /**
   * Registers an app in `tenantId` (default the home tenant); roles are application permissions (e.g. 'Incident.Read.All')
   * or 'Key Vault Secrets User' for the vault. It gets tokens in its own tenant and in those where it is consented.
   */
  registerApp(app: { clientId: string; clientSecret: string; roles: string[]; tenantId?: string }): void {
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
    // Faults given to the simulator hit every tenant; a tenant's own faults only the requests for that tenant.
    const faults = {
      take: (request: FaultRequest): FaultSpec | undefined =>
        this.faults.take(request) ??
        (request.tenantId === undefined
          ? undefined
          : this.scopes.get(request.tenantId.toLowerCase())?.scope.faults.take(request)),
    };
    const tenantOf = this.directory.tenantOfRequest.bind(this.directory);
    const base = { tls, faults, requests: this.requests, clock, tenantOf };
    const api = {
      directory: this.directory,
      tenantScope: (tenantId: string) => this.scopes.get(tenantId.toLowerCase())?.scope,
      faults: this.faults,
      clock,
    };
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
        origin: () => this.graphUrl,
        errorReply: graphError,
      }),
      { ...base, errorReply: graphError },
    );
  }

  private addScope(
    tenantId: string,
    incidents: IncidentStore,
    faults: FaultInjector,
    rateLimits: readonly RateLimit[] | undefined,
  ): TenantHandle {
    const limits = rateLimits ?? DEFENDER_LIST_RATE_LIMITS;
    const directory = this.directory;
    const handle: TenantHandle = {
      tenantId,
      get domains() {
        return directory.tenantDomains(tenantId);
      },
      incidents,
      faults,
      consent: (appClientId, options) => directory.consent(appClientId, tenantId, options?.roles),
      revokeConsent: (appClientId) => directory.revokeConsent(appClientId, tenantId),
      registerApp: (app) => directory.registerApp({ ...app, tenantId }),
    };
    const rateLimiters = { defender: new RateLimiter(limits, this.clock), graph: new RateLimiter(limits, this.clock) };
    this.scopes.set(tenantId.toLowerCase(), { handle, scope: { tenantId, store: incidents, faults, rateLimiters } });
    return handle;
  }
}
