import type { Command } from 'commander';
import { runExport } from '../../export/runExport';
import { formatSummary } from '../../export/runSummary';
import type { CommandContext } from '../commandContext';

export function registerRun(program: Command, context: CommandContext): void {
  program
    .command('run')
    .description(
      'Export now: the same run as the timer (reads the secret, pulls since the watermark, writes one blob, advances the watermark).',
    )
    .action(async () => {
      const { deps } = context.runtime();
      const summary = await runExport(deps, { trigger: 'cli', logger: context.logger });
      context.print(formatSummary(summary));
    });
}
