import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ContainerClient } from '@azure/storage-blob';
import { ExporterError } from '../../common/errors';
import type { BlobLayout } from '../../export/blobLayout';
import { stateContainerOf, type CommandContext } from '../commandContext';
import { parseTenantArgument, resolveTenantScope, TENANT_OPTION_HELP } from '../tenantScope';
import { listExportBlobs } from '../exportListing';
import { matchesFilter } from '../incidentFilter';
import { readExportBlob } from '../readExportBlob';

interface ShowOptions {
  readonly ndjson?: boolean;
  readonly id?: string;
  readonly severity?: string;
  readonly tenant?: string;
}

function nonEmpty(what: string): (value: string) => string {
  return (value) => {
    const trimmed = value.trim();
    if (trimmed === '') throw new InvalidArgumentError(`${what} must not be empty.`);
    return trimmed;
  };
}

/**
 * Severities of both APIs, compared without case: Defender's (UnSpecified, Informational, Low, Medium, High) and
 * Graph's (unknown, ..., unknownFutureValue).
 */
const SEVERITIES = ['high', 'medium', 'low', 'informational', 'unspecified', 'unknown', 'unknownfuturevalue'];

/** A severity one of the APIs writes; anything else would silently match nothing. */
export function parseSeverity(value: string): string {
  const severity = value.trim();
  if (!SEVERITIES.includes(severity.toLowerCase()))
    throw new InvalidArgumentError(
      `'${severity}' is not a severity: use high, medium, low or informational (or unspecified, unknown), in any case.`,
    );
  return severity;
}

/** Why nothing was shown, on stderr: an empty result of a filter looks the same as a typo otherwise. */
function describeNoMatch(options: ShowOptions, names: readonly string[], read: number): string {
  const criteria = [
    options.id === undefined ? undefined : `id ${options.id}`,
    options.severity === undefined ? undefined : `severity ${options.severity}`,
  ].filter((criterion) => criterion !== undefined);
  return (
    `no incident with ${criteria.join(' and ')} in ` +
    `${names.length === 1 ? (names[0] ?? '') : `the ${names.length} parts of the run`} (${read}` +
    ` incident${read === 1 ? '' : 's'} read).`
  );
}

/**
 * The blobs `show` reads: `latest` is every part of the newest export run (`incidents/...`, not
 * backfills); anything else is a blob name, as `list` prints it or as copied from Storage Explorer
 * (with the container in front).
 */
async function resolveBlobs(
  container: ContainerClient,
  blob: string,
  layout: () => Promise<BlobLayout>,
): Promise<string[]> {
  if (blob === 'latest') {
    const exports = (await listExportBlobs(container, await layout())).filter((listed) => listed.kind === 'export');
    const newest = exports.at(-1);
    if (newest === undefined)
      throw new ExporterError(
        `No export blobs yet in container '${container.containerName}', so there is no latest one: ` +
          `run 'defender-export run' (or wait for the timer).`,
        { code: 'NoExports' },
      );
    return exports.filter((listed) => listed.executionTime === newest.executionTime).map((listed) => listed.name);
  }
  const withoutSlash = blob.replace(/^\/+/, '');
  const containerPrefix = `${container.containerName}/`;
  return [withoutSlash.startsWith(containerPrefix) ? withoutSlash.slice(containerPrefix.length) : withoutSlash];
}

/** `show`: the incidents of one export, pretty JSON or NDJSON, optionally filtered. */
export function registerShow(program: Command, context: CommandContext): void {
  program
    .command('show')
    .description(
      'Print the incidents of one export blob: a pretty JSON array, or one JSON object per line ' +
        "with --ndjson (pipe into jq). 'latest' is the newest export run.",
    )
    .argument('<blob>', "blob name as 'defender-export list' prints it (incidents/YYYY/MM/DD/....json), or 'latest'")
    .option('--ndjson', 'one compact JSON object per line instead of a pretty array')
    .option(
      '--id <incidentId>',
      "only the incident with this id (Defender's incidentId or Graph's id)",
      nonEmpty('--id'),
    )
    .option(
      '--severity <severity>',
      'only incidents of this severity: high, medium, low, informational (case-insensitive)',
      parseSeverity,
    )
    .option(
      '--tenant <id>',
      `for 'latest': the newest export of this tenant; ${TENANT_OPTION_HELP}`,
      parseTenantArgument,
    )
    .action(async (blob: string, options: ShowOptions) => {
      const storage = context.storage();
      const { container } = storage;
      // 'latest' of which exporter: --tenant, the only registered tenant, or the single tenant without a registry.
      const names = await resolveBlobs(
        container,
        blob,
        async () => (await resolveTenantScope(stateContainerOf(storage), options.tenant)).layout,
      );
      const incidents: unknown[] = [];
      for (const name of names) {
        context.logger.info('Reading export blob', { blob: name });
        incidents.push(...(await readExportBlob(container, name)));
      }
      const shown = incidents.filter((incident) =>
        matchesFilter(incident, { id: options.id, severity: options.severity }),
      );
      context.logger.info('Incidents shown', { incidents: incidents.length, shown: shown.length });
      if (shown.length === 0 && incidents.length > 0 && (options.id !== undefined || options.severity !== undefined))
        context.note(describeNoMatch(options, names, incidents.length));
      if (options.ndjson === true) {
        for (const incident of shown) context.print(JSON.stringify(incident));
        return;
      }
      context.print(JSON.stringify(shown, null, 2));
    });
}
