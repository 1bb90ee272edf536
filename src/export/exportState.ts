import { StateError } from '../common/errors';
import { maxTimestamp, minusMs, parseTimestamp, type Timestamp } from '../common/timestamp';
import { property, stringProperty } from '../common/jsonFields';
import type { PullPosition, TieSlice } from '../sources/incident';

/** One run as remembered in the state (for `status` and for operators reading the blob). */
export interface RunRecord {
  readonly runId: string;
  readonly at: string;
  readonly trigger: string;
  readonly incidents?: number;
  readonly blobs?: readonly string[];
  readonly code?: string;
  readonly message?: string;
}

/**
 * A newest-first pull that a run's budget cut short. Everything from `newest` down to `cursor` is
 * exported; the next run continues below `cursor` (skipping `skip` incidents at exactly `cursor`, or in
 * the deep-tie slice `tie`, or strictly below it when `belowCursor`), and when the pull reaches `from`,
 * the watermark becomes `newest`.
 */
export interface PassProgress {
  readonly from: Timestamp;
  readonly newest: Timestamp;
  readonly cursor: Timestamp;
  readonly skip: number;
  readonly belowCursor?: boolean;
  readonly tie?: TieSlice;
  readonly startedAt: string;
}

/**
 * INCIDENTS_API=auto moved from the Defender API to Microsoft Graph: when and why. Recorded once; the exporter
 * never moves back by itself (only an operator can, with INCIDENTS_API=defender).
 */
export interface ApiSwitch {
  readonly to: 'graph';
  readonly at: string;
  readonly reason: string;
}

/** The last check that the app can read Graph incidents (a Graph token and one `$top=1` call). */
export interface GraphReadiness {
  readonly checkedAt: string;
  readonly ready: boolean;
  /** Why not: the Graph (or Entra) error code, e.g. Forbidden, Authorization_RequestDenied, AADSTS7000215. */
  readonly code?: string;
  readonly message?: string;
}

/**
 * The run that holds a registered tenant now (at most one run per tenant at a time): written into the state when
 * the run starts, kept fresh by every state write (at least every RUN_CLAIM_RENEW_MS), cleared when the run ends.
 * A crashed run's claim lapses when the blob was not written for RUN_CLAIM_MS, judged in the storage service's
 * own time (its Last-Modified against its Date), so no instance's clock decides.
 */
export interface RunClaim {
  /** Unique per claim (not the run id, which a caller may choose): whose claim this is. */
  readonly claimId: string;
  readonly runId: string;
  readonly trigger: string;
  readonly claimedAt: string;
}

/** What a run notes about the sources besides its pull, carried from state to state. */
export interface SourceNotes {
  readonly apiSwitch?: ApiSwitch;
  readonly graphReadiness?: GraphReadiness;
}

/**
 * What survives between runs, in `state/exporter-state.json`. `watermark` is the newest `lastUpdateTime`
 * exported (or the first run's start point); every version older than it has been exported. `exported`
 * remembers, for the incidents updated within the overlap window below the watermark, the newest version
 * exported, so re-reading that window exports nothing twice.
 */
export interface ExportState extends SourceNotes {
  readonly schemaVersion: 1;
  readonly watermark: Timestamp;
  /** A pull in progress (resumed by the next run), if the last run stopped before the end. */
  readonly pass?: PassProgress;
  readonly exported: Readonly<Record<string, Timestamp>>;
  readonly source: string;
  readonly updatedAt: string;
  readonly lastRun?: RunRecord;
  readonly lastSuccess?: RunRecord;
  readonly lastError?: RunRecord;
  /** Set while a run holds this tenant (registered tenants only). */
  readonly runClaim?: RunClaim;
  /**
   * Backfill jobs started for this state's tenant (counted by startBackfill) and how many of them a run had
   * seen when it last found no job pending. A run lists the backfill jobs only when `backfillRequests` is
   * above `backfillSeen`, or unknown (a state older than the counters): a quiet tick lists nothing.
   */
  readonly backfillRequests?: number;
  readonly backfillSeen?: number;
}

/** The state as read, with the ETag that a later write must match. `etag` undefined: no state yet. */
export interface StateSnapshot {
  readonly state: ExportState | undefined;
  readonly etag: string | undefined;
  /** Service time: when the blob was last written, and when it was read (for judging a run's claim). */
  readonly lastModified?: Date;
  readonly serviceTime?: Date;
}

