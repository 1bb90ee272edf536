import type { RunMessage } from './runMessage';
import type { TenantRunner } from '../tenants/tenantRunner';

/**
 * The messages of one timer tick: one per enabled tenant of the registry, none for a disabled one. Undefined when
 * there is no registry (single-tenant mode: the timer exports itself, as before). A registry that cannot be read
 * throws: the tick fails loudly rather than skipping tenants.
 */
export async function tickMessages(runner: TenantRunner, tick: Date): Promise<RunMessage[] | undefined> {
  const tenants = await runner.enabledTenants();
  if (tenants === undefined) return undefined;
  return tenants
    .filter((tenant) => tenant.enabled)
    .map((tenant) => ({ tenantId: tenant.tenantId, tick: tick.toISOString() }));
}
