import type { ContainerClient } from '@azure/storage-blob';
import { describeError, StorageError } from '../common/errors';
import { TENANTS_PREFIX } from '../export/blobLayout';
import { storageStatusOf } from '../export/jsonBlobStore';
import { REGISTRY_BLOB } from './registry';

/** What `state move` copied. */
export interface StateMove {
  readonly copied: readonly string[];
  /** E.g. "1 state, 2 backfill jobs, the tenant registry, 3 tenant states". */
  readonly describe: string;
}

/**
 * The blobs that make up the state: today's `state/...`, the registry and every tenant's `tenants/<id>/state/...`
 * (not the empty run.lease an older version leased).
 */
async function stateBlobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: 'state/' })) names.push(blob.name);
  for await (const blob of container.listBlobsFlat({ prefix: REGISTRY_BLOB })) names.push(blob.name);
  // One level under tenants/ (the tenant folders), then only their state folders: exports are not read.
  for await (const item of container.listBlobsByHierarchy('/', { prefix: TENANTS_PREFIX })) {
    if (item.kind !== 'prefix') continue;
    for await (const blob of container.listBlobsFlat({ prefix: `${item.name}state/` }))
      if (!blob.name.endsWith('/run.lease')) names.push(blob.name);
  }
  return names;
}

/**
 * Copies the state, backfill jobs and tenant registry from `from` to `to` (created if missing), byte for byte,
 * each with `If-None-Match: *`: a different state already in `to` is never overwritten (the move stops before
 * copying anything and says which); identical copies are skipped, so a move that failed half-way is run again.
 * The originals are left where they are: the export container may be immutable, and keeping them means a
 * deployment still reading `from` loses nothing.
 */
export async function moveState(from: ContainerClient, to: ContainerClient): Promise<StateMove> {
  const names = await stateBlobNames(from).catch((error: unknown) => {
    throw moveError(`Listing the state in container '${from.containerName}' failed`, error);
  });
  if (!(await to.exists())) await to.createIfNotExists();
  // First every blob and what `to` holds under its name: identical copies (a move run again) are fine, others stop it.
  const pending: { readonly name: string; readonly body: Buffer }[] = [];
  const clashes: string[] = [];
  for (const name of names) {
    const body = await from
      .getBlockBlobClient(name)
      .downloadToBuffer()
      .catch((error: unknown) => {
        throw moveError(`Reading ${name} in container '${from.containerName}' failed`, error);
      });
    const there = await to
      .getBlockBlobClient(name)
      .downloadToBuffer()
      .catch((error: unknown) => {
        if (storageStatusOf(error) === 404) return undefined;
        throw moveError(`Reading ${name} in container '${to.containerName}' failed`, error);
      });
    if (there === undefined) pending.push({ name, body });
    else if (!there.equals(body)) clashes.push(name);
  }
  if (clashes.length > 0)
    throw new StorageError(
      `Container '${to.containerName}' already holds another state (` +
        `${clashes.slice(0, 3).join(', ')}${clashes.length > 3 ? ', …' : ''}): nothing was copied. ` +
        `If it is an older copy, delete those blobs first; if it is the state in use, ` +
        `EXPORT_STATE_CONTAINER already points there.`,
      { code: 'StateMoveTargetNotEmpty' },
    );
  for (const { name, body } of pending) {
    try {
      await to.getBlockBlobClient(name).upload(body, body.length, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
    } catch (error) {
      throw moveError(`Copying ${name} to container '${to.containerName}' failed`, error);
    }
  }
  const count = (test: (name: string) => boolean): number => names.filter(test).length;
  const parts = [
    [count((name) => name === 'state/exporter-state.json'), 'state'],
    [count((name) => name.startsWith('state/backfill/')), 'backfill job'],
    [count((name) => name === REGISTRY_BLOB), 'tenant registry'],
    [count((name) => name.startsWith(TENANTS_PREFIX) && name.endsWith('/state/exporter-state.json')), 'tenant state'],
    [count((name) => name.startsWith(TENANTS_PREFIX) && name.includes('/state/backfill/')), 'tenant backfill job'],
  ] as const;
  const describe = parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`)
    .join(', ');
  return { copied: names, describe: describe === '' ? 'no state yet' : describe };
}

function moveError(what: string, error: unknown): StorageError {
  return new StorageError(
    `${what}: ${describeError(error)}. Nothing is lost: the state in use is unchanged; run the move again.`,
    { code: 'StateMoveFailed', statusCode: storageStatusOf(error), retryable: true, cause: error },
  );
}
