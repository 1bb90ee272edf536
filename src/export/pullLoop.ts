import { BudgetExceededError } from '../common/errors';
import type { IncidentSource, PullPosition, PullWindow, RawIncident } from '../sources/incident';
import type { PartWriter } from './partWriter';

/** How one pull (export or backfill) is driven: what to keep, where it stands, when to commit. */
export interface PullLoopOptions {
  readonly source: IncidentSource;
  readonly window: PullWindow;
  readonly start: PullPosition;
  /** Where accepted incidents go (a PartWriter; only these two members are used). */
  readonly writer: Pick<PartWriter, 'append' | 'partFull'>;
  /** True when the incident is to be written (a version not written yet). */
  readonly accept: (incident: RawIncident) => boolean;
  /** True for a version already written or dropped (asked by the pager inside ties; see keysetPager.ts). */
  readonly known: (incident: RawIncident) => boolean;
  /** Called after each page with where the pull continues (undefined: it is complete). */
  readonly advance: (next: PullPosition | undefined) => void;
  /** Asked before each request: false stops cleanly (budget nearly spent, Ctrl+C). */
  readonly shouldContinue: () => boolean;
  /** Commits the full open part and records the position; false stops the pull (another worker took over). */
  readonly checkpoint: () => Promise<boolean>;
  readonly abortSignal?: AbortSignal;
}

/** How a pull ended (its errors other than a budget stop propagate). */
export interface PullOutcome {
  readonly complete: boolean;
  /** A wait for the API would have passed the budget (throttling, slow replies). */
  readonly budgetStop?: BudgetExceededError;
  /** A checkpoint asked to stop. */
  readonly checkpointStop: boolean;
}

/**
 * The one pull loop of the exporter: streams the source's pages into parts, newest first, and checkpoints
 * each time a part is full. The open part is left for the caller to commit with its final checkpoint.
 */
export async function pullIntoParts(options: PullLoopOptions): Promise<PullOutcome> {
  let complete = false;
  try {
    for await (const page of options.source.pull(options.window, {
      start: options.start,
      shouldContinue: options.shouldContinue,
      abortSignal: options.abortSignal,
      known: options.known,
    })) {
      for (const incident of page.incidents) {
        if (options.accept(incident)) await options.writer.append(incident.json);
      }
      options.advance(page.next);
      if (page.next === undefined) complete = true;
      else if (options.writer.partFull && !(await options.checkpoint()))
        return { complete: false, checkpointStop: true };
    }
  } catch (error) {
    if (!(error instanceof BudgetExceededError)) throw error;
    return { complete: false, budgetStop: error, checkpointStop: false };
  }
  return { complete, checkpointStop: false };
}

/** Epoch ms after which no wait may end: the budget minus a reserve to commit the open part and the state. */
export function waitDeadlineMs(started: Date, budgetMs: number): number {
  return started.getTime() + budgetMs - Math.min(30_000, budgetMs * 0.1);
}
