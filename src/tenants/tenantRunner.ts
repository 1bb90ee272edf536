import { randomUUID } from 'crypto';
import { AuthError, ExporterError } from '../common/errors';
import type { Logger } from '../common/logger';
import { tenantLayout } from '../export/blobLayout';
import { continueBackfills } from '../export/continueBackfills';
import type { ExportDependencies } from '../export/exportDependencies';
import type { BackfillResult } from '../export/runBackfill';
import { backfillsMayBePending } from '../export/exportState';
import { TenantBusyError, type ClaimOptions } from '../export/runClaim';
import { runExport, stateFileOf } from '../export/runExport';
import type { StateFile } from '../export/stateFile';
import type { RunSummary } from '../export/runSummary';
import { dependenciesFor, newSourceSharing, type ExporterProfile } from '../runtime/buildDependencies';
import type { ExporterRuntime } from '../runtime/exporterRuntime';
import type { TokenProviders } from '../runtime/incidentSources';
import type { TokenProvider } from '../auth/tokenProvider';
import { normalizeTenantId, TenantRegistryStore, type TenantEntry, type TenantRegistry } from './registry';
import { SECRET_MAX_AGE_MS, TickSecrets } from './tickSecrets';

export type { TenantEntry } from './registry';

export type TenantRunOutcome =
  | {
      readonly kind: 'exported';
      readonly summary: RunSummary;
      /** The tenant exported (as registered, lower case). */
      readonly tenantId: string;
      /** Pending backfill jobs of this tenant continued after the export with the budget left. */
      readonly backfills: readonly BackfillResult[];
    }
  | { readonly kind: 'busy'; readonly tenantId: string };

export interface TenantRunOptions {
  readonly trigger: string;
  readonly logger: Logger;
  readonly runId?: string;
  /** Continue the tenant's pending backfill jobs after the export, as the timer does (default true). */
  readonly continueBackfills?: boolean;
}

export interface TenantRunner {
  /** Enabled tenants of the registry; undefined when there is no registry (single-tenant mode, layout as today).
   *  Throws a loud ExporterError when the registry is corrupted or unreadable (no tenant silently skipped). */
  enabledTenants(): Promise<readonly TenantEntry[] | undefined>;
  /** Exports one registered tenant under its lease (at most one run per tenant at a time, across processes):
   *  the same run loop, budget and checkpoints as today. Throws (failed invocation) on failure; an unknown or
   *  disabled tenant throws a clear ExporterError. */
  runTenant(tenantId: string, options: TenantRunOptions): Promise<TenantRunOutcome>;
  /** A new timer tick: the next secret read goes to Key Vault (a rotation is picked up), then is shared by the
   *  tenants that use the same secret until the next tick. */
  beginTick(): void;
}

/** A registered tenant's exporter: its entry with the defaults applied, and the dependencies of its runs. */
export interface TenantExporter {
  readonly entry: TenantEntry;
  readonly secretName: string;
  readonly deps: ExportDependencies;
}

/** Test seams; production uses the defaults. */
export interface TenantRunnerOptions {
  /** How long a claim lasts without a write and how often a run renews it (RUN_CLAIM_MS, RUN_CLAIM_RENEW_MS). */
  readonly claim?: Pick<ClaimOptions, 'claimMs' | 'renewEveryMs'>;
}

/**
 * Runs the tenants of the registry on one process's runtime. Per tenant it keeps, across runs on this
 * instance: its own pacer (its own quota), connections, Graph behaviour and token provider (a cached token
 * is reused while valid). Secrets are read once per tick and shared by the tenants using the same name.
 * Nothing mutable is shared between two tenants' runs.
 */
export class ProcessTenantRunner implements TenantRunner {
  readonly registry: TenantRegistryStore;
  private readonly secrets: TickSecrets;
  private readonly exporters = new Map<string, { readonly key: string; readonly exporter: TenantExporter }>();
  /** The registry as read by the first run of the current tick, shared by that tick's runs on this instance. */
  private tickRegistry:
    { readonly value: ReturnType<TenantRegistryStore['read']>; readonly readAtMs: number } | undefined;
  private ticking = false;

  constructor(
    private readonly runtime: ExporterRuntime,
    private readonly options: TenantRunnerOptions = {},
  ) {
    this.registry = new TenantRegistryStore(runtime.platform.stateContainer);
    this.secrets = new TickSecrets((name) => runtime.platform.readSecret(name), runtime.platform.clock);
  }

