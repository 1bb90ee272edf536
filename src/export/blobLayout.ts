import { BACKFILL_PREFIX, EXPORT_PREFIX } from './blobNames';
import { RECOVERY_HINT, STATE_BLOB } from './exportState';

/** Prefix of every blob of one registered tenant, in the export and in the state container. */
export const TENANTS_PREFIX = 'tenants/';

/**
 * Where one exporter's blobs live. Without a tenant registry: today's names (`incidents/...`,
 * `state/exporter-state.json`, ...). With one: the same names under `tenants/<tenantId>/`, in the export
 * container (exports, backfills) and in the state container (state, backfill jobs).
 */
export interface BlobLayout {
  /** The registered tenant; undefined in single-tenant mode. */
  readonly tenantId: string | undefined;
  /** '' or `tenants/<tenantId>/`. */
  readonly root: string;
  /** Export blobs: `<root>incidents/`. */
  readonly exportPrefix: string;
  /** Backfill blobs: `<root>backfill/`. */
  readonly backfillPrefix: string;
  /** The state blob: `<root>state/exporter-state.json`. */
  readonly stateBlob: string;
  /** Backfill jobs: `<root>state/backfill/`. */
  readonly backfillJobPrefix: string;
  /** The sentence that names the recovery commands (with `--tenant` for a registered tenant). */
  readonly recoveryHint: string;
}

const BACKFILL_JOB_PREFIX = 'state/backfill/';

function layoutUnder(root: string, tenantId: string | undefined): BlobLayout {
  return Object.freeze({
    tenantId,
    root,
    exportPrefix: `${root}${EXPORT_PREFIX}`,
    backfillPrefix: `${root}${BACKFILL_PREFIX}`,
    stateBlob: `${root}${STATE_BLOB}`,
    backfillJobPrefix: `${root}${BACKFILL_JOB_PREFIX}`,
    recoveryHint:
      tenantId === undefined
        ? RECOVERY_HINT
        : RECOVERY_HINT.replace(
            /'defender-export state (show|reset)/g,
            `'defender-export state $1 --tenant ${tenantId}`,
          ),
  });
}

/** Today's layout: one tenant, from DEFENDER_TENANT_ID, names unchanged. */
export const SINGLE_TENANT_LAYOUT: BlobLayout = layoutUnder('', undefined);

/** The layout of a registered tenant: everything under `tenants/<tenantId>/`. */
export function tenantLayout(tenantId: string): BlobLayout {
  return layoutUnder(`${TENANTS_PREFIX}${tenantId}/`, tenantId);
}

/** Blob metadata that names the tenant of a blob (`tenantid`), empty in single-tenant mode. */
export function tenantMetadata(layout: BlobLayout): Record<string, string> {
  return layout.tenantId === undefined ? {} : { tenantid: layout.tenantId };
}
