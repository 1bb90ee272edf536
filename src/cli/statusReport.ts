import { toEpochMs } from '../common/timestamp';
import { SINGLE_TENANT_LAYOUT, type BlobLayout } from '../export/blobLayout';
import type { ExportState, GraphReadiness, RunRecord, SourceNotes } from '../export/exportState';
import { GRAPH_PERMISSION } from '../sources/graphAccess';

/** A resumable pull in progress, as kept in the state's `pass` field. */
export interface PassProgress {
  readonly from?: string;
  readonly newest?: string;
  readonly cursor?: string;
  readonly skip?: number;
  readonly startedAt?: string;
}

/** What `status` reports; `healthy` false when `problems` is not empty. */
export interface StatusReport {
  readonly healthy: boolean;
  readonly problems: readonly string[];
  readonly checkedAt: string;
  readonly maxAgeMinutes: number;
  readonly watermark: string | undefined;
  /** now − watermark (the newest exported lastUpdateTime). */
  readonly lagMs: number | undefined;
  readonly lastSuccess: RunRecord | undefined;
  readonly lastSuccessAgeMs: number | undefined;
  readonly lastError: RunRecord | undefined;
  readonly lastRun: RunRecord | undefined;
  /** Incident versions remembered for the overlap window (`exported`). */
  readonly dedupeEntries: number;
  readonly inProgress: PassProgress | undefined;
  /** Can the app read Microsoft Graph incidents, and has INCIDENTS_API=auto switched to it. */
  readonly graph: GraphStatus | undefined;
}

/** What `status` says about Microsoft Graph: the last readiness check (a run's, or one made now) and the switch. */
export interface GraphStatus {
  /** Undefined: never checked. */
  readonly ready: boolean | undefined;
  /** Why not: the exact Graph (or Entra) error code. */
  readonly code?: string;
  readonly message?: string;
  readonly checkedAt?: string;
  /** 'run': the runs' daily check recorded in the state; 'status': checked by this command now. */
  readonly checkedBy?: 'run' | 'status';
  /** When INCIDENTS_API=auto switched to Graph, and why. */
  readonly switchedAt?: string;
  readonly switchReason?: string;
}

/**
 * Judges the exporter's health from its state: unhealthy when it never ran, when the last run failed
 * (its error is newer than the last success), or when no run succeeded within `maxAgeMinutes`.
 */
export function assessStatus(
  state: ExportState | undefined,
  now: Date,
  maxAgeMinutes: number,
  newestExport?: string,
  layout: BlobLayout = SINGLE_TENANT_LAYOUT,
  graphNow?: GraphReadiness,
): StatusReport {
  const problems: string[] = [];
  const nowMs = now.getTime();
  const lastSuccess = state?.lastSuccess;
  const lastError = state?.lastError;
  const lastSuccessMs = lastSuccess === undefined ? undefined : Date.parse(lastSuccess.at);
  const lastSuccessAgeMs =
    lastSuccessMs === undefined || Number.isNaN(lastSuccessMs) ? undefined : nowMs - lastSuccessMs;
  if (state === undefined) {
    problems.push(
      newestExport === undefined
        ? `the exporter never ran: there is no state blob (${layout.stateBlob}) yet. Check that the ` +
            `function app is deployed and its timer runs, or run 'defender-export run` +
            `${layout.tenantId === undefined ? '' : ` --tenant ${layout.tenantId}`}'.`
        : `the state blob ${layout.stateBlob} is missing although exports exist (newest: ` +
            `${newestExport}), so runs stop. ${layout.recoveryHint}.`,
    );
  } else {
    if (
      lastError !== undefined &&
      (lastSuccess === undefined || Date.parse(lastError.at) > Date.parse(lastSuccess.at))
    ) {
      problems.push(
        `the last run failed at ${lastError.at}` +
          `${lastError.code === undefined ? '' : ` (${lastError.code})`}: ` +
          `${lastError.message ?? 'no message recorded'}`,
      );
    }
    if (lastSuccessAgeMs === undefined) {
      problems.push(
        `no successful run is recorded (the state was written ` +
          `${state.updatedAt || 'at an unknown time'}); the next successful run records one.`,
      );
    } else if (lastSuccessAgeMs > maxAgeMinutes * 60_000) {
      problems.push(
        `no run succeeded within the last ${maxAgeMinutes} minutes (last success ${lastSuccess?.at ?? '?'}).`,
      );
    }
  }
  return {
    healthy: problems.length === 0,
    problems,
    checkedAt: now.toISOString(),
    maxAgeMinutes,
    watermark: state?.watermark,
    lagMs: state === undefined ? undefined : nowMs - toEpochMs(state.watermark),
    lastSuccess,
    lastSuccessAgeMs,
    lastError,
    lastRun: state?.lastRun,
    dedupeEntries: state === undefined ? 0 : Object.keys(state.exported).length,
    inProgress: state === undefined ? undefined : readPass(state),
    graph: graphStatusOf(state, graphNow),
  };
}

