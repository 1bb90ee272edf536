import type { Command } from 'commander';
import { toEpochMs, type Timestamp } from '../../common/timestamp';
import type { CommandContext } from '../commandContext';
import { EXIT } from '../exitCodes';
import { listExportBlobs, type ExportBlob } from '../exportListing';
import { formatBytes } from '../humanUnits';
import { formatTable } from '../textTable';
import { parseTimeOption } from './state';

interface ListOptions {
  readonly from?: Timestamp;
  readonly to?: Timestamp;
  readonly json?: boolean;
}

/** The execution time as written in blob names and logs (milliseconds, `Z`). */
export function displayTime(timestamp: Timestamp): string {
  return new Date(toEpochMs(timestamp)).toISOString();
}

/** One blob as `list --json` prints it: stable field names for scripts. */
function toJson(blob: ExportBlob): Record<string, unknown> {
  return {
    name: blob.name,
    kind: blob.kind,
    executionTime: displayTime(blob.executionTime),
    part: blob.part ?? null,
    incidents: blob.incidents ?? null,
    windowFrom: blob.windowFrom ?? null,
    windowTo: blob.windowTo ?? null,
    sizeBytes: blob.sizeBytes,
    format: blob.format,
    compression: blob.gzip ? 'gzip' : 'none',
    source: blob.metadata.source ?? null,
    trigger: blob.metadata.trigger ?? null,
    runId: blob.metadata.runid ?? null,
  };
}

function toRow(blob: ExportBlob): string[] {
  const window = blob.windowFrom === undefined && blob.windowTo === undefined ? '-' : `${blob.windowFrom ?? '?'} → ${blob.windowTo ?? '?'}`;
  return [blob.kind, displayTime(blob.executionTime), blob.incidents === undefined ? '?' : String(blob.incidents), window, formatBytes(blob.sizeBytes), blob.name];
}

/** `list`: the export and backfill blobs, oldest first, as a table or as JSON. */
export function registerList(program: Command, context: CommandContext): void {
  program
    .command('list')
    .description('List the export blobs (incidents/...) and backfill blobs (backfill/...), newest last: kind, execution time, incidents, window covered, size, name.')
    .option('--from <time>', 'only blobs executed at or after this ISO 8601 time', parseTimeOption)
    .option('--to <time>', 'only blobs executed at or before this ISO 8601 time', parseTimeOption)
    .option('--json', 'print a JSON array (for scripts) instead of a table')
    .action(async (options: ListOptions, command: Command) => {
      const { from, to } = options;
      if (from !== undefined && to !== undefined && from > to) {
        command.error(`error: --from ${from} is after --to ${to}: swap the two times.`, { exitCode: EXIT.usage, code: 'defender-export.fromAfterTo' });
      }
      const container = context.storage().container;
      const blobs = (await listExportBlobs(container)).filter((blob) => (from === undefined || blob.executionTime >= from) && (to === undefined || blob.executionTime <= to));
      if (options.json === true) {
        context.print(JSON.stringify(blobs.map(toJson), null, 2));
        return;
      }
      if (blobs.length === 0) {
        const filtered = from !== undefined || to !== undefined;
        context.print(filtered ? `No export blobs in container '${container.containerName}' executed in that time range.` : `No export blobs yet in container '${container.containerName}': run 'defender-export run' (or wait for the timer).`);
        return;
      }
      for (const line of formatTable(['KIND', 'EXECUTED', 'INCIDENTS', 'WINDOW', 'SIZE', 'BLOB'], blobs.map(toRow), ['left', 'left', 'right', 'left', 'right', 'left'])) context.print(line);
      const incidents = blobs.reduce((sum, blob) => sum + (blob.incidents ?? 0), 0);
      context.print(`${blobs.length} blob${blobs.length === 1 ? '' : 's'}, ${incidents} incident${incidents === 1 ? '' : 's'}, ${formatBytes(blobs.reduce((sum, blob) => sum + blob.sizeBytes, 0))}`);
    });
}
