import type { Command } from 'commander';
import { StateError } from '../../common/errors';
import { fromDate, type Timestamp } from '../../common/timestamp';
import { STATE_BLOB, type ExportState } from '../../export/exportState';
import { StateStore } from '../../export/stateStore';
import type { CommandContext } from '../commandContext';
import { parseTimeArgument } from '../timeArgument';
import { UsageError } from '../usageError';

/** What a reset does to the exports, in one line: re-exports (back), skips (forward) or starts a state (none). */
export function describeReset(previous: Timestamp | undefined, next: Timestamp): string {
  const since = `the next run exports the incidents updated since ${next} (minus the overlap window)`;
  if (previous === undefined || previous === next) return `state reset: ${since}.`;
  if (next < previous)
    return `state reset: watermark moved back from ${previous} to ${next}: ${since}, so incidents already exported after ${next} are exported again, into new blobs.`;
  return `state reset: watermark moved forward from ${previous} to ${next}: ${since}; incidents updated in between are not exported (run 'defender-export backfill --from ${previous} --to ${next}' to get them).`;
}

/** The current watermark, if a readable state exists: a reset is also the recovery from an unreadable one. */
async function currentWatermark(store: StateStore): Promise<Timestamp | undefined> {
  try {
    return (await store.read()).state?.watermark;
  } catch (error) {
    if (error instanceof StateError) return undefined;
    throw error;
  }
}

/** `state show` and `state reset`: inspect the watermark, and the documented recovery from a lost or corrupted state blob. */
export function registerState(program: Command, context: CommandContext): void {
  const state = program.command('state').description(`Inspect or repair the exporter's state blob (${STATE_BLOB}).`);
  state
    .command('show')
    .description('Print the state blob as JSON.')
    .action(async () => {
      const snapshot = await new StateStore(context.storage().container).read();
      context.print(
        snapshot.state
          ? JSON.stringify(snapshot.state, null, 2)
          : `No state yet (${STATE_BLOB} does not exist): the next run starts from the initial lookback.`,
      );
    });
  state
    .command('reset')
    .description(
      'Replace the state with a new watermark (recovery from a lost or corrupted state). A lower watermark re-exports, never loses; a time in the future is refused.',
    )
    .requiredOption(
      '--watermark <time>',
      'ISO 8601 time the next run continues from (minus the overlap)',
      parseTimeArgument,
    )
    .action(async (options: { watermark: Timestamp }) => {
      const { container, clock } = context.storage();
      const now = clock.now();
      if (options.watermark > fromDate(now)) {
        throw new UsageError(
          `--watermark ${options.watermark} is in the future (now ${fromDate(now)}): every incident updated until then would be skipped. Give a past time.`,
        );
      }
      const store = new StateStore(container);
      const previous = await currentWatermark(store);
      const next: ExportState = {
        schemaVersion: 1,
        watermark: options.watermark,
        exported: {},
        source: 'defender',
        updatedAt: now.toISOString(),
      };
      await store.overwrite(next);
      context.print(describeReset(previous, options.watermark));
    });
}
