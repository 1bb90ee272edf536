import type { ContainerClient } from '@azure/storage-blob';
import { ExporterError, StorageError } from '../common/errors';
import { property } from '../common/jsonFields';
import { DOMAIN, GUID, SECRET_NAME } from '../config/settings';
import { BlobConflictError, JsonBlobStore, type Versioned } from '../export/jsonBlobStore';

/** One tenant of the registry, as stored in `config/tenants.json`. */
export interface TenantEntry {
  /** GUID or domain, lower case (tenant ids are case-insensitive): also the folder `tenants/<tenantId>/`. */
  readonly tenantId: string;
  readonly name?: string;
  /** Default: DEFENDER_CLIENT_ID (the multi-tenant app consented in this tenant). */
  readonly clientId?: string;
  /** Default: DEFENDER_CLIENT_SECRET_NAME (same Key Vault). */
  readonly secretName?: string;
  /** Default: INCIDENTS_API. */
  readonly incidentsApi?: 'defender' | 'graph';
  readonly enabled: boolean;
}

/** The registry document: every tenant this deployment exports (when enabled). */
export interface TenantRegistry {
  readonly schemaVersion: 1;
  readonly tenants: readonly TenantEntry[];
}

/** Where the registry lives, in the state container (EXPORT_STATE_CONTAINER, else EXPORT_CONTAINER). */
export const REGISTRY_BLOB = 'config/tenants.json';

/** At most this long, so a name fits a status row and a log line. */
const MAX_NAME_LENGTH = 120;

/** How a registry holds a tenant id: trimmed, lower case. */
export function normalizeTenantId(tenantId: string): string {
  return tenantId.trim().toLowerCase();
}

/** One problem with a tenant id (GUID or domain), or undefined when it is valid. */
export function tenantIdProblem(tenantId: string): string | undefined {
  return GUID.test(tenantId) || DOMAIN.test(tenantId)
    ? undefined
    : `tenant id '${tenantId}' is neither a GUID nor a domain: use the customer's Directory ` +
        `(tenant) ID (a GUID) or a verified domain such as contoso.onmicrosoft.com.`;
}

/** The fields a person gives for a tenant (the CLI's options), unchecked. */
export interface TenantInput {
  readonly tenantId: string;
  readonly name?: string;
  readonly clientId?: string;
  readonly secretName?: string;
  readonly incidentsApi?: string;
  readonly enabled?: boolean;
}

