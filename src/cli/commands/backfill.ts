import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { validateBackfillWindow } from '../../export/backfillJob';
import { runBackfill, startBackfill, type BackfillProgress } from '../../export/runBackfill';
import type { CommandContext } from '../commandContext';

interface BackfillFlags {
  readonly from?: string;
  readonly to?: string;
  readonly restart?: boolean;
}

/** Progress on a terminal: a bar (pages, incidents, rate, ETA); elsewhere: a plain line per page. */
function progressReporter(print: (line: string) => void): { update(progress: BackfillProgress): void; stop(): void } {
  const started = Date.now();
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: 'backfill [{bar}] {percentage}% | {pages} pages | {incidents} incidents | {rate}/s | ETA {eta_formatted}', stream: process.stderr, etaBuffer: 20 });
    bar.start(1000, 0, { pages: 0, incidents: 0, rate: 0 });
    return {
      update: ({ job, fraction }) => bar.update(Math.round(fraction * 1000), { pages: job.pages, incidents: job.incidents, rate: Math.round(job.incidents / Math.max(0.001, (Date.now() - started) / 1000)) }),
      stop: () => bar.stop(),
    };
  }
  return {
    update: ({ job, fraction }) => {
      const elapsedS = (Date.now() - started) / 1000;
      const etaS = fraction > 0 ? Math.round((elapsedS / fraction) * (1 - fraction)) : undefined;
      print(`progress: ${(fraction * 100).toFixed(1)}% pages=${job.pages} incidents=${job.incidents} rate=${Math.round(job.incidents / Math.max(0.001, elapsedS))}/s eta=${etaS === undefined ? '?' : `${etaS}s`}`);
    },
    stop: () => undefined,
  };
}

/** `backfill`: re-export a window into backfill/... blobs, resumable, without moving the watermark. */
export function registerBackfill(program: Command, context: CommandContext): void {
  program
    .command('backfill')
    .description('Re-export the incidents updated in a window into backfill/... blobs, without moving the watermark. Interrupted? Run the same command again: it resumes.')
    .requiredOption('--from <time>', 'start of the window (ISO 8601, inclusive); at most 180 days back (the API keeps no more)')
    .option('--to <time>', 'end of the window (ISO 8601, exclusive); default now')
    .option('--restart', 'export a window again although its backfill is complete')
    .action(async (flags: BackfillFlags, command: Command) => {
      const { deps } = context.runtime();
      const window = validateBackfillWindow(flags.from, flags.to, deps.clock.now());
      if (!window.from || !window.to) {
        command.error(`error: ${window.problems.join(' ')}`, { exitCode: 2, code: 'defender-export.usage' });
        return;
      }
      const job = await startBackfill(deps, window.from, window.to, 'cli', { restart: flags.restart });
      if (job.status === 'complete') {
        context.print(`backfill ${job.id} is already complete (${job.incidents} incidents in ${job.blobs.length} blobs); add --restart to export the window again.`);
        return;
      }
      let interrupted = false;
      const onSignal = (): void => {
        if (interrupted) process.exit(130);
        interrupted = true;
      };
      process.on('SIGINT', onSignal);
      const reporter = progressReporter((line) => process.stderr.write(`${line}\n`));
      try {
        const result = await runBackfill(deps, job.id, { trigger: 'cli', logger: context.logger, budgetMs: Number.MAX_SAFE_INTEGER / 4, shouldContinue: () => !interrupted, onProgress: (p) => reporter.update(p) });
        reporter.stop();
        const state = result.job.status === 'complete' ? 'complete' : `paused (${result.stoppedBecause ?? 'stopped'}); run the same command again to resume`;
        context.print(`backfill ${result.job.id} ${state}: ${result.job.incidents} incidents in ${result.job.blobs.length} blob${result.job.blobs.length === 1 ? '' : 's'} (${result.incidents} this time); window ${result.job.from} to ${result.job.to}`);
        if (result.job.status !== 'complete') context.setExitCode(interrupted ? 130 : 1);
      } finally {
        reporter.stop();
        process.off('SIGINT', onSignal);
      }
    });
}
