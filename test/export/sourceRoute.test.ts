import { chooseSource, graphCheckDue, GRAPH_CHECK_INTERVAL_MS } from '../../src/export/sourceRoute';
import { mergeNotes, parseState } from '../../src/export/exportState';

const END_MS = Date.UTC(2027, 1, 1);
const auto = { incidentsApi: 'auto' as const, defenderApiEndMs: END_MS };
const recorded = {
  to: 'graph' as const,
  at: '2026-12-01T10:00:00.000Z',
  reason: 'the Defender API answered that it is gone',
};

describe('which API a run reads', () => {
  it('is the one named by INCIDENTS_API=defender or graph, whatever the date and the state', () => {
    const after = new Date(END_MS + 1);
    expect(chooseSource({ ...auto, incidentsApi: 'defender' }, { apiSwitch: recorded }, after)).toEqual({
      api: 'defender',
    });
    expect(chooseSource({ ...auto, incidentsApi: 'graph' }, undefined, new Date(0))).toEqual({ api: 'graph' });
  });

  it('is Defender in auto mode until 00:00 UTC of the end date, then Graph, recording the switch once', () => {
    expect(chooseSource(auto, undefined, new Date(END_MS - 1))).toEqual({ api: 'defender' });
    expect(chooseSource(auto, {}, new Date(END_MS))).toEqual({
      api: 'graph',
      switchNow: { to: 'graph', at: '2027-02-01T00:00:00.000Z', reason: 'DEFENDER_API_END_DATE 2027-02-01 has passed' },
    });
  });

  it('stays Graph once a switch is recorded, even before the end date (never back by itself)', () => {
    expect(chooseSource(auto, { apiSwitch: recorded }, new Date(END_MS - 30 * 86_400_000))).toEqual({ api: 'graph' });
  });

  it('stays Graph, recording the switch, when the runs before it read Graph (INCIDENTS_API=graph, then auto)', () => {
    const before = new Date(END_MS - 30 * 86_400_000);
    expect(chooseSource(auto, { source: 'graph' }, before)).toEqual({
      api: 'graph',
      switchNow: {
        to: 'graph',
        at: before.toISOString(),
        reason: expect.stringMatching(/read Microsoft Graph/) as unknown,
      },
    });
    expect(chooseSource(auto, { source: 'graph', apiSwitch: recorded }, before)).toEqual({ api: 'graph' });
    expect(chooseSource(auto, { source: 'defender' }, before)).toEqual({ api: 'defender' });
  });
});

describe("Graph's readiness check", () => {
  const checkedAt = '2026-11-28T08:00:00.000Z';
  it('is due when never made, and again a day after the last one', () => {
    const checked = Date.parse(checkedAt);
    expect(graphCheckDue(undefined, new Date(checked))).toBe(true);
    expect(graphCheckDue({ checkedAt, ready: true }, new Date(checked + GRAPH_CHECK_INTERVAL_MS - 1))).toBe(false);
    expect(
      graphCheckDue({ checkedAt, ready: false, code: 'Forbidden' }, new Date(checked + GRAPH_CHECK_INTERVAL_MS)),
    ).toBe(true);
  });
});

describe('the source notes in the state', () => {
  const base = { schemaVersion: 1, watermark: '2026-11-28T08:00:00.0000000Z', exported: {}, source: 'defender' };

  it('keep a recorded switch through a merge with a state that has none (never lost, never undone)', () => {
    expect(mergeNotes({}, { apiSwitch: recorded }).apiSwitch).toEqual(recorded);
    expect(mergeNotes({ apiSwitch: recorded }, {}).apiSwitch).toEqual(recorded);
  });

  it('keep the newer readiness check through a merge', () => {
    const older = { checkedAt: '2026-11-27T08:00:00.000Z', ready: false, code: 'Forbidden' };
    const newer = { checkedAt: '2026-11-28T08:00:00.000Z', ready: true };
    expect(mergeNotes({ graphReadiness: older }, { graphReadiness: newer }).graphReadiness).toEqual(newer);
    expect(mergeNotes({ graphReadiness: newer }, { graphReadiness: older }).graphReadiness).toEqual(newer);
  });

  it('are read back from the state blob, and a malformed switch is a loud StateCorrupted', () => {
    const readiness = { checkedAt: '2026-11-28T08:00:00.000Z', ready: false, code: 'Forbidden', message: 'no' };
    expect(parseState(JSON.stringify({ ...base, apiSwitch: recorded, graphReadiness: readiness }))).toMatchObject({
      apiSwitch: recorded,
      graphReadiness: readiness,
    });
    let thrown: unknown;
    try {
      parseState(JSON.stringify({ ...base, apiSwitch: { to: 'defender' } }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'StateCorrupted' });
  });
});
