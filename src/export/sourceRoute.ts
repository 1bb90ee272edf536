import type { ApiSwitch, GraphReadiness, SourceNotes } from './exportState';
import type { ExportSettings } from './exportDependencies';

/** How often the runs check that Graph is ready (INCIDENTS_API=auto, still on Defender): once a day. */
export const GRAPH_CHECK_INTERVAL_MS = 24 * 3_600_000;

/** Which API a run reads, and the switch it records first when the end date has just passed. */
export interface SourceRoute {
  readonly api: 'defender' | 'graph';
  readonly switchNow?: ApiSwitch;
}

/**
 * Chooses the run's API. defender and graph are what they say. auto reads Graph once a switch is recorded (never
 * back by itself), once the runs before it read Graph (INCIDENTS_API=graph set earlier, then auto: recording the
 * switch now rather than going back to the retiring API), or from 00:00 UTC of DEFENDER_API_END_DATE (recording
 * the switch now); otherwise Defender.
 */
export function chooseSource(
  settings: Pick<ExportSettings, 'incidentsApi' | 'defenderApiEndMs'>,
  notes: (SourceNotes & { readonly source?: string }) | undefined,
  now: Date,
): SourceRoute {
  if (settings.incidentsApi !== 'auto') return { api: settings.incidentsApi };
  if (notes?.apiSwitch) return { api: 'graph' };
  if (notes?.source === 'graph')
    return {
      api: 'graph',
      switchNow: {
        to: 'graph',
        at: now.toISOString(),
        reason: 'the runs before this one read Microsoft Graph (INCIDENTS_API=graph); auto stays on Graph',
      },
    };
  if (now.getTime() < settings.defenderApiEndMs) return { api: 'defender' };
  const endDate = new Date(settings.defenderApiEndMs).toISOString().slice(0, 10);
  return {
    api: 'graph',
    switchNow: { to: 'graph', at: now.toISOString(), reason: `DEFENDER_API_END_DATE ${endDate} has passed` },
  };
}

/** The switch a run records when the Defender API answers that it is gone. */
export function switchOnRetirement(now: Date, why: string): ApiSwitch {
  return {
    to: 'graph',
    at: now.toISOString(),
    reason: `the Defender API answered that it is gone: ${why.slice(0, 300)}`,
  };
}

/** True when an auto run on Defender should check Graph's readiness: never checked, or last checked a day ago. */
export function graphCheckDue(readiness: GraphReadiness | undefined, now: Date): boolean {
  if (readiness === undefined) return true;
  const checkedMs = Date.parse(readiness.checkedAt);
  return Number.isNaN(checkedMs) || now.getTime() - checkedMs >= GRAPH_CHECK_INTERVAL_MS;
}

/** The warning logged once, when the switch is recorded: what happened and what it means. */
export function switchWarning(apiSwitch: ApiSwitch): string {
  return (
    `INCIDENTS_API=auto: this exporter now reads Microsoft Graph instead of the Defender XDR ` +
    `API (${apiSwitch.reason}); recorded in the state at ${apiSwitch.at}, it does not switch ` +
    `back by itself. The watermark carries on: nothing is skipped.`
  );
}
