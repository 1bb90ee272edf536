import { AWAITED_SUMMARY_FIELDS } from './awaitedFromTheCore';
import {
  alertQueries,
  fieldsUsed,
  folded,
  runSummaryInterfaceFields,
  SUMMARY_PARSE,
  workbookItems,
  workbookQueries,
} from './summaryQueries';
import { declarations, readRepoFile, stripComments } from './templateText';

const queries = [...workbookQueries(), ...alertQueries()];
const interfaceFields = runSummaryInterfaceFields();

describe('the health workbook (infra/app/workbook.json)', () => {
  it('is a workbook document of query items, found by the extractor', () => {
    const workbook: unknown = JSON.parse(readRepoFile('infra/app/workbook.json'));

    expect(workbook).toMatchObject({ version: 'Notebook/1.0' });
    expect(workbookItems().length).toBeGreaterThan(5);
    expect(workbookQueries().length).toBeGreaterThanOrEqual(6);
  });

  it.each([
    ['runs over time by trigger and outcome', 'runs-by-trigger-and-outcome', ['s.trigger', 'outcome']],
    ['incidents and blobs per run', 'incidents-and-blobs', ['s.incidents', 's.blobs']],
    ['watermark lag', 'watermark-lag', ['s.watermarkAfter']],
    ['throttled waits and retries', 'throttling', ['s.throttledWaits', 's.retries']],
    ['duration against the budget', 'duration-against-budget', ['s.durationMs', 's.budgetMs']],
    ['the last error of each tenant', 'last-error-per-tenant', ['s.tenantId', 's.code']],
  ])('shows %s', (_what, name, mentions) => {
    const query = workbookQueries().find((candidate) => candidate.source === `workbook.json ${name}`)?.query ?? '';

    for (const mention of mentions) {
      expect(query).toContain(mention);
    }
  });

  it('reads telemetry that sampling never drops: host.json keeps every request, exception and trace', () => {
    // Adaptive sampling (on by default, about 20 items/s) would drop summary lines when many tenants run at
    // once: runs would go uncounted, a tenant's last error could vanish, and "no success" alerts could fire.
    const host = JSON.parse(readRepoFile('host.json')) as {
      logging: { applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes?: string } } };
    };
    const sampling = host.logging.applicationInsights.samplingSettings;
    const excluded = (sampling.excludedTypes ?? '').split(';').map((type) => type.trim());
    const tablesRead = new Set(queries.flatMap(({ query }) => query.match(/\b(traces|exceptions|requests)\b/g) ?? []));
    const typeOf: Record<string, string> = { traces: 'Trace', exceptions: 'Exception', requests: 'Request' };

    expect(tablesRead.size).toBeGreaterThan(0);
    for (const table of tablesRead) if (sampling.isEnabled) expect(excluded).toContain(typeOf[table]);
  });

  it('counts failed runs that wrote no summary line from the function requests, once each', () => {
    const runs =
      workbookQueries().find((candidate) => candidate.source === 'workbook.json runs-by-trigger-and-outcome')?.query ??
      '';

    expect(folded(runs)).toContain(
      'requests | where operation_Name in ("exportIncidents", "exportTenant") and success == ' +
        'false | join kind=leftanti',
    );
    expect(stripComments(readRepoFile('infra/main.bicep'))).toMatch(/var functionName = 'exportIncidents'/);
    expect(stripComments(readRepoFile('infra/main.bicep'))).toMatch(/var tenantFunctionName = 'exportTenant'/);
  });

  it('is deployed by workbook.bicep from this file, on the Application Insights component', () => {
    const workbookBicep = stripComments(readRepoFile('infra/app/workbook.bicep'));
    const [workbook] = declarations('infra/app/workbook.bicep', readRepoFile('infra/app/workbook.bicep'));

    expect(workbookBicep).toContain("loadJsonContent('workbook.json')");
    expect(workbook?.target).toMatch(/^Microsoft\.Insights\/workbooks@\d{4}-\d{2}-\d{2}$/);
    expect(workbook?.body).toMatch(/sourceId\s*:\s*applicationInsightsId/);
    expect(workbook?.body).toMatch(/serializedData\s*:\s*string\(content\)/);
    expect(workbook?.body).toMatch(/name\s*:\s*guid\(/);
  });

  it('is linked from the function app (tag), the azd outputs and the README', () => {
    const mainBicep = stripComments(readRepoFile('infra/main.bicep'));

    expect(mainBicep).toMatch(/'health-workbook'\s*:\s*healthWorkbook\.outputs\.resourceId/);
    expect(mainBicep).toMatch(/^output AZURE_HEALTH_WORKBOOK_URL string = healthWorkbook\.outputs\.portalUrl$/m);
    expect(readRepoFile('README.md')).toContain('AZURE_HEALTH_WORKBOOK_URL');
    expect(readRepoFile('infra/README.md')).toContain('AZURE_HEALTH_WORKBOOK_URL');
  });
});

describe('the queries that read the ExportRunSummary line (workbook and alerts)', () => {
  it('are found by the extractor', () => {
    expect(queries.filter((query) => query.query.includes('ExportRunSummary')).length).toBeGreaterThanOrEqual(8);
  });

  it('all parse the line the same way, skipping exactly the prefix the function writes', () => {
    const summaryQueries = queries.filter((query) => query.query.includes('ExportRunSummary'));

    expect('ExportRunSummary '.length).toBe(17);
    expect(readRepoFile('src/functions/runReport.ts')).toContain(
      'logger.info(`ExportRunSummary ${JSON.stringify(summary)}`)',
    );
    expect(
      summaryQueries.filter((query) => !folded(query.query).includes(SUMMARY_PARSE)).map((query) => query.source),
    ).toEqual([]);
  });

  it('use only fields of the RunSummary interface, or fields awaited from the exporter', () => {
    const known = new Set([...interfaceFields, ...AWAITED_SUMMARY_FIELDS]);
    const unknown = queries.flatMap((query) =>
      fieldsUsed(query.query)
        .filter((field) => !known.has(field))
        .map((field) => `${query.source}: s.${field}`),
    );

    expect(interfaceFields.length).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
  });

  it('await a field only while RunSummary lacks it (remove it from awaitedFromTheCore.ts once it is written)', () => {
    expect(AWAITED_SUMMARY_FIELDS.filter((field) => interfaceFields.includes(field))).toEqual([]);
  });

  it('split by tenant, with the tenantId the queued runs write', () => {
    expect(interfaceFields).toContain('tenantId');
    const byTenant = queries.filter((query) => fieldsUsed(query.query).includes('tenantId'));
    expect(byTenant.map((query) => query.source)).toEqual(
      expect.arrayContaining(['workbook.json last-error-per-tenant', 'workbook.json watermark-lag']),
    );
  });
});
