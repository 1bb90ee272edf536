import { generateIncident } from './incidentGenerator';
import type { IncidentChanges, IncidentInit, SimIncident } from './incidentModel';
import { Prng } from './prng';
import { formatTicks, msToTicks, requireTimestamp, TICKS_PER_MS } from './timestamp';
import type { Clock } from './types';

export interface IncidentStoreOptions {
  clock: Clock;
  /** PRNG seed: the same seed and calls give the same incidents. */
  seed: number;
  /** Generate realistic-size incidents (about 5-50 KB) instead of small ones. */
  realistic?: boolean;
  firstId?: number;
}

/** An incident with its parsed timestamps, as the list endpoints read it. */
export interface StoredIncident {
  readonly incident: SimIncident;
  readonly createdTicks: bigint;
  readonly lastUpdateTicks: bigint;
}

interface Row extends StoredIncident {
  incident: SimIncident;
  createdTicks: bigint;
  lastUpdateTicks: bigint;
  visibleAfterMs?: number;
}

const HOUR_TICKS = 3_600_000n * TICKS_PER_MS;

/**
 * The tenant's incidents. Getters return copies: change incidents through `update` so `lastUpdateTime` moves like the service's.
 * Timestamps issued by the store are strictly increasing, even within one millisecond (the sub-ms digits count up).
 */
export class IncidentStore {
  private readonly rows = new Map<number, Row>();
  private readonly rng: Prng;
  private readonly clock: Clock;
  private nextId: number;
  private lastIssuedTicks = 0n;
  /** Size of generated incidents; can be changed between calls. */
  realistic: boolean;

  constructor(options: IncidentStoreOptions) {
    this.clock = options.clock;
    this.rng = new Prng(options.seed);
    this.realistic = options.realistic ?? false;
    this.nextId = options.firstId ?? 100_001;
  }

  get count(): number {
    return this.rows.size;
  }

  /** A new "now" timestamp with 7 fraction digits, strictly after every timestamp the store issued before. */
  issueTimestamp(): string {
    return formatTicks(this.issueTicks());
  }

  /** Adds an incident; unspecified fields are generated. createdTime = lastUpdateTime = now unless given. */
  add(init: IncidentInit = {}): SimIncident {
    const id = init.id ?? this.nextId;
    if (this.rows.has(id)) throw new Error(`incident ${id} already exists`);
    this.nextId = Math.max(this.nextId, id + 1);
    const lastUpdateTime = init.lastUpdateTime ?? this.issueTimestamp();
    const createdTime = init.createdTime ?? lastUpdateTime;
    const createdTicks = requireTimestamp(createdTime, 'createdTime');
    const lastUpdateTicks = requireTimestamp(lastUpdateTime, 'lastUpdateTime');
    const generated = generateIncident(this.rng, { id, createdTicks, lastUpdateTicks, realistic: this.realistic });
    const incident: SimIncident = { ...generated, ...definedOnly(init), id, createdTime, lastUpdateTime };
    this.rows.set(id, { incident, createdTicks, lastUpdateTicks });
    return structuredClone(incident);
  }

  /** Adds `count` incidents that share one exact lastUpdateTime (given, or one issued now). */
  addTied(count: number, init: IncidentInit = {}): SimIncident[] {
    const lastUpdateTime = init.lastUpdateTime ?? this.issueTimestamp();
    return Array.from({ length: count }, () => this.add({ ...init, id: undefined, lastUpdateTime }));
  }

  /** Applies changes and moves lastUpdateTime to now (or to `changes.lastUpdateTime`, verbatim). */
  update(id: number, changes: IncidentChanges = {}): SimIncident {
    const row = this.row(id);
    const lastUpdateTime = changes.lastUpdateTime ?? this.issueTimestamp();
    row.incident = { ...row.incident, ...definedOnly(changes), id, lastUpdateTime };
    row.lastUpdateTicks = requireTimestamp(lastUpdateTime, 'lastUpdateTime');
    row.createdTicks = requireTimestamp(row.incident.createdTime, 'createdTime');
    return structuredClone(row.incident);
  }