/** The state without a run claim. */
export function withoutClaim(state: ExportState): ExportState {
  const copy: { -readonly [K in keyof ExportState]: ExportState[K] } = { ...state };
  delete copy.runClaim;
  return copy;
}

/** Whether backfill jobs may be pending: requests the last listing did not see, or no counters at all. */
export function backfillsMayBePending(state: ExportState | undefined): boolean {
  if (state?.backfillRequests === undefined) return true;
  return state.backfillRequests > (state.backfillSeen ?? 0);
}

export const STATE_BLOB = 'state/exporter-state.json';
export const RECOVERY_HINT =
  "Inspect it with 'defender-export state show' and recover with 'defender-export state " +
  "reset --watermark <ISO time>' (the newest export's window end is a safe choice; a lower " +
  'time re-exports, never loses)';

/** Keeps only the remembered versions the next run can re-read (within `overlapMs` below the watermark). */
export function pruneExported(
  exported: Readonly<Record<string, Timestamp>>,
  watermark: Timestamp,
  overlapMs: number,
): Record<string, Timestamp> {
  const floor = minusMs(watermark, overlapMs);
  const kept: Record<string, Timestamp> = {};
  for (const [id, time] of Object.entries(exported)) if (time >= floor) kept[id] = time;
  return kept;
}

/**
 * While a pull is in progress, remember what the resumed pull and the next pull will re-read: the
 * overlap below the old watermark (the pull's bottom), the overlap below its newest incident (the top),
 * and the versions at its cursor (the resumed pull starts by reading them again).
 */
export function prunePassExported(
  exported: Readonly<Record<string, Timestamp>>,
  window: { readonly watermark: Timestamp; readonly newest: Timestamp; readonly cursor: Timestamp | undefined },
  overlapMs: number,
): Record<string, Timestamp> {
  const { watermark, newest, cursor } = window;
  const bottomFloor = minusMs(watermark, overlapMs);
  const topFloor = minusMs(newest, overlapMs);
  const kept: Record<string, Timestamp> = {};
  for (const [id, time] of Object.entries(exported))
    if ((time >= bottomFloor && time <= watermark) || time >= topFloor || time === cursor) kept[id] = time;
  return kept;
}

/**
 * Combines our result with a state another run wrote meanwhile. Each run exported everything from its
 * own start up to its own watermark, and both started at or below the other's committed watermark, so
 * the union is gap-free up to the larger watermark: the watermark never moves backwards.
 */
export function mergeStates(ours: ExportState, theirs: ExportState, overlapMs: number): ExportState {
  const watermark = maxTimestamp(ours.watermark, theirs.watermark);
  const exported: Record<string, Timestamp> = { ...theirs.exported };
  for (const [id, time] of Object.entries(ours.exported)) {
    const other = exported[id];
    if (other === undefined || time > other) exported[id] = time;
  }
  const newer = (a: RunRecord | undefined, b: RunRecord | undefined): RunRecord | undefined =>
    a === undefined ? b : b === undefined ? a : a.at >= b.at ? a : b;
  const pass = mergePasses(ours.pass, theirs.pass, watermark);
  return {
    ...ours,
    ...mergeNotes(ours, theirs),
    watermark,
    pass,
    exported: pass
      ? prunePassExported(exported, { watermark, newest: pass.newest, cursor: pass.cursor }, overlapMs)
      : pruneExported(exported, watermark, overlapMs),
    lastSuccess: newer(ours.lastSuccess, theirs.lastSuccess),
    lastError: newer(ours.lastError, theirs.lastError),
    ...mergeBackfillCounters(ours, theirs),
  };
}

/** Both counters only grow: the larger of each, so a request counted by either side stays pending until seen. */
export function mergeBackfillCounters(
  ours: Pick<ExportState, 'backfillRequests' | 'backfillSeen'>,
  theirs: Pick<ExportState, 'backfillRequests' | 'backfillSeen'>,
): Pick<ExportState, 'backfillRequests' | 'backfillSeen'> {
  const larger = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined ? b : b === undefined ? a : Math.max(a, b);
  const backfillRequests = larger(ours.backfillRequests, theirs.backfillRequests);
  const backfillSeen = larger(ours.backfillSeen, theirs.backfillSeen);
  return {
    ...(backfillRequests === undefined ? {} : { backfillRequests }),
    ...(backfillSeen === undefined ? {} : { backfillSeen }),
  };
}

