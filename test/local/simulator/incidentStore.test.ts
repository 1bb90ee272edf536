import { IncidentStore, parseTimestamp, toDefenderIncident, toGraphIncident } from '../../../src/local/simulator';

describe('IncidentStore', () => {
  const fixedNow = Date.UTC(2026, 10, 27, 7, 30, 57, 123);
  const newStore = (options: { realistic?: boolean; seed?: number } = {}): IncidentStore =>
    new IncidentStore({ clock: () => fixedNow, seed: options.seed ?? 1, realistic: options.realistic });

  it('issues strictly increasing 7-digit timestamps even within one millisecond', () => {
    // Prepare
    const store = newStore();
    const incident = store.add();

    // Act
    const updated = [store.update(incident.id), store.update(incident.id), store.add()].map(
      (item) => item.lastUpdateTime,
    );

    // Assess
    expect(incident.lastUpdateTime).toBe('2026-11-27T07:30:57.1230000Z');
    expect(updated).toEqual([
      '2026-11-27T07:30:57.1230001Z',
      '2026-11-27T07:30:57.1230002Z',
      '2026-11-27T07:30:57.1230003Z',
    ]);
    expect(incident.createdTime).toBe(incident.lastUpdateTime);
  });

  it('stores a lastUpdateTime given verbatim, in any precision', () => {
    // Prepare
    const store = newStore();

    // Act
    const none = store.add({ lastUpdateTime: '2026-11-27T07:30:57Z' });
    const two = store.update(store.add().id, { lastUpdateTime: '2026-11-27T07:30:57.29Z' });

    // Assess
    expect(toDefenderIncident(none, 't').lastUpdateTime).toBe('2026-11-27T07:30:57Z');
    expect(toGraphIncident(two, 't', false).lastUpdateDateTime).toBe('2026-11-27T07:30:57.29Z');
    expect(() => store.add({ lastUpdateTime: 'yesterday' })).toThrow(/not an ISO 8601/);
  });

  it('creates incidents sharing one exact lastUpdateTime', () => {
    // Act
    const tied = newStore().addTied(3);

    // Assess
    expect(new Set(tied.map((incident) => incident.lastUpdateTime)).size).toBe(1);
    expect(new Set(tied.map((incident) => incident.id)).size).toBe(3);
  });

  it('seeds reproducible incidents spread over the given hours', () => {
    // Act
    const first = newStore({ seed: 42 }).seed(20, { spreadHours: 2 });
    const second = newStore({ seed: 42 }).seed(20, { spreadHours: 2 });

    // Assess
    expect(first).toEqual(second);
    const nowTicks = BigInt(fixedNow) * 10_000n;
    for (const incident of first) {
      const ticks = parseTimestamp(incident.lastUpdateTime) ?? 0n;
      expect(ticks < nowTicks && ticks >= nowTicks - 2n * 3_600_000n * 10_000n).toBe(true);
      expect(incident.lastUpdateTime).toMatch(/\.\d{7}Z$/);
    }
  });

  it('renders one incident consistently in the Defender and Graph shapes', () => {
    // Prepare
    const incident = newStore().add({ status: 'Active', classification: 'TruePositive', determination: 'Malware' });

    // Act
    const defender = toDefenderIncident(incident, 'tenant');
    const graph = toGraphIncident(incident, 'tenant', true);

    // Assess
    expect(graph.id).toBe(String(defender.incidentId));
    expect(graph.lastUpdateDateTime).toBe(defender.lastUpdateTime);
    expect(graph.createdDateTime).toBe(defender.createdTime);
    expect([graph.status, graph.classification, graph.determination]).toEqual(['active', 'truePositive', 'malware']);
    expect(Array.isArray(graph.alerts)).toBe(true);
  });

  it('generates realistic incidents of roughly 5 to 50 KB and small ones by default', () => {
    // Act
    const realistic = newStore({ realistic: true })
      .seed(30)
      .map((incident) => JSON.stringify(toDefenderIncident(incident, 't')).length);
    const small = newStore()
      .seed(30)
      .map((incident) => JSON.stringify(toDefenderIncident(incident, 't')).length);

    // Assess
    const average = realistic.reduce((sum, size) => sum + size, 0) / realistic.length;
    expect(average).toBeGreaterThan(5_000);
    expect(Math.max(...realistic)).toBeLessThan(80_000);
    expect(Math.max(...small)).toBeLessThan(5_000);
  });

  it('adds unknown and huge fields to both shapes without touching lastUpdateTime', () => {
    // Prepare
    const store = newStore();
    const incident = store.add();

    // Act
    store.setRaw(incident.id, { undocumentedField: { nested: true }, huge: 'x'.repeat(1_000_000) });

    // Assess
    const stored = store.get(incident.id);
    expect(stored?.lastUpdateTime).toBe(incident.lastUpdateTime);
    expect(stored && toDefenderIncident(stored, 't').undocumentedField).toEqual({ nested: true });
    expect(stored && String(toGraphIncident(stored, 't', false).huge)).toHaveLength(1_000_000);
  });

  it('merges an incident into another: Redirected with redirectIncidentId, alerts moved', () => {
    // Prepare
    const store = newStore();
    const source = store.add();
    const target = store.add();

    // Act
    const merged = store.merge(source.id, target.id);

    // Assess
    expect(merged.source.status).toBe('Redirected');
    expect(merged.source.redirectIncidentId).toBe(target.id);
    expect(merged.target.alerts).toHaveLength(target.alerts.length + source.alerts.length);
    expect(toGraphIncident(merged.source, 't', false).redirectIncidentId).toBe(String(target.id));
    expect(store.count).toBe(2);
  });

  it('returns copies, so only update changes an incident', () => {
    // Prepare
    const store = newStore();
    const incident = store.add();

    // Act
    incident.status = 'Resolved';

    // Assess
    expect(store.get(incident.id)?.status).not.toBe('Resolved');
    expect(store.all()).toHaveLength(1);
  });
});
