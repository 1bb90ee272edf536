import { DefenderApiRetiredError } from '../sources/defenderRetirement';
import type {
  IncidentPage,
  IncidentSource,
  PullOptions,
  PullPosition,
  PullWindow,
  SourceStats,
} from '../sources/incident';
import { switchedSourceStart } from './windowPlan';

/** What happens when the Defender API answers that it is gone mid-pull. */
export interface FailoverOptions {
  /** Builds the Graph source (sharing the Defender source's counters). */
  readonly fallback: () => IncidentSource;
  /** Records the switch (and commits what was read so far under the Defender source's name) before Graph reads on. */
  readonly onSwitch: (error: DefenderApiRetiredError) => Promise<void>;
}

/**
 * The source of an INCIDENTS_API=auto run on the Defender API: pages come from Defender until it answers that
 * it is gone (DefenderApiRetiredError); then the switch is recorded and the same pull continues on Graph from the
 * position reached, as a manual switch does (switchedSourceStart). Any other error propagates unchanged.
 */
export class FailoverSource implements IncidentSource {
  private current: IncidentSource;

  constructor(
    primary: IncidentSource,
    private readonly options: FailoverOptions,
  ) {
    this.current = primary;
  }

  get name(): IncidentSource['name'] {
    return this.current.name;
  }

  get stats(): SourceStats {
    return this.current.stats;
  }

  pull(window: PullWindow, options: PullOptions = {}): AsyncIterable<IncidentPage> {
    return { [Symbol.asyncIterator]: () => this.pages(window, options) };
  }

  private async *pages(window: PullWindow, options: PullOptions): AsyncGenerator<IncidentPage> {
    let position: PullPosition = options.start ?? { cursor: undefined, skip: 0 };
    try {
      for await (const page of this.current.pull(window, { ...options, start: position })) {
        yield page;
        if (page.next === undefined) return;
        position = page.next;
      }
      return;
    } catch (error) {
      if (!(error instanceof DefenderApiRetiredError) || this.current.name !== 'defender') throw error;
      await this.options.onSwitch(error);
      this.current = this.options.fallback();
    }
    yield* this.current.pull(window, { ...options, start: switchedSourceStart(position) });
  }
}
