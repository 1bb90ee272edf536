import type { Command } from 'commander';
import { fromDate, type Timestamp } from '../../common/timestamp';
import { validateBackfillWindow, type BackfillJob } from '../../export/backfillJob';
import { runBackfill, startBackfill } from '../../export/runBackfill';
import { singleTenantExporter } from '../../tenants/singleTenant';
import { tenantRunnerFor } from '../../tenants/tenantRunner';
import type { CommandContext } from '../commandContext';
import { parseTenantArgument, resolveTenantScope, TENANT_OPTION_HELP } from '../tenantScope';
import { EXIT } from '../../common/exitCodes';
import { ProgressReporter, type ProgressStart } from '../progressReporter';
import { routeStderrLines } from '../terminal';
import { parseTimeArgument } from '../timeArgument';

interface BackfillFlags {
  readonly from: Timestamp;
  readonly to?: Timestamp;
  readonly restart?: boolean;
  readonly tenant?: string;
}

/** Where a job stands: a resumed job's bar starts at the share of the window it already covered. */
export function jobProgress(job: BackfillJob): ProgressStart {
  const spanMs = Date.parse(job.to) - Date.parse(job.from);
  const fraction =
    job.cursor === undefined || spanMs <= 0
      ? 0
      : Math.min(1, Math.max(0, (Date.parse(job.to) - Date.parse(job.cursor)) / spanMs));
  return { fraction, pages: job.pages, incidents: job.incidents };
}

/**
 * Ctrl+C during a backfill: the first is acknowledged at once and stops the run at the next page boundary
 * (ending any wait for the API quota), committing what was read; a second stops the process now, losing
 * nothing committed (the same command resumes from the last committed part).
 */
function interruptions(
  context: CommandContext,
  reporter: ProgressReporter,
): { readonly requested: () => boolean; dispose(): void } {
  let requested = false;
  const onSignal = (): void => {
    if (requested) {
      reporter.stop();
      process.stderr.write('Stopped now. Run the same command again to resume from the last committed part.\n');
      process.exit(EXIT.interrupted);
    }
    requested = true;
    reporter.log(
      'Ctrl+C: stopping at the next page boundary and committing what was read; press Ctrl+C again to stop now.',
    );
    reporter.stopping();
    context.waits?.stopWaiting();
  };
  process.on('SIGINT', onSignal);
  return { requested: () => requested, dispose: () => process.off('SIGINT', onSignal) };
}

/** `backfill`: re-export a window into backfill/... blobs, resumable, without moving the watermark. */
export function registerBackfill(program: Command, context: CommandContext): void {
  program
    .command('backfill')
    .description(
      'Re-export the incidents updated in a window into backfill/... blobs, without moving the ' +
        'watermark. Interrupted? Run the same command again: it resumes.',
    )
    .requiredOption(
      '--from <time>',
      'start of the window (ISO 8601 with Z or an offset, inclusive); at most 180 days back (the API keeps no more)',
      parseTimeArgument,
    )
    .option(
      '--to <time>',
      'end of the window (ISO 8601 with Z or an offset, exclusive); default now',
      parseTimeArgument,
    )
    .option('--restart', 'export a window again although its backfill is complete')
    .option('--tenant <id>', TENANT_OPTION_HELP, parseTenantArgument)
    .action(async (flags: BackfillFlags, command: Command) => {
      const runtime = context.runtime();
      const { tenant } = await resolveTenantScope(runtime.platform.stateContainer, flags.tenant);
      const deps =
        tenant === undefined
          ? singleTenantExporter(runtime)
          : (await tenantRunnerFor(runtime).exporterOf(tenant.tenantId)).deps;
      const now = deps.clock.now();
      if (flags.to === undefined && flags.from >= fromDate(now)) {
        command.error(
          `error: --from ${flags.from} is in the future (now ${fromDate(now)}): a backfill ` +
            `re-exports a past window; give an earlier time.`,
          { exitCode: EXIT.usage, code: 'defender-export.fromInFuture' },
        );
      }
      const window = validateBackfillWindow(flags.from, flags.to, now);
      if (!window.from || !window.to) {
        command.error(`error: ${window.problems.join(' ')}`, { exitCode: EXIT.usage, code: 'defender-export.usage' });
        return;
      }
      const job = await startBackfill(deps, window.from, window.to, 'cli', { restart: flags.restart });
      if (job.status === 'complete') {
        context.print(
          `backfill ${job.id} is already complete (${job.incidents} incidents in ${job.blobs.length}` +
            ` blobs); add --restart to export the window again.`,
        );
        return;
      }
      const start = jobProgress(job);
      if (job.cursor !== undefined)
        context.note(
          `resuming backfill ${job.id} at ${Math.floor(start.fraction * 100)}%: ${job.incidents}` +
            ` incidents in ${job.blobs.length} blob${job.blobs.length === 1 ? '' : 's'}` +
            ` already exported.`,
        );
      const reporter = new ProgressReporter(start, {
        tty: process.stderr.isTTY,
        columns: () => process.stderr.columns,
        write: (text) => process.stderr.write(text),
        now: () => Date.now(),
      });
      const unrouteLines = routeStderrLines((line) => reporter.log(line));
      const stopWaitReports = context.waits?.onWait((waitMs) => reporter.waiting(waitMs));
      const interrupt = interruptions(context, reporter);
      try {
        const result = await runBackfill(deps, job.id, {
          trigger: 'cli',
          logger: context.logger,
          budgetMs: Number.MAX_SAFE_INTEGER / 4,
          shouldContinue: () => !interrupt.requested(),
          onProgress: (progress) => reporter.update(progress),
        });
        reporter.stop();
        const state =
          result.job.status === 'complete'
            ? 'complete'
            : `paused (${result.stoppedBecause ?? 'stopped'}); run the same command again to resume`;
        context.print(
          `backfill ${result.job.id} ${state}: ${result.job.incidents} incidents in ` +
            `${result.job.blobs.length} blob${result.job.blobs.length === 1 ? '' : 's'} (` +
            `${result.incidents} this time); window ${result.job.from} to ${result.job.to}`,
        );
        if (result.job.status !== 'complete')
          context.setExitCode(interrupt.requested() ? EXIT.interrupted : EXIT.failed);
      } finally {
        reporter.stop();
        interrupt.dispose();
        stopWaitReports?.();
        unrouteLines();
      }
    });
}
