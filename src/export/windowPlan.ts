import { fromDate, minusMs, type Timestamp } from '../common/timestamp';
import type { PullPosition } from '../sources/incident';
import type { ExportState, PassProgress } from './exportState';
import type { ExportSettings } from './exportDependencies';

/** Which window a run reads and where its pull starts. */
export interface WindowPlan {
  /** Oldest update time the pull reads (inclusive). */
  readonly from: Timestamp;
  /** Where the newest-first pull starts: the top, or where an earlier run stopped. */
  readonly start: PullPosition;
  /** The pull in progress this run continues, if any. */
  readonly resumed: PassProgress | undefined;
}

/** The state a first run records before it writes anything: its start point, `initialLookbackHours` ago. */
export function genesisState(now: Date, settings: Pick<ExportSettings, 'initialLookbackHours'>): ExportState {
  return {
    schemaVersion: 1,
    watermark: firstRunStart(now, settings),
    exported: {},
    source: 'none',
    updatedAt: now.toISOString(),
  };
}

/**
 * Chooses the run's window from the state (undefined: first run).
 * - First run: from `initialLookbackHours` before now.
 * - A pull in progress: continue it where it stopped, with its own window start. Resumed by the other API
 *   (INCIDENTS_API switched mid-pull), the tie at the cursor is read again from its start (skip 0): ties may
 *   be ordered differently there; the ledger drops the versions already exported.
 * - Otherwise: from the watermark minus the overlap, which catches updates that became visible late.
 */
export function planWindow(
  state: ExportState | undefined,
  now: Date,
  settings: Pick<ExportSettings, 'initialLookbackHours' | 'overlapMinutes'> & { readonly sourceName: string },
): WindowPlan {
  const resumed = state?.pass;
  if (resumed) {
    const position: PullPosition = {
      cursor: resumed.cursor,
      skip: resumed.skip,
      ...(resumed.belowCursor === true ? { belowCursor: true } : {}),
      ...(resumed.tie ? { tie: resumed.tie } : {}),
    };
    const start = state.source !== settings.sourceName ? switchedSourceStart(position) : position;
    return { from: resumed.from, start, resumed };
  }
  const from = state ? minusMs(state.watermark, settings.overlapMinutes * 60_000) : firstRunStart(now, settings);
  return { from, start: { cursor: undefined, skip: 0 }, resumed: undefined };
}

/**
 * Where the other API continues a pull (a switched source, by setting or by INCIDENTS_API=auto mid-pull): at the
 * same cursor, the tie there read again from its start (skip 0), since the other API may order ties differently;
 * the ledger drops the versions already exported.
 */
export function switchedSourceStart(position: PullPosition): PullPosition {
  return { ...position, skip: 0 };
}

function firstRunStart(now: Date, settings: Pick<ExportSettings, 'initialLookbackHours'>): Timestamp {
  return minusMs(fromDate(now), settings.initialLookbackHours * 3_600_000);
}
