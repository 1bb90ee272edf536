import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ContainerClient } from '@azure/storage-blob';
import { loadStatusConfig } from '../../config/loadConfig';
import { SETTING_TABLE } from '../../config/settings';
import type { RunRecord } from '../../export/exportState';
import { EXPORT_PREFIX } from '../../export/blobNames';
import { TenantRegistryStore } from '../../tenants/registry';
import { stateContainerOf, type CommandContext } from '../commandContext';
import { parseTenantArgument, resolveTenantScope, TENANT_OPTION_HELP } from '../tenantScope';
import { exporterStatus, formatTenantStatuses, reportJson, tenantStatuses, tenantStatusesJson } from '../tenantStatus';
import { EXIT } from '../../common/exitCodes';
import { listOrNothing } from '../exportListing';
import { formatDuration } from '../humanUnits';
import { settingsEnvironment } from '../../config/settingsEnvironment';
import { checkGraphNow } from '../../export/graphCheck';
import type { GraphReadiness } from '../../export/exportState';
import { singleTenantExporter } from '../../tenants/singleTenant';
import { tenantRunnerFor } from '../../tenants/tenantRunner';
import { describeGraph, describeSwitch, type PassProgress, type StatusReport } from '../statusReport';
import { formatFields } from '../textTable';

const MAX_AGE_SETTING = SETTING_TABLE.statusMaxAgeMinutes.name;

function positiveMinutes(text: string): number | undefined {
  const trimmed = text.trim();
  const minutes = Number(trimmed);
  return trimmed !== '' && Number.isFinite(minutes) && minutes > 0 ? minutes : undefined;
}

function parseMaxAgeOption(value: string): number {
  const minutes = positiveMinutes(value);
  if (minutes === undefined)
    throw new InvalidArgumentError(`'${value}' is not a positive number of minutes; use e.g. 60.`);
  return minutes;
}

export async function newestExportName(
  container: ContainerClient,
  prefix = EXPORT_PREFIX,
): Promise<string | undefined> {
  let newest: string | undefined;
  for await (const blob of listOrNothing(container, prefix))
    if (newest === undefined || blob.name > newest) newest = blob.name;
  return newest;
}

function describeRun(record: RunRecord | undefined, ageMs: number | undefined): string {
  if (record === undefined) return 'none';
  const details = [
    record.trigger,
    record.incidents === undefined ? undefined : `${record.incidents} incident${record.incidents === 1 ? '' : 's'}`,
    record.blobs === undefined ? undefined : `${record.blobs.length} blob${record.blobs.length === 1 ? '' : 's'}`,
  ].filter((detail) => detail !== undefined);
  return `${record.at}${ageMs === undefined ? '' : ` (${formatDuration(ageMs)} ago)`}; ${details.join(', ')}`;
}

function describeError(record: RunRecord | undefined, report: StatusReport): string {
  if (record === undefined) return 'none';
  const recovered = report.lastSuccess !== undefined && Date.parse(report.lastSuccess.at) > Date.parse(record.at);
  return (
    `${record.at}${record.code === undefined ? '' : ` ${record.code}`}: ` +
    `${record.message ?? 'no message recorded'}${recovered ? ' (a later run succeeded)' : ''}`
  );
}

