import type { ContainerClient } from '@azure/storage-blob';
import { describeError } from '../common/errors';
import { tenantLayout, type BlobLayout } from '../export/blobLayout';
import type { GraphReadiness } from '../export/exportState';
import { StateStore } from '../export/stateStore';
import type { TenantEntry } from '../tenants/registry';
import { claimIsLive } from '../export/runClaim';
import { formatDuration } from './humanUnits';
import { assessStatus, describeGraph, type StatusReport } from './statusReport';
import { formatTable } from './textTable';

/** One tenant's health: its report (undefined when its state could not be read), whether a run holds it now. */
export interface TenantStatus {
  readonly tenant: TenantEntry;
  readonly report: StatusReport | undefined;
  /** Why the report is missing (a corrupted or unreadable state). */
  readonly unreadable: string | undefined;
  readonly runningNow: boolean;
  /** Judged only when enabled: a disabled tenant is neither healthy nor unhealthy. */
  readonly healthy: boolean;
}

/** How many tenants' states are read at once. */
const READ_CONCURRENCY = 8;

/** The report of one exporter's state (single tenant or registered tenant) and whether a run holds it now (its claim). */
export async function exporterStatus(
  containers: { readonly exports: ContainerClient; readonly state: ContainerClient },
  layout: BlobLayout,
  now: Date,
  maxAgeMinutes: number,
  newestExport: (prefix: string) => Promise<string | undefined>,
  graphNow?: GraphReadiness,
): Promise<{ report: StatusReport; runningNow: boolean | undefined }> {
  const snapshot = await new StateStore(containers.state, layout).read();
  const { state } = snapshot;
  const report = assessStatus(
    state,
    now,
    maxAgeMinutes,
    state === undefined ? await newestExport(layout.exportPrefix) : undefined,
    layout,
    graphNow,
  );
  const runningNow = layout.tenantId === undefined ? undefined : claimIsLive(snapshot);
  return { report, runningNow };
}

/** Every registered tenant's health, in registry order. */
export async function tenantStatuses(
  containers: { readonly exports: ContainerClient; readonly state: ContainerClient },
  tenants: readonly TenantEntry[],
  now: Date,
  maxAgeMinutes: number,
  newestExport: (prefix: string) => Promise<string | undefined>,
): Promise<TenantStatus[]> {
  const statuses: TenantStatus[] = [];
  for (let start = 0; start < tenants.length; start += READ_CONCURRENCY) {
    const batch = tenants.slice(start, start + READ_CONCURRENCY);
    statuses.push(
      ...(await Promise.all(
        batch.map(async (tenant): Promise<TenantStatus> => {
          try {
            const { report, runningNow } = await exporterStatus(
              containers,
              tenantLayout(tenant.tenantId),
              now,
              maxAgeMinutes,
              newestExport,
            );
            return {
              tenant,
              report,
              unreadable: undefined,
              runningNow: runningNow === true,
              healthy: !tenant.enabled || report.healthy,
            };
          } catch (error) {
            return {
              tenant,
              report: undefined,
              unreadable: describeError(error),
              runningNow: false,
              healthy: !tenant.enabled,
            };
          }
        }),
      )),
    );
  }
  return statuses;
}

function verdict(status: TenantStatus): string {
  if (!status.tenant.enabled) return 'disabled';
  return status.healthy ? 'healthy' : 'UNHEALTHY';
}

/** One row per tenant (name, health, watermark lag, last success, last error, running now), the problems below. */
export function formatTenantStatuses(statuses: readonly TenantStatus[], maxAgeMinutes: number): string[] {
  const unhealthy = statuses.filter((status) => !status.healthy);
  const rows = statuses.map((status) => {
    const report = status.report;
    const lastError = report?.lastError;
    return [
      status.tenant.tenantId,
      status.tenant.name ?? '-',
      verdict(status),
      report?.lagMs === undefined ? '-' : formatDuration(report.lagMs),
      report?.lastSuccessAgeMs === undefined ? 'never' : `${formatDuration(report.lastSuccessAgeMs)} ago`,
      lastError === undefined ? '-' : `${lastError.at}${lastError.code === undefined ? '' : ` ${lastError.code}`}`,
      status.runningNow ? 'yes' : 'no',
    ];
  });
  const problems = unhealthy.flatMap((status) =>
    status.unreadable !== undefined
      ? [`  - ${status.tenant.tenantId}: ${status.unreadable}`]
      : (status.report?.problems ?? []).map((problem) => `  - ${status.tenant.tenantId}: ${problem}`),
  );
  const graphNotReady = statuses.flatMap((status) =>
    status.report?.graph?.ready === false
      ? [`  - ${status.tenant.tenantId}: Graph ${describeGraph(status.report.graph)}`]
      : [],
  );
  return [
    `status: ${unhealthy.length === 0 ? 'healthy' : 'UNHEALTHY'} (${statuses.length} tenant` +
      `${statuses.length === 1 ? '' : 's'}` +
      `${unhealthy.length === 0 ? '' : `, ${unhealthy.length} unhealthy`}; max age ` +
      `${maxAgeMinutes} min)`,
    ...problems,
    ...formatTable(['TENANT', 'NAME', 'STATUS', 'LAG', 'LAST SUCCESS', 'LAST ERROR', 'RUNNING'], rows, [
      'left',
      'left',
      'left',
      'right',
      'right',
      'left',
      'left',
    ]),
    ...(graphNotReady.length === 0
      ? []
      : ['Microsoft Graph not ready (INCIDENTS_API=auto moves there when the Defender API ends):', ...graphNotReady]),
  ];
}

/** A report as JSON: absent facts as null, so a script sees every field. */
export function reportJson(report: StatusReport): Record<string, unknown> {
  return Object.fromEntries(Object.entries(report).map(([field, value]) => [field, value ?? null]));
}

/** `status --json` with a registry: the verdict, then one object per tenant. */
export function tenantStatusesJson(
  statuses: readonly TenantStatus[],
  checkedAt: string,
  maxAgeMinutes: number,
): unknown {
  return {
    healthy: statuses.every((status) => status.healthy),
    checkedAt,
    maxAgeMinutes,
    // The tenant's verdict wins over its report's: a disabled tenant is not judged (healthy, enabled false).
    tenants: statuses.map((status) => ({
      ...(status.report === undefined ? {} : reportJson(status.report)),
      tenantId: status.tenant.tenantId,
      name: status.tenant.name ?? null,
      enabled: status.tenant.enabled,
      healthy: status.healthy,
      runningNow: status.runningNow,
      unreadable: status.unreadable ?? null,
    })),
  };
}
