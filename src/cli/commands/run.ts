import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Logger, LogProperties } from '../../common/logger';
import { runExport } from '../../export/runExport';
import { formatSummary } from '../../export/runSummary';
import { singleTenantExporter } from '../../tenants/singleTenant';
import { formatTenantResult, formatTenantTotal, type TenantResult } from '../../tenants/tenantResult';
import { tenantRunnerFor, type TenantEntry } from '../../tenants/tenantRunner';
import type { CommandContext } from '../commandContext';
import { EXIT } from '../../common/exitCodes';
import { parseTenantArgument, resolveTenantScope, TENANT_OPTION_HELP } from '../tenantScope';

/** Tenants exported at once by `run` when a registry exists, unless --concurrency says otherwise. */
const DEFAULT_CONCURRENCY = 4;

function parseConcurrency(value: string): number {
  const count = Number(value.trim());
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new InvalidArgumentError(`'${value}' is not a whole number from 1 to 64.`);
  return count;
}

/** The logger of one tenant's run: every line names the tenant (concurrent runs interleave on stderr). */
function tenantLogger(logger: Logger, tenantId: string): Logger {
  const tagged = (properties?: LogProperties): LogProperties => ({ tenantId, ...properties });
  return {
    info: (message, properties) => logger.info(message, tagged(properties)),
    warn: (message, properties) => logger.warn(message, tagged(properties)),
    error: (message, properties) => logger.error(message, tagged(properties)),
  };
}

/** Runs `work` on every item, at most `concurrency` at a time, in order of start; resolves with every result. */
async function boundedAll<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export function registerRun(program: Command, context: CommandContext): void {
  program
    .command('run')
    .description(
      'Export now: the same run as the timer (reads the secret, pulls since the watermark, ' +
        'writes the blobs, advances the watermark). With a tenant registry: every enabled tenant ' +
        '(or --tenant), one line each and a total; exit 1 if any failed (the others are still exported).',
    )
    .option('--tenant <id>', TENANT_OPTION_HELP, parseTenantArgument)
    .option(
      '--concurrency <n>',
      `tenants exported at once with a registry (default ${DEFAULT_CONCURRENCY})`,
      parseConcurrency,
    )
    .action(async (options: { tenant?: string; concurrency?: number }) => {
      const runtime = context.runtime();
      const runner = tenantRunnerFor(runtime);
      runner.beginTick();
      if (options.tenant !== undefined) {
        // An unknown tenant is bad input (exit 2); a failed run throws its own one-line error (exit 1).
        const { tenant } = await resolveTenantScope(runtime.platform.stateContainer, options.tenant);
        const outcome = await runner.runTenant(options.tenant, {
          trigger: 'cli',
          logger: context.logger,
          continueBackfills: false,
        });
        if (tenant !== undefined) context.print(formatTenantResult({ tenant, outcome }));
        return;
      }
      const tenants = await runner.enabledTenants();
      if (tenants === undefined) {
        const summary = await runExport(singleTenantExporter(runtime), { trigger: 'cli', logger: context.logger });
        context.print(formatSummary(summary));
        return;
      }
      if (tenants.length === 0) {
        context.print(
          "No enabled tenant in the tenant registry: nothing to export (see 'defender-export tenants list').",
        );
        return;
      }
      const results = await boundedAll(tenants, options.concurrency ?? DEFAULT_CONCURRENCY, runTenant);
      for (const result of results) context.print(formatTenantResult(result));
      context.print(formatTenantTotal(results));
      if (results.some((result) => 'error' in result)) context.setExitCode(EXIT.failed);

      async function runTenant(tenant: TenantEntry): Promise<TenantResult> {
        try {
          const outcome = await runner.runTenant(tenant.tenantId, {
            trigger: 'cli',
            logger: tenantLogger(context.logger, tenant.tenantId),
            continueBackfills: false,
          });
          return { tenant, outcome };
        } catch (error) {
          return { tenant, error };
        }
      }
    });
}