/** The switch stays once either side recorded it (the earlier one); the newer readiness check wins. */
export function mergeNotes(ours: SourceNotes, theirs: SourceNotes): SourceNotes {
  const switches = [ours.apiSwitch, theirs.apiSwitch].filter((s): s is ApiSwitch => s !== undefined);
  const apiSwitch = switches.sort((a, b) => a.at.localeCompare(b.at))[0];
  const checks = [ours.graphReadiness, theirs.graphReadiness].filter((c): c is GraphReadiness => c !== undefined);
  const graphReadiness = checks.sort((a, b) => b.checkedAt.localeCompare(a.checkedAt))[0];
  return { ...(apiSwitch ? { apiSwitch } : {}), ...(graphReadiness ? { graphReadiness } : {}) };
}

/**
 * Of two pulls in progress, keep the one that covers the newest incidents (each is consistent on its own,
 * so keeping either loses nothing; the other's work at worst is exported again as the same versions).
 * A pull whose newest incident is not above the merged watermark was completed by someone: drop it.
 */
function mergePasses(
  a: PassProgress | undefined,
  b: PassProgress | undefined,
  watermark: Timestamp,
): PassProgress | undefined {
  const live = [a, b].filter((p): p is PassProgress => p !== undefined && p.newest > watermark);
  if (live.length < 2) return live[0];
  const [x, y] = live as [PassProgress, PassProgress];
  if (x.newest !== y.newest) return x.newest > y.newest ? x : y;
  if (x.cursor !== y.cursor) return x.cursor < y.cursor ? x : y;
  if (x.belowCursor !== y.belowCursor) return x.belowCursor === true ? x : y;
  return x.skip >= y.skip ? x : y;
}

/** Parses and checks the state blob; anything unexpected is a loud StateError, never a silent reset. */
export function parseState(text: string): ExportState {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw corrupted('it is not valid JSON');
  }
  if (typeof body !== 'object' || body === null) throw corrupted('it is not a JSON object');
  const get = (key: string): unknown => Reflect.get(body, key);
  if (get('schemaVersion') !== 1)
    throw corrupted(`schemaVersion is ${JSON.stringify(get('schemaVersion')) ?? 'missing'}, expected 1`);
  const watermarkText = get('watermark');
  const watermark = typeof watermarkText === 'string' ? parseTimestamp(watermarkText) : undefined;
  if (!watermark) throw corrupted('the watermark is missing or not a timestamp');
  const exportedValue = get('exported');
  if (typeof exportedValue !== 'object' || exportedValue === null || Array.isArray(exportedValue))
    throw corrupted("'exported' is not an object");
  const exported: Record<string, Timestamp> = {};
  for (const [id, value] of Object.entries(exportedValue)) {
    const time = typeof value === 'string' ? parseTimestamp(value) : undefined;
    if (!time) throw corrupted(`'exported.${id}' is not a timestamp`);
    exported[id] = time;
  }
  const source = get('source');
  const updatedAt = get('updatedAt');
  return {
    schemaVersion: 1,
    watermark,
    pass: readPass(get('pass')),
    exported,
    source: typeof source === 'string' ? source : 'defender',
    updatedAt: typeof updatedAt === 'string' ? updatedAt : '',
    lastRun: readRecord(get('lastRun')),
    lastSuccess: readRecord(get('lastSuccess')),
    lastError: readRecord(get('lastError')),
    ...readNotes(get('apiSwitch'), get('graphReadiness')),
    ...readClaim(get('runClaim')),
    ...readCounters(get('backfillRequests'), get('backfillSeen')),
  };
}

/** A malformed claim is ignored: at worst two runs go on together, which the state merge already makes safe. */
function readClaim(value: unknown): { runClaim?: RunClaim } {
  const claimId = stringProperty(value, 'claimId');
  if (claimId === undefined) return {};
  return {
    runClaim: {
      claimId,
      runId: stringProperty(value, 'runId') ?? 'unknown',
      trigger: stringProperty(value, 'trigger') ?? 'unknown',
      claimedAt: stringProperty(value, 'claimedAt') ?? '',
    },
  };
}

/** Malformed counters are dropped: unknown counters make the next run list the backfill jobs (never miss one). */
function readCounters(requests: unknown, seen: unknown): Pick<ExportState, 'backfillRequests' | 'backfillSeen'> {
  const count = (value: unknown): value is number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  if (!count(requests)) return {};
  return { backfillRequests: requests, ...(count(seen) ? { backfillSeen: seen } : {}) };
}

