import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseTimestamp, type Timestamp } from '../../common/timestamp';
import { STATE_BLOB, type ExportState } from '../../export/exportState';
import { StateStore } from '../../export/stateStore';
import type { CommandContext } from '../commandContext';

export function parseTimeOption(value: string): Timestamp {
  const parsed = parseTimestamp(value);
  if (!parsed) throw new InvalidArgumentError(`'${value}' is not an ISO 8601 time; use e.g. 2026-11-27T07:30:00Z.`);
  return parsed;
}

/** `state show` and `state reset`: inspect the watermark, and the documented recovery from a lost or corrupted state blob. */
export function registerState(program: Command, context: CommandContext): void {
  const state = program.command('state').description(`Inspect or repair the exporter's state blob (${STATE_BLOB}).`);
  state
    .command('show')
    .description('Print the state blob as JSON.')
    .action(async () => {
      const snapshot = await new StateStore(context.storage().container).read();
      context.print(snapshot.state ? JSON.stringify(snapshot.state, null, 2) : `No state yet (${STATE_BLOB} does not exist): the next run starts from the initial lookback.`);
    });
  state
    .command('reset')
    .description('Replace the state with a new watermark (recovery from a lost or corrupted state). A lower watermark re-exports, never loses.')
    .requiredOption('--watermark <time>', 'ISO 8601 time the next run continues from (minus the overlap)', parseTimeOption)
    .action(async (options: { watermark: Timestamp }) => {
      const now = new Date().toISOString();
      const next: ExportState = { schemaVersion: 1, watermark: options.watermark, exported: {}, source: 'defender', updatedAt: now };
      await new StateStore(context.storage().container).overwrite(next);
      context.print(`state reset: the next run exports incidents updated since ${options.watermark} (minus the overlap window).`);
    });
}