  /** Merges `sourceId` into `targetId` as Defender does: the source stays, status Redirected, pointing at the target, which receives its alerts. */
  merge(sourceId: number, targetId: number): { source: SimIncident; target: SimIncident } {
    const movedAlerts = this.row(sourceId).incident.alerts;
    const source = this.update(sourceId, { status: 'Redirected', redirectIncidentId: targetId, alerts: [] });
    const target = this.update(targetId, { alerts: [...this.row(targetId).incident.alerts, ...movedAlerts] });
    return { source, target };
  }

  get(id: number): SimIncident | undefined {
    const row = this.rows.get(id);
    return row ? structuredClone(row.incident) : undefined;
  }

  /** Every incident, hidden ones included, in id order. */
  all(): SimIncident[] {
    return [...this.rows.values()]
      .sort((a, b) => a.incident.id - b.incident.id)
      .map((row) => structuredClone(row.incident));
  }

  /**
   * Creates `count` incidents whose lastUpdateTime is spread over the last `spreadHours` (default 72); `realistic`
   * overrides the store's size setting for this call.
   */
  seed(count: number, options: { spreadHours?: number; realistic?: boolean } = {}): SimIncident[] {
    const realistic = this.realistic;
    this.realistic = options.realistic ?? realistic;
    try {
      return this.seedSpread(count, options.spreadHours ?? 72);
    } finally {
      this.realistic = realistic;
    }
  }

  private seedSpread(count: number, spreadHours: number): SimIncident[] {
    const nowTicks = msToTicks(this.clock());
    const spreadTicks = spreadHours * Number(HOUR_TICKS);
    const updateTicks = Array.from(
      { length: count },
      () => nowTicks - BigInt(Math.floor(this.rng.next() * spreadTicks)) - 1n,
    ).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return updateTicks.map((lastUpdateTicks) => {
      const createdTicks = lastUpdateTicks - BigInt(Math.floor(this.rng.next() * 24 * Number(HOUR_TICKS)));
      this.lastIssuedTicks = lastUpdateTicks > this.lastIssuedTicks ? lastUpdateTicks : this.lastIssuedTicks;
      return this.add({ createdTime: formatTicks(createdTicks), lastUpdateTime: formatTicks(lastUpdateTicks) });
    });
  }

  /** Late visibility: the incident is hidden from the APIs until `epochMs` while its lastUpdateTime stays as it is. */
  setVisibleAfter(id: number, epochMs: number): void {
    this.row(id).visibleAfterMs = epochMs;
  }

  /** Adds fields the documentation does not show (or huge ones) to both API shapes; lastUpdateTime is not changed. */
  setRaw(id: number, extraFields: Record<string, unknown>): void {
    const row = this.row(id);
    row.incident.extraFields = { ...row.incident.extraFields, ...structuredClone(extraFields) };
  }

  /** Incidents the APIs show at `nowMs` (live references: read only). */
  visible(nowMs: number): StoredIncident[] {
    return [...this.rows.values()].filter((row) => row.visibleAfterMs === undefined || nowMs >= row.visibleAfterMs);
  }

  private row(id: number): Row {
    const row = this.rows.get(id);
    if (!row) throw new Error(`incident ${id} does not exist`);
    return row;
  }

  private issueTicks(): bigint {
    const nowTicks = msToTicks(this.clock());
    this.lastIssuedTicks = nowTicks > this.lastIssuedTicks ? nowTicks : this.lastIssuedTicks + 1n;
    return this.lastIssuedTicks;
  }
}

/** A deep copy without the keys whose value is undefined (so `{ status: undefined }` keeps the generated status). */
function definedOnly<T extends object>(value: T): Partial<T> {
  return structuredClone(
    Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)),
  ) as Partial<T>;
}
