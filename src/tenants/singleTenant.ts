import { NoTenantError } from '../common/errors';
import type { ExportDependencies } from '../export/exportDependencies';
import type { ExporterRuntime } from '../runtime/exporterRuntime';
import { TenantRegistryStore } from './registry';

/**
 * The single-tenant exporter of a deployment without a tenant registry. Without DEFENDER_TENANT_ID either there is
 * no tenant to export: a NoTenantError naming both fixes, thrown before anything is read or written.
 */
export function singleTenantExporter(runtime: ExporterRuntime): ExportDependencies {
  if (runtime.deps !== undefined) return runtime.deps;
  throw new NoTenantError(new TenantRegistryStore(runtime.platform.stateContainer).describe());
}
