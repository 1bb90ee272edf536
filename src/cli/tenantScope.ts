import { InvalidArgumentError } from 'commander';
import type { ContainerClient } from '@azure/storage-blob';
import { SINGLE_TENANT_LAYOUT, tenantLayout, type BlobLayout } from '../export/blobLayout';
import {
  normalizeTenantId,
  tenantIdProblem,
  TenantRegistryStore,
  type TenantEntry,
  type TenantRegistry,
} from '../tenants/registry';
import { UsageError } from './usageError';

/** `--tenant <id>`: a GUID or a domain, lower case. */
export function parseTenantArgument(value: string): string {
  const id = normalizeTenantId(value);
  const problem = tenantIdProblem(id);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return id;
}

/** The help text of `--tenant` on every command that takes it. */
export const TENANT_OPTION_HELP = 'the registered tenant (GUID or domain) to work on; see defender-export tenants list';

/** Which exporter a command works on: the single tenant (no registry), or one registered tenant. */
export interface TenantScope {
  readonly layout: BlobLayout;
  readonly tenant: TenantEntry | undefined;
  readonly registry: TenantRegistry | undefined;
}

/**
 * The exporter a command means. `--tenant` must name a registered tenant. Without it: no registry (or an empty
 * one) means the single tenant and today's names; a registry with exactly one tenant means that tenant; with
 * more, the command cannot guess and asks for `--tenant` (or, with `single: 'refuse'`, always asks when a
 * registry exists: a command that changes state never guesses).
 */
export async function resolveTenantScope(
  stateContainer: ContainerClient,
  tenantOption: string | undefined,
  options: { readonly whenOmitted?: 'guess' | 'refuse' } = {},
): Promise<TenantScope> {
  const registry = (await new TenantRegistryStore(stateContainer).read())?.value;
  const tenants = registry?.tenants ?? [];
  if (tenantOption !== undefined) {
    const tenant = tenants.find((entry) => entry.tenantId === tenantOption);
    if (tenant === undefined)
      throw new UsageError(
        registry === undefined
          ? `--tenant ${tenantOption}: there is no tenant registry yet; add the tenant with ` +
              `'defender-export tenants add ${tenantOption}'.`
          : `--tenant ${tenantOption} is not in the tenant registry (${describeTenants(tenants)}): see ` +
              `'defender-export tenants list'.`,
      );
    return { layout: tenantLayout(tenant.tenantId), tenant, registry };
  }
  if (tenants.length === 0) return { layout: SINGLE_TENANT_LAYOUT, tenant: undefined, registry };
  const [only] = tenants;
  if (tenants.length === 1 && only !== undefined && options.whenOmitted !== 'refuse')
    return { layout: tenantLayout(only.tenantId), tenant: only, registry };
  throw new UsageError(`A tenant registry exists (${describeTenants(tenants)}): give --tenant <id>.`);
}

function describeTenants(tenants: readonly TenantEntry[]): string {
  if (tenants.length === 0) return 'no tenants';
  const shown = tenants.slice(0, 5).map((tenant) => tenant.tenantId);
  return `tenants: ${shown.join(', ')}${tenants.length > shown.length ? `, … (${tenants.length})` : ''}`;
}