function describePass(pass: PassProgress): string {
  const parts = [
    pass.from === undefined ? undefined : `pulling from ${pass.from}`,
    pass.startedAt === undefined ? undefined : `started ${pass.startedAt}`,
    pass.newest === undefined ? undefined : `newest so far ${pass.newest}`,
    pass.cursor === undefined
      ? undefined
      : `next page at ${pass.cursor}${pass.skip === undefined ? '' : ` (skip ${pass.skip})`}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'a pull is in progress' : parts.join(', ');
}

/** The report for people: one `label: value` line each, problems listed under the verdict. */
export function formatStatus(report: StatusReport): string[] {
  const lines = [
    `status: ${report.healthy ? 'healthy' : 'UNHEALTHY'}`,
    ...report.problems.map((problem) => `  - ${problem}`),
  ];
  if (report.watermark === undefined) return lines;
  const fields: [string, string][] = [
    ['watermark', `${report.watermark}${report.lagMs === undefined ? '' : ` (lag ${formatDuration(report.lagMs)})`}`],
    ['last success', describeRun(report.lastSuccess, report.lastSuccessAgeMs)],
    ['last error', describeError(report.lastError, report)],
    [
      'dedupe state',
      `${report.dedupeEntries} incident version${report.dedupeEntries === 1 ? '' : 's'}` +
        ` remembered for the overlap window`,
    ],
  ];
  if (report.inProgress !== undefined) fields.push(['in progress', describePass(report.inProgress)]);
  if (report.graph !== undefined) {
    fields.push(['Graph', describeGraph(report.graph)]);
    const switched = describeSwitch(report.graph);
    if (switched !== undefined) fields.push(['source', switched]);
  }
  fields.push(['max age', `${report.maxAgeMinutes} min`], ['checked at', report.checkedAt]);
  return [...lines, ...formatFields(fields)];
}

/** `status --check-graph`: Graph's readiness now, for the single-tenant exporter or one registered tenant. */
async function checkGraph(context: CommandContext, tenantId: string | undefined): Promise<GraphReadiness> {
  const runtime = context.runtime();
  const deps =
    tenantId === undefined ? singleTenantExporter(runtime) : (await tenantRunnerFor(runtime).exporterOf(tenantId)).deps;
  return checkGraphNow(deps, context.logger);
}

/** `status`: the exporter's health from its state; exit code 3 when unhealthy (for health probes). */
export function registerStatus(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description(
      `Show the watermark, last success and its age, last error, lag, dedupe state and any pull ` +
        `in progress. Exits ${EXIT.unhealthy} when the exporter never ran, the last run failed, or ` +
        `no run succeeded within the max age.`,
    )
    .option(
      '--max-age <minutes>',
      `unhealthy when no run succeeded within this many minutes (default: ${MAX_AGE_SETTING}, else 60)`,
      parseMaxAgeOption,
    )
    .option('--json', 'print the report as JSON (for scripts and probes)')
    .option(
      '--tenant <id>',
      `${TENANT_OPTION_HELP} (default with a registry: every tenant, one row each)`,
      parseTenantArgument,
    )
    .option(
      '--check-graph',
      'check now that the app can read Microsoft Graph incidents (a Graph token and one $top=1 ' +
        "call; needs the full settings); without it, status shows the runs' daily check",
    )
    .action(async (options: { maxAge?: number; json?: boolean; tenant?: string; checkGraph?: boolean }) => {
      const maxAgeMinutes =
        options.maxAge ?? loadStatusConfig(settingsEnvironment(process.env, process.cwd())).statusMaxAgeMinutes;
      const deps = context.storage();
      const containers = { exports: deps.container, state: stateContainerOf(deps) };
      const newest = (prefix: string): Promise<string | undefined> => newestExportName(deps.container, prefix);
      const now = deps.clock.now();
      const registry =
        options.tenant === undefined ? (await new TenantRegistryStore(containers.state).read())?.value : undefined;
      if (registry !== undefined) {
        const statuses = await tenantStatuses(containers, registry.tenants, now, maxAgeMinutes, newest);
        if (options.json === true)
          context.print(JSON.stringify(tenantStatusesJson(statuses, now.toISOString(), maxAgeMinutes), null, 2));
        else for (const line of formatTenantStatuses(statuses, maxAgeMinutes)) context.print(line);
        if (statuses.some((status) => !status.healthy)) context.setExitCode(EXIT.unhealthy);
        return;
      }
      const { layout, tenant } = await resolveTenantScope(containers.state, options.tenant);
      const graphNow = options.checkGraph === true ? await checkGraph(context, tenant?.tenantId) : undefined;
      const { report, runningNow } = await exporterStatus(containers, layout, now, maxAgeMinutes, newest, graphNow);
      if (options.json === true)
        context.print(
          JSON.stringify(
            {
              ...(tenant === undefined ? {} : { tenantId: tenant.tenantId, name: tenant.name ?? null, runningNow }),
              ...reportJson(report),
            },
            null,
            2,
          ),
        );
      else {
        if (tenant !== undefined)
          context.print(
            `tenant:        ${tenant.tenantId}${tenant.name === undefined ? '' : ` (${tenant.name})`}` +
              `${runningNow === true ? '; a run is in progress now' : ''}`,
          );
        for (const line of formatStatus(report)) context.print(line);
      }
      if (!report.healthy) context.setExitCode(EXIT.unhealthy);
    });
}
