import { StateError } from '../common/errors';
import { maxTimestamp, minusMs, parseTimestamp, type Timestamp } from '../common/timestamp';

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
 * What survives between runs, in `state/exporter-state.json`. `watermark` is the newest `lastUpdateTime`
 * exported (or the first run's start point); every version older than it has been exported. `exported`
 * remembers, for the incidents updated within the overlap window below the watermark, the newest version
 * exported, so re-reading that window exports nothing twice.
 */
export interface ExportState {
  readonly schemaVersion: 1;
  readonly watermark: Timestamp;
  readonly exported: Readonly<Record<string, Timestamp>>;
  readonly source: string;
  readonly updatedAt: string;
  readonly lastRun?: RunRecord;
  readonly lastSuccess?: RunRecord;
  readonly lastError?: RunRecord;
}

export const STATE_BLOB = 'state/exporter-state.json';
export const RECOVERY_HINT = "Inspect it with 'defender-export state show' and recover with 'defender-export state reset --watermark <ISO time>' (the newest export's window end is a safe choice; a lower time re-exports, never loses)";

/** Keeps only the remembered versions the next run can re-read (within `overlapMs` below the watermark). */
export function pruneExported(exported: Readonly<Record<string, Timestamp>>, watermark: Timestamp, overlapMs: number): Record<string, Timestamp> {
  const floor = minusMs(watermark, overlapMs);
  const kept: Record<string, Timestamp> = {};
  for (const [id, time] of Object.entries(exported)) if (time >= floor) kept[id] = time;
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
  const newer = (a: RunRecord | undefined, b: RunRecord | undefined): RunRecord | undefined => (a === undefined ? b : b === undefined ? a : a.at >= b.at ? a : b);
  return {
    ...ours,
    watermark,
    exported: pruneExported(exported, watermark, overlapMs),
    lastSuccess: newer(ours.lastSuccess, theirs.lastSuccess),
    lastError: newer(ours.lastError, theirs.lastError),
  };
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
  if (get('schemaVersion') !== 1) throw corrupted(`schemaVersion is ${JSON.stringify(get('schemaVersion')) ?? 'missing'}, expected 1`);
  const watermarkText = get('watermark');
  const watermark = typeof watermarkText === 'string' ? parseTimestamp(watermarkText) : undefined;
  if (!watermark) throw corrupted('the watermark is missing or not a timestamp');
  const exportedValue = get('exported');
  if (typeof exportedValue !== 'object' || exportedValue === null || Array.isArray(exportedValue)) throw corrupted("'exported' is not an object");
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
    exported,
    source: typeof source === 'string' ? source : 'defender',
    updatedAt: typeof updatedAt === 'string' ? updatedAt : '',
    lastRun: readRecord(get('lastRun')),
    lastSuccess: readRecord(get('lastSuccess')),
    lastError: readRecord(get('lastError')),
  };
}

function readRecord(value: unknown): RunRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (key: string): unknown => Reflect.get(value, key);
  const text = (key: string): string | undefined => (typeof field(key) === 'string' ? String(field(key)) : undefined);
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
  return new StateError(`The exporter's state blob ${STATE_BLOB} is corrupted (${what}). The exporter will not guess a watermark. ${RECOVERY_HINT}.`, { code: 'StateCorrupted' });
}
