import { loadConfig, type Config, type Environment } from '../config/loadConfig';
import type { ExportDependencies } from '../export/exportDependencies';
import { buildPlatform, singleTenantDependencies, type BuildOptions, type RuntimePlatform } from './buildDependencies';

/** Config and clients of one process, built on first use (never at module load) and reused by every run. */
export interface ExporterRuntime {
  readonly config: Config;
  /**
   * The single-tenant exporter (DEFENDER_TENANT_ID, today's layout), used when there is no tenant registry;
   * undefined without DEFENDER_TENANT_ID (src/tenants/singleTenant.ts turns that into one clear error).
   */
  readonly deps: ExportDependencies | undefined;
  /** The process-wide clients every tenant's exporter is built on (src/tenants). */
  readonly platform: RuntimePlatform;
}

let cached: { readonly fingerprint: string; readonly runtime: ExporterRuntime } | undefined;

/** Builds a runtime for `config` (uncached; getRuntime caches it per settings). */
export function createRuntime(config: Config, options?: BuildOptions): ExporterRuntime {
  const platform = buildPlatform(config, options);
  return { config, platform, deps: singleTenantDependencies(platform) };
}

/**
 * The instance's runtime for `env`: built once and reused while the settings stay the same; settings that
 * changed (another environment) build a new one. Settings errors are thrown on every call (so every
 * invocation fails loudly until the settings are fixed) and are not cached.
 */
export function getRuntime(env: Environment, options?: BuildOptions): ExporterRuntime {
  const fingerprint = JSON.stringify(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  if (cached?.fingerprint === fingerprint) return cached.runtime;
  const config = loadConfig(env);
  cached = { fingerprint, runtime: createRuntime(config, options) };
  return cached.runtime;
}

/** Forget the cached runtime (tests). */
export function resetRuntime(): void {
  cached = undefined;
}