/** The switch is read strictly (a wrong one would send runs to the wrong API); a malformed readiness check is ignored (the next run checks again). */
function readNotes(switchValue: unknown, readinessValue: unknown): SourceNotes {
  let apiSwitch: ApiSwitch | undefined;
  if (switchValue !== undefined && switchValue !== null) {
    const to = property(switchValue, 'to');
    const at = stringProperty(switchValue, 'at');
    if (to !== 'graph' || at === undefined) throw corrupted("'apiSwitch' is not a recorded switch to graph");
    apiSwitch = { to, at, reason: stringProperty(switchValue, 'reason') ?? 'unknown' };
  }
  const checkedAt = stringProperty(readinessValue, 'checkedAt');
  const ready = property(readinessValue, 'ready');
  const code = stringProperty(readinessValue, 'code');
  const message = stringProperty(readinessValue, 'message');
  const graphReadiness: GraphReadiness | undefined =
    checkedAt === undefined || typeof ready !== 'boolean'
      ? undefined
      : { checkedAt, ready, ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }) };
  return { ...(apiSwitch ? { apiSwitch } : {}), ...(graphReadiness ? { graphReadiness } : {}) };
}

function readPass(value: unknown): PassProgress | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw corrupted("'pass' is not an object");
  const time = (key: string): Timestamp => {
    const text: unknown = Reflect.get(value, key);
    const parsed = typeof text === 'string' ? parseTimestamp(text) : undefined;
    if (!parsed) throw corrupted(`'pass.${key}' is not a timestamp`);
    return parsed;
  };
  const skip: unknown = Reflect.get(value, 'skip');
  if (typeof skip !== 'number' || !Number.isInteger(skip) || skip < 0)
    throw corrupted("'pass.skip' is not a whole number");
  const startedAt: unknown = Reflect.get(value, 'startedAt');
  const position = readPositionExtras(value, (what) => corrupted(`'pass.${what}' is not valid`));
  return {
    from: time('from'),
    newest: time('newest'),
    cursor: time('cursor'),
    skip,
    ...position,
    startedAt: typeof startedAt === 'string' ? startedAt : '',
  };
}

/** The optional parts of a stored pull position (deep-tie slice, below the cursor); `invalid` names what does not parse. */
export function readPositionExtras(
  value: object,
  invalid: (what: string) => Error,
): Pick<PullPosition, 'belowCursor' | 'tie'> {
  const belowCursor: unknown = Reflect.get(value, 'belowCursor');
  const tie: unknown = Reflect.get(value, 'tie');
  if (belowCursor !== undefined && typeof belowCursor !== 'boolean') throw invalid('belowCursor');
  if (tie === undefined || tie === null) return belowCursor === true ? { belowCursor } : {};
  if (typeof tie !== 'object') throw invalid('tie');
  const bound = (key: string): Timestamp | undefined => {
    const text: unknown = Reflect.get(tie, key);
    if (text === undefined) return undefined;
    const parsed = typeof text === 'string' ? parseTimestamp(text) : undefined;
    if (!parsed) throw invalid(`tie.${key}`);
    return parsed;
  };
  const slice: TieSlice = { createdFrom: bound('createdFrom'), createdBefore: bound('createdBefore') };
  return { ...(belowCursor === true ? { belowCursor } : {}), tie: slice };
}

function readRecord(value: unknown): RunRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (key: string): unknown => property(value, key);
  const text = (key: string): string | undefined => stringProperty(value, key);
  const runId = text('runId');
  const at = text('at');
  if (runId === undefined || at === undefined) return undefined;
  const incidents = field('incidents');
  const blobs = field('blobs');
  return {
    runId,
    at,
    trigger: text('trigger') ?? 'unknown',
    incidents: typeof incidents === 'number' ? incidents : undefined,
    blobs: Array.isArray(blobs) ? blobs.filter((b): b is string => typeof b === 'string') : undefined,
    code: text('code'),
    message: text('message'),
  };
}

function corrupted(what: string): StateError {
  return new StateError(
    `The exporter's state blob ${STATE_BLOB} is corrupted (${what}). The exporter will not ` +
      `guess a watermark. ${RECOVERY_HINT}.`,
    { code: 'StateCorrupted' },
  );
}
