import { loadConfig, type Config, type Environment } from '../config/loadConfig';
import type { ExportDependencies } from '../export/runExport';
import { buildDependencies, type BuildOptions } from './buildDependencies';

/** Config and clients of one process, built on first use (never at module load) and reused by every run. */
export interface ExporterRuntime {
  readonly config: Config;
  readonly deps: ExportDependencies;
}

let cached: ExporterRuntime | undefined;

/**
 * The instance's runtime. Settings errors are thrown on every call (so every invocation fails loudly
 * until the settings are fixed) and are not cached.
 */
export function getRuntime(env: Environment, options?: BuildOptions): ExporterRuntime {
  if (cached) return cached;
  const config = loadConfig(env);
  cached = { config, deps: buildDependencies(config, options) };
  return cached;
}

/** Forget the cached runtime (tests). */
export function resetRuntime(): void {
  cached = undefined;
}