  /** Key Vault reads so far (the bench reports them). */
  get vaultReads(): number {
    return this.secrets.reads;
  }

  beginTick(): void {
    this.secrets.beginTick();
    this.tickRegistry = undefined;
    this.ticking = true;
  }

  /**
   * The registry for a run: read once per tick (the tick's fan-out was made from the registry of that moment), so a
   * tick with nothing new costs no registry read per tenant. Outside a tick (a single CLI command), and for an entry
   * older than SECRET_MAX_AGE_MS, it is read again; a failed read is never kept.
   */
  private registryForRun(): ReturnType<TenantRegistryStore['read']> {
    if (!this.ticking) return this.registry.read();
    const nowMs = this.runtime.platform.clock.now().getTime();
    const cached = this.tickRegistry;
    if (cached !== undefined && nowMs - cached.readAtMs < SECRET_MAX_AGE_MS) return cached.value;
    const entry = { value: this.registry.read(), readAtMs: nowMs };
    this.tickRegistry = entry;
    entry.value.catch(() => {
      if (this.tickRegistry === entry) this.tickRegistry = undefined;
    });
    return entry.value;
  }

  async enabledTenants(): Promise<readonly TenantEntry[] | undefined> {
    const registry = await this.registry.read();
    return registry?.value.tenants.filter((tenant) => tenant.enabled);
  }

  /** The registry now (undefined: none). */
  async readRegistry(): Promise<TenantRegistry | undefined> {
    return (await this.registry.read())?.value;
  }

  /** The exporter of a registered tenant (enabled or not: the CLI's list, show, status and backfill read disabled ones too). */
  async exporterOf(
    tenantId: string,
    options: { mustBeEnabled?: boolean; registry?: ReturnType<TenantRegistryStore['read']> } = {},
  ): Promise<TenantExporter> {
    const registry = await (options.registry ?? this.registry.read());
    const id = normalizeTenantId(tenantId);
    if (registry === undefined)
      throw new ExporterError(
        `There is no tenant registry (${this.registry.describe()}), so tenant ${id} is unknown: ` +
          `add it with 'defender-export tenants add ${id}'.`,
        { code: 'TenantUnknown' },
      );
    const entry = registry.value.tenants.find((tenant) => tenant.tenantId === id);
    if (entry === undefined)
      throw new ExporterError(
        `Tenant ${id} is not in the tenant registry (${this.registry.describe()}): add it with ` +
          `'defender-export tenants add ${id}', or see 'defender-export tenants list'.`,
        { code: 'TenantUnknown' },
      );
    if (options.mustBeEnabled === true && !entry.enabled)
      throw new ExporterError(
        `Tenant ${id} is disabled in the tenant registry: enable it with 'defender-export tenants enable ${id}'.`,
        { code: 'TenantDisabled' },
      );
    return this.exporterFor(entry);
  }

  async runTenant(tenantId: string, options: TenantRunOptions): Promise<TenantRunOutcome> {
    const exporter = await this.exporterOf(tenantId, { mustBeEnabled: true, registry: this.registryForRun() });
    const { deps, entry } = exporter;
    const startedMs = deps.clock.now().getTime();
    const runId = options.runId ?? randomUUID();
    const wantsBackfills = options.continueBackfills !== false;
    // The run claims the tenant in its state: at most one run per tenant at a time, across processes.
    const stateFile = stateFileOf(deps, options.logger, {
      runId,
      trigger: options.trigger,
      ...this.options.claim,
      holdAfterExport: (state) => wantsBackfills && backfillsMayBePending(state),
    });
    try {
      const summary = await runExport(deps, {
        trigger: options.trigger,
        logger: options.logger,
        abortSignal: stateFile.claimSignal,
        runId,
        stateFile,
      });
      const backfills = wantsBackfills ? await this.continueBackfills(stateFile, deps, options, startedMs) : [];
      return { kind: 'exported', summary, tenantId: entry.tenantId, backfills };
    } catch (error) {
      if (error instanceof TenantBusyError) {
        options.logger.info('Another run holds this tenant; nothing to do', {
          tenantId: entry.tenantId,
          heldBy: error.holder.runId,
        });
        return { kind: 'busy', tenantId: entry.tenantId };
      }
      // A backfill aborted because the claim was lost fails with that loss, not with the abort it caused.
      if (stateFile.claimLoss) throw stateFile.claimLoss;
      // A refused secret may have been rotated meanwhile: the next run reads Key Vault again.
      if (error instanceof AuthError) this.secrets.forget(exporter.secretName);
      throw error instanceof AuthError && error.code === 'AADSTS700016' ? this.consentMissing(exporter, error) : error;
    } finally {
      await stateFile.release();
    }
  }