/**
 * Graph's status from a state's notes (one tenant's state, for a per-tenant row too) and an optional check made
 * now, which wins over the recorded one. Undefined when there is nothing to say (never checked, never switched).
 */
export function graphStatusOf(notes: SourceNotes | undefined, checkedNow?: GraphReadiness): GraphStatus | undefined {
  const check = checkedNow ?? notes?.graphReadiness;
  const apiSwitch = notes?.apiSwitch;
  if (check === undefined && apiSwitch === undefined) return undefined;
  return {
    ready: check?.ready,
    ...(check?.code === undefined ? {} : { code: check.code }),
    ...(check?.message === undefined ? {} : { message: check.message }),
    ...(check === undefined ? {} : { checkedAt: check.checkedAt, checkedBy: checkedNow ? 'status' : 'run' }),
    ...(apiSwitch === undefined ? {} : { switchedAt: apiSwitch.at, switchReason: apiSwitch.reason }),
  };
}

/** The fix `status` names while Graph is not ready. */
export const GRAPH_NOT_READY = `not ready — grant ${GRAPH_PERMISSION} (application) with admin consent`;

/** `ready`, or `not ready — grant ... (Graph error <code>)`, with when and by whom it was checked. */
export function describeGraph(graph: GraphStatus): string {
  const checked =
    graph.checkedAt === undefined
      ? ''
      : graph.checkedBy === 'status'
        ? ` (checked now, ${graph.checkedAt})`
        : ` (checked by a run at ${graph.checkedAt}; 'status --check-graph' checks now)`;
  if (graph.ready === true) return `ready${checked}`;
  if (graph.ready === false) return `${GRAPH_NOT_READY} (Graph error ${graph.code ?? 'unknown'})${checked}`;
  return `not checked since the switch; 'status --check-graph' checks now`;
}

/** `Microsoft Graph since <at>: <reason>`, when INCIDENTS_API=auto switched. */
export function describeSwitch(graph: GraphStatus): string | undefined {
  return graph.switchedAt === undefined
    ? undefined
    : `Microsoft Graph since ${graph.switchedAt} (${graph.switchReason ?? 'no reason recorded'})`;
}

/** The state's `pass` (a resumable pull in progress), read defensively: it is optional and may gain fields. */
export function readPass(state: ExportState): PassProgress | undefined {
  const pass: unknown = Reflect.get(state, 'pass');
  if (typeof pass !== 'object' || pass === null) return undefined;
  const text = (key: string): string | undefined => {
    const value: unknown = Reflect.get(pass, key);
    return typeof value === 'string' ? value : undefined;
  };
  const skip: unknown = Reflect.get(pass, 'skip');
  return {
    from: text('from'),
    newest: text('newest'),
    cursor: text('cursor'),
    skip: typeof skip === 'number' ? skip : undefined,
    startedAt: text('startedAt'),
  };
}
