import type { Command } from 'commander';
import { SETTING_TABLE } from '../../config/settings';
import { settingsEnvironment } from '../../config/settingsEnvironment';
import { SINGLE_TENANT_LAYOUT } from '../../export/blobLayout';
import { StateStore } from '../../export/stateStore';
import { adoptSingleTenantState, type Adoption } from '../../tenants/adoption';
import {
  checkTenant,
  normalizeTenantId,
  tenantIdProblem,
  TenantRegistryStore,
  type TenantEntry,
  type TenantRegistry,
} from '../../tenants/registry';
import { stateContainerOf, type CommandContext } from '../commandContext';
import { formatTable } from '../textTable';
import { UsageError } from '../usageError';

interface AddOptions {
  readonly name?: string;
  readonly clientId?: string;
  readonly secretName?: string;
  readonly api?: string;
  readonly adopt?: boolean;
  readonly disabled?: boolean;
}

/** One tenant as `tenants list --json` prints it: every field, the defaults as null. */
function toJson(tenant: TenantEntry): Record<string, unknown> {
  return {
    tenantId: tenant.tenantId,
    name: tenant.name ?? null,
    enabled: tenant.enabled,
    clientId: tenant.clientId ?? null,
    secretName: tenant.secretName ?? null,
    incidentsApi: tenant.incidentsApi ?? null,
  };
}

/** The registry as a table for people; the defaults named by their settings. */
export function tenantsTable(tenants: readonly TenantEntry[]): string[] {
  return formatTable(
    ['TENANT', 'NAME', 'ENABLED', 'API', 'CLIENT ID', 'SECRET'],
    tenants.map((tenant) => [
      tenant.tenantId,
      tenant.name ?? '-',
      tenant.enabled ? 'yes' : 'no',
      tenant.incidentsApi ?? 'default',
      tenant.clientId ?? 'default',
      tenant.secretName ?? 'default',
    ]),
  );
}

/** DEFENDER_TENANT_ID of these settings, lower case, if set. */
function configuredTenant(context: CommandContext): string | undefined {
  const env = context.environment?.() ?? settingsEnvironment(process.env, process.cwd());
  const text = env[SETTING_TABLE.tenantId.name]?.trim();
  return text === undefined || text === '' ? undefined : normalizeTenantId(text);
}

function describeAdoption(adoption: Adoption, tenantId: string): string | undefined {
  switch (adoption.kind) {
    case 'adopted':
      return (
        `adopted the single-tenant exporter's state: tenant ${tenantId} continues from watermark ` +
        `${adoption.watermark} (nothing is exported twice or skipped)` +
        `${adoption.backfillJobs > 0 ? `, with ${adoption.backfillJobs} unfinished backfill job${adoption.backfillJobs === 1 ? '' : 's'}` : ''}` +
        `.`
      );
    case 'tenant has its own state':
      return `tenant ${tenantId} already has its own state (watermark ${adoption.watermark}): kept as is, nothing adopted.`;
    case 'nothing to adopt':
      return undefined;
  }
}

/** Applies `change` to the registry entry of `tenantId`; unknown tenant: one line, exit 2. */
async function changeTenant(
  store: TenantRegistryStore,
  tenantId: string,
  change: (tenant: TenantEntry) => TenantEntry | undefined,
): Promise<TenantRegistry> {
  const id = normalizeTenantId(tenantId);
  const problem = tenantIdProblem(id);
  if (problem !== undefined) throw new UsageError(problem);
  return store.update((current) => {
    const tenants = current?.tenants ?? [];
    if (!tenants.some((tenant) => tenant.tenantId === id))
      throw new UsageError(`Tenant ${id} is not in the tenant registry: see 'defender-export tenants list'.`);
    return {
      schemaVersion: 1,
      tenants: tenants.flatMap((tenant) => {
        if (tenant.tenantId !== id) return [tenant];
        const changed = change(tenant);
        return changed === undefined ? [] : [changed];
      }),
    };
  });
}