/** Checks a tenant's fields; returns the entry, or every problem with its fix. */
export function checkTenant(input: TenantInput): { entry: TenantEntry; problems: [] } | { problems: string[] } {
  const problems: string[] = [];
  const tenantId = normalizeTenantId(input.tenantId);
  const idProblem = tenantIdProblem(tenantId);
  if (idProblem !== undefined) problems.push(idProblem);
  const name = input.name?.trim();
  if (name !== undefined && (name === '' || name.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(name)))
    problems.push(`name must be 1-${MAX_NAME_LENGTH} printable characters.`);
  const clientId = input.clientId?.trim().toLowerCase();
  if (clientId !== undefined && !GUID.test(clientId))
    problems.push(
      `client id '${clientId}' is not a GUID: use the Application (client) ID of the app ` +
        `registration consented in this tenant.`,
    );
  const secretName = input.secretName?.trim();
  if (secretName !== undefined && !SECRET_NAME.test(secretName))
    problems.push(
      `secret name '${secretName}' is not a valid Key Vault secret name: use 1-127 letters, digits and dashes.`,
    );
  const api = input.incidentsApi?.trim();
  if (api !== undefined && api !== 'defender' && api !== 'graph')
    problems.push(`incidents API '${api}' is not defender or graph.`);
  if (problems.length > 0) return { problems };
  const entry: TenantEntry = {
    tenantId,
    ...(name === undefined ? {} : { name }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(secretName === undefined ? {} : { secretName }),
    ...(api === 'defender' || api === 'graph' ? { incidentsApi: api } : {}),
    enabled: input.enabled ?? true,
  };
  return { entry, problems: [] };
}

/** The registry is corrupted or unreadable: no tenant is exported (none silently skipped) until it is fixed. */
export class TenantRegistryError extends ExporterError {}

function corrupted(containerName: string, what: string): TenantRegistryError {
  return new TenantRegistryError(
    `The tenant registry ${REGISTRY_BLOB} in container '${containerName}' is corrupted (${what}` +
      `), so no tenant is exported until it is fixed. Fix the JSON ({"schemaVersion": 1, ` +
      `"tenants": [{"tenantId": "<GUID or domain>", "enabled": true}, ...]}, see the README's ` +
      `"Tenant registry") or restore an earlier version of the blob, then check it with ` +
      `'defender-export tenants list'.`,
    { code: 'TenantRegistryCorrupted' },
  );
}

/** Parses and checks the registry blob; anything unexpected is one loud TenantRegistryError naming the blob and the fix. */
export function parseRegistry(text: string, containerName: string): TenantRegistry {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw corrupted(containerName, 'it is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw corrupted(containerName, 'it is not a JSON object');
  if (property(body, 'schemaVersion') !== 1)
    throw corrupted(
      containerName,
      `schemaVersion is ${JSON.stringify(property(body, 'schemaVersion')) ?? 'missing'}, expected 1`,
    );
  const list = property(body, 'tenants');
  if (!Array.isArray(list)) throw corrupted(containerName, "'tenants' is not an array");
  const tenants: TenantEntry[] = [];
  for (const [index, item] of (list as unknown[]).entries()) {
    const field = (key: string): unknown => property(item, key);
    const text = (key: string): string | undefined => {
      const value = field(key);
      if (value === undefined) return undefined;
      if (typeof value !== 'string') throw corrupted(containerName, `tenants[${index}].${key} is not a string`);
      return value;
    };
    if (typeof item !== 'object' || item === null) throw corrupted(containerName, `tenants[${index}] is not an object`);
    const tenantId = text('tenantId');
    if (tenantId === undefined) throw corrupted(containerName, `tenants[${index}].tenantId is missing`);
    const enabled = field('enabled');
    if (typeof enabled !== 'boolean') throw corrupted(containerName, `tenants[${index}].enabled is not true or false`);
    const checked = checkTenant({
      tenantId,
      name: text('name'),
      clientId: text('clientId'),
      secretName: text('secretName'),
      incidentsApi: text('incidentsApi'),
      enabled,
    });
    if (!('entry' in checked)) throw corrupted(containerName, `tenants[${index}]: ${checked.problems.join(' ')}`);
    if (tenants.some((tenant) => tenant.tenantId === checked.entry.tenantId))
      throw corrupted(containerName, `tenant ${checked.entry.tenantId} is listed twice`);
    tenants.push(checked.entry);
  }
  return { schemaVersion: 1, tenants };
}

/** How many times a registry change is tried again after another writer changed it meanwhile. */
const MAX_UPDATE_ATTEMPTS = 5;

/**
 * The registry blob `config/tenants.json` in the state container, ETag-guarded like the state: reads carry
 * the ETag of exactly the bytes read, and a change is written with `If-Match` (retried on a conflict).
 */
export class TenantRegistryStore {
  private readonly store: JsonBlobStore<TenantRegistry>;

  constructor(private readonly container: ContainerClient) {
    this.store = new JsonBlobStore(container, {
      what: 'tenant registry',
      parse: (text) => parseRegistry(text, container.containerName),
      readConsequence: 'No tenant is exported until the registry can be read.',
      writeHint: 'The registry is unchanged.',
    });
  }

  /** The registry and its ETag; undefined when there is none (single-tenant mode). Throws TenantRegistryError when it cannot be used. */
  async read(): Promise<Versioned<TenantRegistry> | undefined> {
    try {
      return await this.store.read(REGISTRY_BLOB);
    } catch (error) {
      if (error instanceof StorageError)
        throw new TenantRegistryError(error.message, {
          code: 'TenantRegistryUnreadable',
          statusCode: error.statusCode,
          retryable: true,
          cause: error,
        });
      throw error;
    }
  }

  /**
   * Applies `change` to the current registry (undefined: none yet) and writes the result with the ETag of
   * what was read; when another writer got there first, reads again and re-applies, so no change is lost.
   */
  async update(change: (current: TenantRegistry | undefined) => TenantRegistry): Promise<TenantRegistry> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.read();
      const next = change(current?.value);
      try {
        await this.store.write(REGISTRY_BLOB, next, current?.etag);
        return next;
      } catch (error) {
        if (!(error instanceof BlobConflictError) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
      }
    }
  }

  /** Where the registry is, for messages. */
  describe(): string {
    return `${REGISTRY_BLOB} in container '${this.container.containerName}'`;
  }
}
