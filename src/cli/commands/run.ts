import type { Command } from 'commander';
import { runExport, type RunSummary } from '../../export/runExport';
import type { CommandContext } from '../commandContext';

/** One line a person can read, with the figures a script needs. */
export function formatSummary(summary: RunSummary): string {
  const blobs = summary.blobs.length === 0 ? 'no blob (nothing new)' : `${summary.blobs.length} blob${summary.blobs.length === 1 ? '' : 's'} (${summary.blobs.join(', ')})`;
  return `exported ${summary.incidents} incident${summary.incidents === 1 ? '' : 's'} to ${blobs}; watermark ${summary.watermarkAfter}${summary.watermarkBefore && summary.watermarkBefore !== summary.watermarkAfter ? ` (was ${summary.watermarkBefore})` : summary.watermarkBefore ? ' (unchanged)' : ' (first run)'}; ${summary.pages} page${summary.pages === 1 ? '' : 's'}, ${summary.duplicatesDropped} already exported, ${summary.throttledWaits} throttled wait${summary.throttledWaits === 1 ? '' : 's'}, ${(summary.durationMs / 1000).toFixed(1)} s${summary.complete ? '' : '; incomplete: stopped at the run budget, the next run continues the pull'}`;
}

export function registerRun(program: Command, context: CommandContext): void {
  program
    .command('run')
    .description('Export now: the same run as the timer (reads the secret, pulls since the watermark, writes one blob, advances the watermark).')
    .action(async () => {
      const { deps } = context.runtime();
      const summary = await runExport(deps, { trigger: 'cli', logger: context.logger });
      context.print(formatSummary(summary));
    });
}
