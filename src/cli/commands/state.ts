import type { Command } from 'commander';
import { StateError } from '../../common/errors';
import { fromDate, type Timestamp } from '../../common/timestamp';
import type { ExportState } from '../../export/exportState';
import { StateStore } from '../../export/stateStore';
import { moveState } from '../../tenants/stateMove';
import { siblingContainer, stateContainerOf, type CommandContext } from '../commandContext';
import { parseTenantArgument, resolveTenantScope, TENANT_OPTION_HELP } from '../tenantScope';
import { parseTimeArgument } from '../timeArgument';
import { UsageError } from '../usageError';
import { CONTAINER } from '../../config/settings';

/** What a reset does to the exports, in one line: re-exports (back), skips (forward) or starts a state (none). */
export function describeReset(previous: Timestamp | undefined, next: Timestamp): string {
  const since = `the next run exports the incidents updated since ${next} (minus the overlap window)`;
  if (previous === undefined || previous === next) return `state reset: ${since}.`;
  if (next < previous)
    return (
      `state reset: watermark moved back from ${previous} to ${next}: ${since}, so incidents ` +
      `already exported after ${next} are exported again, into new blobs.`
    );
  return (
    `state reset: watermark moved forward from ${previous} to ${next}: ${since}; incidents ` +
    `updated in between are not exported (run 'defender-export backfill --from ${previous}` +
    ` --to ${next}' to get them).`
  );
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

function parseContainerArgument(value: string): string {
  const name = value.trim();
  if (!CONTAINER.test(name))
    throw new UsageError(
      `--to '${value}' is not a valid container name: use 3-63 lowercase letters, digits and single dashes.`,
    );
  return name;
}

/** `state show`, `state reset` and `state move`: inspect the watermark, recover from a lost or corrupted state, move the state to its own container. */
export function registerState(program: Command, context: CommandContext): void {
  const state = program
    .command('state')
    .description(
      "Inspect or repair the exporter's state blob (state/exporter-state.json, or " +
        'tenants/<id>/state/... with a registry), or move the state to its own container.',
    );
  state
    .command('show')
    .description('Print the state blob as JSON.')
    .option('--tenant <id>', TENANT_OPTION_HELP, parseTenantArgument)
    .action(async (options: { tenant?: string }) => {
      const stateContainer = stateContainerOf(context.storage());
      const { layout } = await resolveTenantScope(stateContainer, options.tenant);
      const snapshot = await new StateStore(stateContainer, layout).read();
      context.print(
        snapshot.state
          ? JSON.stringify(snapshot.state, null, 2)
          : `No state yet (${layout.stateBlob} does not exist): the next run starts from the initial lookback.`,
      );
    });
  state
    .command('reset')
    .description(
      'Replace the state with a new watermark (recovery from a lost or corrupted state). A lower ' +
        'watermark re-exports, never loses; a time in the future is refused.',
    )
    .requiredOption(
      '--watermark <time>',
      'ISO 8601 time the next run continues from (minus the overlap)',
      parseTimeArgument,
    )
    .option('--tenant <id>', `${TENANT_OPTION_HELP} (required when a registry exists)`, parseTenantArgument)
    .action(async (options: { watermark: Timestamp; tenant?: string }) => {
      const storage = context.storage();
      const now = storage.clock.now();
      if (options.watermark > fromDate(now)) {
        throw new UsageError(
          `--watermark ${options.watermark} is in the future (now ${fromDate(now)}): every incident ` +
            `updated until then would be skipped. Give a past time.`,
        );
      }
      const stateContainer = stateContainerOf(storage);
      const { layout } = await resolveTenantScope(stateContainer, options.tenant, { whenOmitted: 'refuse' });
      const store = new StateStore(stateContainer, layout);
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
  state
    .command('move')
    .description(
      'Copy the state, backfill jobs and tenant registry to another container ' +
        '(EXPORT_STATE_CONTAINER), e.g. before making the export container immutable; then set ' +
        'EXPORT_STATE_CONTAINER to it. Nothing is lost or exported twice. Run it between two timer runs.',
    )
    .requiredOption('--to <container>', 'the new state container (created if missing)', parseContainerArgument)
    .action(async (options: { to: string }) => {
      const storage = context.storage();
      const from = stateContainerOf(storage);
      if (from.containerName === options.to)
        throw new UsageError(`--to ${options.to} is already the state container: nothing to move.`);
      const moved = await moveState(from, siblingContainer(from, options.to));
      context.print(
        `state move: copied ${moved.copied.length} blob${moved.copied.length === 1 ? '' : 's'} (` +
          `${moved.describe}) from '${from.containerName}' to '${options.to}'. Now set ` +
          `EXPORT_STATE_CONTAINER=${options.to} (azd env set EXPORT_STATE_CONTAINER ${options.to}, ` +
          `then azd up; or the app setting): runs continue from the copied watermark. The originals ` +
          `stay in '${from.containerName}' (an immutable container refuses deletes); a run before ` +
          `the setting changes is exported again after it, never lost.`,
      );
    });
}
