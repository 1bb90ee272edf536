import { loadConfig } from '../../src/config/loadConfig';
import { problemsOf, validSettings } from '../support/configFixtures';
import { SETTINGS } from '../../src/config/settings';

const valid = validSettings;

describe('the incidents source settings', () => {
  it(
    'default to auto (Defender until 2027-02-01 00:00 UTC, then Graph), alerts expanded, and ' +
      'the retirement warning from 2026-11-01',
    () => {
      // Act
      const config = loadConfig(valid);

      // Assess
      expect(config).toMatchObject({
        incidentsApi: 'auto',
        graphExpandAlerts: true,
        defenderRetirementWarningFromMs: Date.UTC(2026, 10, 1),
        defenderApiEndMs: Date.UTC(2027, 1, 1),
      });
    },
  );

  it('read INCIDENTS_API=defender and auto explicitly, and another DEFENDER_API_END_DATE', () => {
    expect(loadConfig({ ...valid, INCIDENTS_API: 'DEFENDER' }).incidentsApi).toBe('defender');
    expect(loadConfig({ ...valid, INCIDENTS_API: 'auto', DEFENDER_API_END_DATE: '2027-03-15' })).toMatchObject({
      incidentsApi: 'auto',
      defenderApiEndMs: Date.UTC(2027, 2, 15),
    });
  });

  it.each(['2027-02-30', '2027-02-01T00:00:00Z', 'february'])('refuse the Defender API end date %s', (text) => {
    expect(problemsOf({ ...valid, DEFENDER_API_END_DATE: text })).toEqual([
      expect.stringMatching(/^DEFENDER_API_END_DATE '.*' is not a date: use YYYY-MM-DD/),
    ]);
  });

  it('read INCIDENTS_API=graph, GRAPH_EXPAND_ALERTS=false and a retirement warning date, case-insensitively', () => {
    // Act
    const config = loadConfig({
      ...valid,
      INCIDENTS_API: ' Graph ',
      GRAPH_EXPAND_ALERTS: 'FALSE',
      DEFENDER_RETIREMENT_WARNING_DATE: '2027-01-15',
    });

    // Assess
    expect(config).toMatchObject({
      incidentsApi: 'graph',
      graphExpandAlerts: false,
      defenderRetirementWarningFromMs: Date.UTC(2027, 0, 15),
    });
  });

  it('report an unknown cloud, a bad INCIDENTS_API, a bad flag and a bad date all at once, each with its fix', () => {
    // Act
    const problems = problemsOf({
      ...valid,
      DEFENDER_CLOUD: 'usgov',
      INCIDENTS_API: 'sentinel',
      GRAPH_EXPAND_ALERTS: 'maybe',
      DEFENDER_RETIREMENT_WARNING_DATE: '2026-02-30',
    });

    // Assess
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^DEFENDER_CLOUD 'usgov' is not one of public, gcc, gcchigh, dod: use public for commercial tenants/,
        ),
        expect.stringMatching(
          /^INCIDENTS_API 'sentinel' is not one of auto, defender, graph: set auto .* defender .* or graph/,
        ),
        expect.stringMatching(/^GRAPH_EXPAND_ALERTS 'maybe' is not one of true, false/),
        expect.stringMatching(/^DEFENDER_RETIREMENT_WARNING_DATE '2026-02-30' is not a date: use YYYY-MM-DD/),
      ]),
    );
  });

  it.each(['01/11/2026', '2026-11-1', '2026-11-01T00:00:00Z', 'soon'])(
    'refuse the retirement warning date %s',
    (text) => {
      expect(problemsOf({ ...valid, DEFENDER_RETIREMENT_WARNING_DATE: text })).toEqual([
        expect.stringMatching(/^DEFENDER_RETIREMENT_WARNING_DATE/),
      ]);
    },
  );

  it('refuse a GRAPH_API_URL that is not https', () => {
    expect(problemsOf({ ...valid, GRAPH_API_URL: 'http://graph.microsoft.com' })).toEqual([
      expect.stringMatching(
        /^GRAPH_API_URL 'http:\/\/graph\.microsoft\.com' must use https \(e\.g\. https:\/\/graph\.microsoft\.com\)/,
      ),
    ]);
  });

  it('are part of the settings contract, with the cloud-derived defaults described as text', () => {
    const byName = new Map(SETTINGS.map((setting) => [setting.name, setting]));
    for (const name of [
      'INCIDENTS_API',
      'DEFENDER_CLOUD',
      'GRAPH_API_URL',
      'GRAPH_EXPAND_ALERTS',
      'DEFENDER_RETIREMENT_WARNING_DATE',
      'DEFENDER_API_END_DATE',
    ])
      expect(byName.has(name)).toBe(true);
    for (const name of ['DEFENDER_API_URL', 'GRAPH_API_URL', 'AZURE_AUTHORITY_HOST'])
      expect(byName.get(name)?.defaultValue).toMatch(/^from DEFENDER_CLOUD: /);
    expect(byName.get('DEFENDER_API_URL')?.description).toMatch(/api-eu\.security\.microsoft\.com/);
  });
});