/** `tenants list | add | remove | enable | disable`: the tenant registry (config/tenants.json in the state container). */
export function registerTenants(program: Command, context: CommandContext): void {
  const tenants = program
    .command('tenants')
    .description(
      'Manage the tenant registry (config/tenants.json in the state container): the Entra ' +
        'tenants this deployment exports.',
    );
  const store = (): TenantRegistryStore => new TenantRegistryStore(stateContainerOf(context.storage()));

  tenants
    .command('list')
    .description('List the registered tenants.')
    .option('--json', 'print a JSON array (for scripts)')
    .action(async (options: { json?: boolean }) => {
      const registry = store();
      const found = (await registry.read())?.value;
      if (options.json === true) {
        context.print(JSON.stringify((found?.tenants ?? []).map(toJson), null, 2));
        return;
      }
      if (found === undefined) {
        const single = configuredTenant(context);
        context.print(
          single === undefined
            ? `No tenant registry (${registry.describe()}) and DEFENDER_TENANT_ID is not set: no tenant ` +
                `is exported. Set DEFENDER_TENANT_ID, or add a tenant with 'defender-export tenants ` +
                `add <tenantId>'.`
            : `No tenant registry (${registry.describe()}): the exporter runs for DEFENDER_TENANT_ID (` +
                `${single}) alone. Add a tenant with 'defender-export tenants add <tenantId>'.`,
        );
        return;
      }
      for (const line of tenantsTable(found.tenants)) context.print(line);
      const enabled = found.tenants.filter((tenant) => tenant.enabled).length;
      context.print(`${found.tenants.length} tenant${found.tenants.length === 1 ? '' : 's'}, ${enabled} enabled`);
    });

  tenants
    .command('add')
    .description(
      'Register a tenant (after its admin consented to the app). The tenant of ' +
        "DEFENDER_TENANT_ID (or any tenant with --adopt) takes over the single-tenant exporter's " +
        'state, so moving to the registry loses and re-exports nothing.',
    )
    .argument('<tenantId>', "the customer's Directory (tenant) ID (GUID) or a verified domain")
    .option('--name <name>', 'a display name (status, list)')
    .option('--client-id <guid>', "the app registration's client id in this tenant (default: DEFENDER_CLIENT_ID)")
    .option('--secret-name <name>', 'the Key Vault secret of that app (default: DEFENDER_CLIENT_SECRET_NAME)')
    .option('--api <api>', 'defender or graph (default: INCIDENTS_API)')
    .option('--adopt', "take over the single-tenant exporter's state (watermark, backfill jobs) for this tenant")
    .option('--no-adopt', "leave the single-tenant exporter's state alone: this is another tenant")
    .option('--disabled', 'register it disabled (no runs until enabled)')
    .action(async (tenantId: string, options: AddOptions) => {
      const checked = checkTenant({
        tenantId,
        name: options.name,
        clientId: options.clientId,
        secretName: options.secretName,
        incidentsApi: options.api,
        enabled: options.disabled !== true,
      });
      if (!('entry' in checked)) throw new UsageError(checked.problems.join(' '));
      const { entry } = checked;
      const registry = store();
      const existing = (await registry.read())?.value;
      if (existing?.tenants.some((tenant) => tenant.tenantId === entry.tenantId) === true)
        throw new UsageError(`Tenant ${entry.tenantId} is already registered: see 'defender-export tenants list'.`);
      const stateContainer = stateContainerOf(context.storage());
      // NOTE: exists() first: with a container-scoped role, creating an existing container is denied (403) rather than 409.
      if (!(await stateContainer.exists())) await stateContainer.createIfNotExists();
      const configured = configuredTenant(context);
      const legacy =
        existing === undefined
          ? (await new StateStore(stateContainer, SINGLE_TENANT_LAYOUT).read().catch(() => undefined))?.state
          : undefined;
      // Whose is today's state? Without DEFENDER_TENANT_ID here nothing says: ask rather than lose or re-export it.
      if (legacy !== undefined && options.adopt === undefined && configured === undefined)
        throw new UsageError(
          `The single-tenant exporter's state (watermark ${legacy.watermark}) exists and ` +
            `DEFENDER_TENANT_ID is not set here to say whose it is: add --adopt if ${entry.tenantId}` +
            ` is the tenant it exported (its runs continue from that watermark), or --no-adopt if it ` +
            `is another tenant. Nothing was changed.`,
        );
      const adopt = options.adopt ?? configured === entry.tenantId;
      // The state first: the tenant's first run (which may start as soon as it is registered) then continues from it.
      const adoption = adopt ? await adoptSingleTenantState(stateContainer, entry.tenantId) : undefined;
      await registry.update((current) => {
        const tenants = current?.tenants ?? [];
        if (tenants.some((tenant) => tenant.tenantId === entry.tenantId))
          throw new UsageError(`Tenant ${entry.tenantId} is already registered: see 'defender-export tenants list'.`);
        return { schemaVersion: 1, tenants: [...tenants, entry] };
      });
      context.print(
        `added tenant ${entry.tenantId}${entry.name === undefined ? '' : ` (${entry.name})`}` +
          `${entry.enabled ? '' : ', disabled'}.`,
      );
      const adopted = adoption === undefined ? undefined : describeAdoption(adoption, entry.tenantId);
      if (adopted !== undefined) context.print(adopted);
      if (!adopt && legacy !== undefined) {
        context.note(
          `note: with a registry, only registered tenants are exported; the single-tenant exporter's ` +
            `state (watermark ${legacy.watermark}) is no longer used. If its tenant should go on, add ` +
            `it with 'defender-export tenants add <its id> --adopt'.`,
        );
      }
    });

  tenants
    .command('remove')
    .description(
      'Remove a tenant from the registry. Its blobs and state are kept (add it again to continue where it stopped).',
    )
    .argument('<tenantId>')
    .action(async (tenantId: string) => {
      await changeTenant(store(), tenantId, () => undefined);
      context.print(
        `removed tenant ${normalizeTenantId(tenantId)}; its blobs and state under tenants/` +
          `${normalizeTenantId(tenantId)}/ are kept.`,
      );
    });

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    tenants
      .command(verb)
      .description(enabled ? 'Export this tenant again.' : 'Stop exporting this tenant (its blobs and state are kept).')
      .argument('<tenantId>')
      .action(async (tenantId: string) => {
        await changeTenant(store(), tenantId, (tenant) => ({ ...tenant, enabled }));
        context.print(`${verb}d tenant ${normalizeTenantId(tenantId)}.`);
      });
  }
}
