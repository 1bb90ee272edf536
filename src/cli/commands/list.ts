import type { Command } from 'commander';
import { toEpochMs, type Timestamp } from '../../common/timestamp';
import { stateContainerOf, type CommandContext } from '../commandContext';
import { parseTenantArgument, resolveTenantScope, TENANT_OPTION_HELP } from '../tenantScope';
import { EXIT } from '../../common/exitCodes';
import { listExportBlobs, type ExportBlob } from '../exportListing';
import { formatBytes } from '../humanUnits';
import { formatTable, type Alignment } from '../textTable';
import { parseTimeArgument } from '../timeArgument';

interface ListOptions {
  readonly from?: Timestamp;
  readonly to?: Timestamp;
  readonly json?: boolean;
  readonly tenant?: string;
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
    tenantId: blob.tenantId ?? null,
  };
}

/** One column of the table: its header, alignment and cell. */
interface ListColumn {
  readonly header: string;
  readonly align: Alignment;
  cell(blob: ExportBlob): string;
}

/** `2026-11-25T08:12:52.8910000Z` → `11-25 08:12` (UTC, to the minute), for the narrow window column. */
function shortTime(timestamp: string | undefined): string {
  return timestamp === undefined ? '?' : `${timestamp.slice(5, 10)} ${timestamp.slice(11, 16)}`;
}

const KIND: ListColumn = { header: 'KIND', align: 'left', cell: (blob) => blob.kind };
const EXECUTED: ListColumn = { header: 'EXECUTED', align: 'left', cell: (blob) => displayTime(blob.executionTime) };
const INCIDENTS: ListColumn = {
  header: 'INCIDENTS',
  align: 'right',
  cell: (blob) => (blob.incidents === undefined ? '?' : String(blob.incidents)),
};
const WINDOW: ListColumn = {
  header: 'WINDOW',
  align: 'left',
  cell: (blob) =>
    blob.windowFrom === undefined && blob.windowTo === undefined
      ? '-'
      : `${blob.windowFrom ?? '?'} → ${blob.windowTo ?? '?'}`,
};
const SHORT_WINDOW: ListColumn = {
  header: 'WINDOW (UTC)',
  align: 'left',
  cell: (blob) =>
    blob.windowFrom === undefined && blob.windowTo === undefined
      ? '-'
      : `${shortTime(blob.windowFrom)} → ${shortTime(blob.windowTo)}`,
};
const SIZE: ListColumn = { header: 'SIZE', align: 'right', cell: (blob) => formatBytes(blob.sizeBytes) };
const BLOB: ListColumn = { header: 'BLOB', align: 'left', cell: (blob) => blob.name };

/**
 * Layouts from the fullest to the narrowest. The blob name stays whole (it is what `show` takes); the kind
 * and execution time go first because the name carries them too.
 */
const LAYOUTS: readonly (readonly ListColumn[])[] = [
  [KIND, EXECUTED, INCIDENTS, WINDOW, SIZE, BLOB],
  [KIND, EXECUTED, INCIDENTS, SHORT_WINDOW, SIZE, BLOB],
  [KIND, INCIDENTS, SHORT_WINDOW, SIZE, BLOB],
  [INCIDENTS, SHORT_WINDOW, SIZE, BLOB],
  [INCIDENTS, SHORT_WINDOW, BLOB],
  [INCIDENTS, SIZE, BLOB],
  [INCIDENTS, BLOB],
];

/**
 * The table in the fullest layout that fits `columns` (undefined: no limit, e.g. piped), and the headers
 * of the full layout it left out (the window shortened to the minute does not count as left out).
 */
export function listTable(blobs: readonly ExportBlob[], columns?: number): { lines: string[]; hidden: string[] } {
  const full = LAYOUTS[0] ?? [];
  let lines: string[] = [];
  let chosen: readonly ListColumn[] = full;
  for (const layout of LAYOUTS) {
    chosen = layout;
    lines = formatTable(
      layout.map((column) => column.header),
      blobs.map((blob) => layout.map((column) => column.cell(blob))),
      layout.map((column) => column.align),
    );
    if (columns === undefined || lines.every((line) => line.length <= columns)) break;
  }
  const shown = chosen.includes(SHORT_WINDOW) ? [...chosen, WINDOW] : chosen;
  return { lines, hidden: full.filter((column) => !shown.includes(column)).map((column) => column.header) };
}

/** `list`: the export and backfill blobs, oldest first, as a table or as JSON. */
export function registerList(program: Command, context: CommandContext): void {
  program
    .command('list')
    .description(
      'List the export blobs (incidents/...) and backfill blobs (backfill/...), newest last: ' +
        'kind, execution time, incidents, window covered, size, name.',
    )
    .option('--from <time>', 'only blobs executed at or after this ISO 8601 time', parseTimeArgument)
    .option('--to <time>', 'only blobs executed at or before this ISO 8601 time', parseTimeArgument)
    .option('--json', 'print a JSON array (for scripts) instead of a table')
    .option(
      '--tenant <id>',
      `only this tenant's blobs (default: every tenant's); ${TENANT_OPTION_HELP}`,
      parseTenantArgument,
    )
    .action(async (options: ListOptions, command: Command) => {
      const { from, to } = options;
      if (from !== undefined && to !== undefined && from > to) {
        command.error(`error: --from ${from} is after --to ${to}: swap the two times.`, {
          exitCode: EXIT.usage,
          code: 'defender-export.fromAfterTo',
        });
      }
      const storage = context.storage();
      const { container } = storage;
      const layout =
        options.tenant === undefined
          ? undefined
          : (await resolveTenantScope(stateContainerOf(storage), options.tenant)).layout;
      const blobs = (await listExportBlobs(container, layout)).filter(
        (blob) => (from === undefined || blob.executionTime >= from) && (to === undefined || blob.executionTime <= to),
      );
      if (options.json === true) {
        context.print(JSON.stringify(blobs.map(toJson), null, 2));
        return;
      }
      if (blobs.length === 0) {
        const filtered = from !== undefined || to !== undefined;
        context.print(
          filtered
            ? `No export blobs in container '${container.containerName}' executed in that time range.`
            : `No export blobs yet in container '${container.containerName}': run 'defender-export run' ` +
                `(or wait for the timer).`,
        );
        return;
      }
      const table = listTable(blobs, context.columns);
      for (const line of table.lines) context.print(line);
      const incidents = blobs.reduce((sum, blob) => sum + (blob.incidents ?? 0), 0);
      const hidden =
        table.hidden.length === 0
          ? ''
          : ` (${table.hidden.join(', ')} left out to fit ${context.columns ?? '?'} columns: widen the ` +
            `terminal, or use --json)`;
      context.print(
        `${blobs.length} blob${blobs.length === 1 ? '' : 's'}, ${incidents} incident` +
          `${incidents === 1 ? '' : 's'}, ` +
          `${formatBytes(blobs.reduce((sum, blob) => sum + blob.sizeBytes, 0))}${hidden}`,
      );
    });
}