  /**
   * The tenant's pending backfill jobs, continued with the budget left, still under the run's claim. Listed only
   * when the state counts a backfill request the last listing did not see: a quiet tick lists nothing. When this
   * run leaves none pending, the claim ends recording the count it saw (read before the listing, so a job started
   * meanwhile is counted above it and listed by the next run).
   */
  private async continueBackfills(
    stateFile: StateFile,
    deps: ExportDependencies,
    options: TenantRunOptions,
    startedMs: number,
  ): Promise<readonly BackfillResult[]> {
    // Decided once, before the export's last write: without the claim held for them, the next run lists them.
    if (!stateFile.holdsClaim) return [];
    const requested = stateFile.committed?.backfillRequests ?? 0;
    const { claimSignal } = stateFile;
    const { results, left } = await continueBackfills(deps, options.logger, startedMs, options.trigger, claimSignal);
    stateFile.assertClaimNotLost();
    await stateFile.release(left === 0 ? { backfillRequests: requested, backfillSeen: requested } : {});
    return results;
  }

  /** The app is not (or no longer) consented in the tenant: say which tenant and how its administrator consents. */
  private consentMissing(exporter: TenantExporter, error: AuthError): AuthError {
    const { tenantId } = exporter.entry;
    const clientId = exporter.entry.clientId ?? this.runtime.config.clientId;
    const consentUrl = `${this.runtime.config.authorityHost}/${tenantId}/adminconsent?client_id=${clientId}`;
    return new AuthError(
      `Tenant ${tenantId}${exporter.entry.name === undefined ? '' : ` (${exporter.entry.name})`}` +
        ` has no consent for the app ${clientId} (AADSTS700016: consent missing or revoked): have ` +
        `an administrator of that tenant open ${consentUrl} and grant it, or 'defender-export ` +
        `tenants disable ${tenantId}'. The other tenants are not affected.`,
      { code: error.code, statusCode: error.statusCode, cause: error },
    );
  }

  /** The exporter of `entry`, reused while the entry resolves to the same app, secret and API. */
  private exporterFor(entry: TenantEntry): TenantExporter {
    const { config } = this.runtime;
    const profile: ExporterProfile = {
      tenantId: entry.tenantId,
      clientId: entry.clientId ?? config.clientId,
      incidentsApi: entry.incidentsApi ?? config.incidentsApi,
      layout: tenantLayout(entry.tenantId),
    };
    const secretName = entry.secretName ?? config.secretName;
    const key = JSON.stringify([profile.clientId, profile.incidentsApi, secretName]);
    const known = this.exporters.get(entry.tenantId);
    if (known?.key === key) return { ...known.exporter, entry };
    const deps = dependenciesFor(this.runtime.platform, profile, newSourceSharing(this.runtime.platform), {
      readSecret: () => this.secrets.get(secretName),
      tokens: cachedTokenProvider(),
    });
    const exporter = { entry, secretName, deps };
    this.exporters.set(entry.tenantId, { key, exporter });
    return exporter;
  }
}

/** One tenant's token provider, kept across its runs while the secret and the scope stay the same. */
function cachedTokenProvider(): TokenProviders {
  // One per scope: the daily Graph readiness check must not push out the Defender API's cached token.
  const byScope = new Map<string, { readonly secret: string; readonly provider: TokenProvider }>();
  return (secret, scope, create) => {
    const cached = byScope.get(scope);
    if (cached?.secret === secret) return cached.provider;
    const provider = create();
    byScope.set(scope, { secret, provider });
    return provider;
  };
}

const runners = new WeakMap<ExporterRuntime, ProcessTenantRunner>();

/** One TenantRunner per ExporterRuntime (cached), so credentials/tokens are reused across runs on an instance. */
export function tenantRunnerFor(runtime: ExporterRuntime): ProcessTenantRunner {
  let runner = runners.get(runtime);
  if (runner === undefined) {
    runner = new ProcessTenantRunner(runtime);
    runners.set(runtime, runner);
  }
  return runner;
}
