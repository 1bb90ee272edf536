import { app, InvocationContext, type Timer } from '@azure/functions';
import { AWAITED_SUMMARY_FIELDS } from '../infra/awaitedFromTheCore';
import { alertQueries, fieldsUsed, workbookQueries } from '../infra/summaryQueries';

/**
 * The summary line as the deployed functions really write it: three runs of the exportIncidents handler (the first run,
 * a next one, which also has a watermark before, and a failed one), then, with a tenant registry, a run of the
 * exportTenant handler for a queued tenant (tenantId, attempt) against Azurite and the simulated tenant, and the
 * `ExportRunSummary {json}` lines they log through the invocation context.
 */
async function summaryLinesOfTwoRuns(): Promise<string[]> {
  const { startWorld } = await import('../support/world');
  const world = await startWorld({ tenant: { seedIncidents: 0 } });
  jest.spyOn(app, 'timer').mockImplementation(() => undefined);
  const { exportIncidentsHandler } = await import('../../src/functions/exportIncidents');
  const exportIncidents = exportIncidentsHandler(() => world.runtime);
  const lines: string[] = [];
  const context = new InvocationContext({
    functionName: 'exportIncidents',
    logHandler: (_level, ...args) => lines.push(args.join(' ')),
  });
  const scheduled: Timer = {
    isPastDue: false,
    schedule: { adjustForDST: false },
    scheduleStatus: { last: '', next: '', lastUpdated: '' },
  };
  try {
    world.tenant.incidents.seed(12, { spreadHours: 1 });
    await exportIncidents(scheduled, context);
    world.tenant.incidents.seed(3, { spreadHours: 0.1 });
    await exportIncidents(scheduled, context);
    // A failed run writes its own, shorter line (outcome, code).
    const { SecretError } = await import('../../src/common/errors');
    const failing = exportIncidentsHandler(() => ({
      ...world.runtime,
      deps: {
        ...world.deps,
        readSecret: () => Promise.reject(new SecretError('no secret', { code: 'SecretNotFound' })),
      },
    }));
    await expect(failing(scheduled, context)).rejects.toMatchObject({ code: 'SecretNotFound' });
    // With a registry: one queued tenant run (its line names the tenant and the delivery of its message).
    jest.spyOn(app, 'storageQueue').mockImplementation(() => undefined);
    const { exportTenantHandler } = await import('../../src/functions/exportTenant');
    const { TenantRegistryStore } = await import('../../src/tenants/registry');
    const tenantId = world.tenant.tenantId.toLowerCase();
    await new TenantRegistryStore(world.deps.stateContainer).update(() => ({
      schemaVersion: 1,
      tenants: [{ tenantId, enabled: true }],
    }));
    const queued = new InvocationContext({
      functionName: 'exportTenant',
      logHandler: (_level, ...args) => lines.push(args.join(' ')),
      triggerMetadata: { dequeueCount: 1 },
    });
    await exportTenantHandler(() => world.runtime)({ tenantId, tick: new Date().toISOString() }, queued);
  } finally {
    await world.close();
  }
  return lines.filter((line) => line.startsWith('ExportRunSummary '));
}

/** The keys of the JSON after the prefix, which is exactly what a query's parse_json(substring(message, 17)) sees. */
function fieldsOf(line: string): string[] {
  const parsed: unknown = JSON.parse(line.slice('ExportRunSummary '.length));
  return typeof parsed === 'object' && parsed !== null ? Object.keys(parsed) : [];
}

describe('the fields the health workbook and the alerts read from the ExportRunSummary line', () => {
  let written: Set<string>;
  let lineCount: number;

  beforeAll(async () => {
    const lines = await summaryLinesOfTwoRuns();
    lineCount = lines.length;
    written = new Set(lines.flatMap(fieldsOf));
  });

  it('come from a real line: one per run, JSON after the prefix', () => {
    expect(lineCount).toBe(4);
    expect(written.size).toBeGreaterThan(10);
  });

  it('are each written by the function, or awaited from the exporter', () => {
    const queries = [...workbookQueries(), ...alertQueries()];
    const missing = queries.flatMap((query) =>
      fieldsUsed(query.query)
        .filter((field) => !written.has(field) && !AWAITED_SUMMARY_FIELDS.includes(field))
        .map((field) => `${query.source}: s.${field}`),
    );

    expect(queries.length).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it(
    'are awaited only while the function does not write them (remove them from ' +
      'awaitedFromTheCore.ts once it does)',
    () => {
      expect(AWAITED_SUMMARY_FIELDS.filter((field) => written.has(field))).toEqual([]);
    },
  );
});
