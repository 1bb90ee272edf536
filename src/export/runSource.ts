import type { Logger } from '../common/logger';
import { newSourceStats, type IncidentSource } from '../sources/incident';
import type { ExportDependencies } from './exportDependencies';
import type { ApiSwitch, ExportState, SourceNotes } from './exportState';
import { FailoverSource } from './failoverSource';
import { checkGraphNow } from './graphCheck';
import { chooseSource, graphCheckDue, switchOnRetirement, switchWarning, type SourceRoute } from './sourceRoute';
import type { StateFile } from './stateFile';
import { StateStore } from './stateStore';

/** What a run's source needs besides the dependencies. */
export interface RunSourceContext {
  readonly route: SourceRoute;
  readonly previous: ExportState | undefined;
  readonly stateFile: StateFile;
  readonly clientSecret: string;
  readonly deadlineMs: number;
  readonly log: Logger;
}

/**
 * The source of one export run and what the run notes about the sources (the switch, Graph's readiness), kept
 * in the state at every checkpoint. INCIDENTS_API=auto on Defender: Graph's readiness is checked at most once
 * a day (the result saved at once, so a failing run does not check again), the retirement warning logged
 * while Graph is not ready, and the pull moves to Graph if Defender answers that it is gone.
 */
export class RunSource {
  private notes: SourceNotes;
  /** Commits the pages read so far (the run's checkpoint), bound once the checkpoint exists. */
  commitBeforeSwitch: () => Promise<unknown> = () => Promise.resolve();

  readonly source: IncidentSource;

  private constructor(
    private readonly deps: ExportDependencies,
    private readonly context: RunSourceContext,
  ) {
    this.notes = { apiSwitch: context.previous?.apiSwitch, graphReadiness: context.previous?.graphReadiness };
    const { route, clientSecret, deadlineMs, log } = context;
    const stats = newSourceStats();
    const request = (api: IncidentSource['name']) => ({ api, clientSecret, deadlineMs, logger: log, stats });
    const primary = deps.createSource(request(route.api));
    this.source = !this.onDefenderInAuto
      ? primary
      : new FailoverSource(primary, {
          fallback: () => deps.createSource(request('graph')),
          onSwitch: (error) => this.record(switchOnRetirement(deps.clock.now(), error.sign), 'commit'),
        });
  }

  /** Builds the run's source; records a switch the end date calls for; checks Graph's readiness when due. */
  static async open(deps: ExportDependencies, context: RunSourceContext): Promise<RunSource> {
    const run = new RunSource(deps, context);
    if (context.route.switchNow) await run.record(context.route.switchNow, 'save');
    if (run.onDefenderInAuto) await run.checkGraphDaily();
    return run;
  }

  private get onDefenderInAuto(): boolean {
    return this.deps.settings.incidentsApi === 'auto' && this.context.route.api === 'defender';
  }

  /** The notes as they stand, for each checkpoint. */
  get current(): SourceNotes {
    return this.notes;
  }

  /**
   * Notes the switch, logs it once (the only place it is logged) and keeps it in the state at once: by a save
   * before the pull, or mid-pull by the checkpoint, which also commits the Defender pages read so far.
   */
  private async record(apiSwitch: ApiSwitch, how: 'save' | 'commit'): Promise<void> {
    this.notes = { ...this.notes, apiSwitch };
    this.context.log.warn(switchWarning(apiSwitch), { incidentsApi: 'graph', switchedAt: apiSwitch.at });
    await (how === 'save' ? this.saveNotes() : this.commitBeforeSwitch());
  }

  private async checkGraphDaily(): Promise<void> {
    const now = this.deps.clock.now();
    if (graphCheckDue(this.notes.graphReadiness, now)) {
      const { clientSecret, log } = this.context;
      const graphReadiness = await checkGraphNow(
        { ...this.deps, readSecret: () => Promise.resolve(clientSecret) },
        log,
      );
      this.notes = { ...this.notes, graphReadiness };
      log.info(graphReadiness.ready ? 'Microsoft Graph is ready' : 'Microsoft Graph is not ready', {
        graphReady: graphReadiness.ready,
        graphError: graphReadiness.code,
      });
      await this.saveNotes();
    }
    this.deps.warnIfGraphNotReady(this.context.log, this.notes.graphReadiness);
  }

  private async saveNotes(): Promise<void> {
    const state = this.context.stateFile.committed;
    if (state !== undefined) await this.context.stateFile.save({ ...state, ...definedNotes(this.notes) });
  }
}

function definedNotes(notes: SourceNotes): SourceNotes {
  return {
    ...(notes.apiSwitch ? { apiSwitch: notes.apiSwitch } : {}),
    ...(notes.graphReadiness ? { graphReadiness: notes.graphReadiness } : {}),
  };
}

/**
 * The source of a backfill: the API the export runs read now (the switch recorded in the export state, or the
 * end date). A backfill never records the switch itself (the next export run does); if Defender answers that it
 * is gone mid-backfill, the backfill continues on Graph from its position.
 */
export async function backfillSource(
  deps: ExportDependencies,
  deadlineMs: number,
  log: Logger,
  abortSignal?: AbortSignal,
): Promise<IncidentSource> {
  const { state } = await new StateStore(deps.stateContainer, deps.layout).read();
  const route = chooseSource(deps.settings, state, deps.clock.now());
  const clientSecret = await deps.readSecret(abortSignal);
  const stats = newSourceStats();
  const request = (api: IncidentSource['name']) => ({ api, clientSecret, deadlineMs, logger: log, stats });
  const primary = deps.createSource(request(route.api));
  if (deps.settings.incidentsApi !== 'auto' || route.api !== 'defender') return primary;
  return new FailoverSource(primary, {
    fallback: () => deps.createSource(request('graph')),
    onSwitch: (error) => {
      log.warn(`The Defender API is gone; this backfill continues on Microsoft Graph (${error.message.slice(0, 200)})`);
      return Promise.resolve();
    },
  });
}
