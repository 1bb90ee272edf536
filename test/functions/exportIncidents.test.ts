import { app, InvocationContext, type Timer } from '@azure/functions';
import { resetRuntime } from '../../src/runtime/exporterRuntime';

describe('the exportIncidents timer function', () => {
  it('registers on %EXPORT_SCHEDULE% without runOnStartup', () => {
    let calls: unknown[][] = [];
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const isolated = require('@azure/functions') as typeof import('@azure/functions');
      const timer = jest.spyOn(isolated.app, 'timer').mockImplementation(() => undefined);
      require('../../src/functions/exportIncidents');
      /* eslint-enable @typescript-eslint/no-require-imports */
      calls = timer.mock.calls;
    });
    expect(calls).toEqual([
      ['exportIncidents', expect.objectContaining({ schedule: '%EXPORT_SCHEDULE%', runOnStartup: false })],
    ]);
  });

  it('fails the invocation with every settings problem (scheduled or manual run alike)', async () => {
    jest.spyOn(app, 'timer').mockImplementation(() => undefined);
    const { exportIncidents } = await import('../../src/functions/exportIncidents');
    const saved = { ...process.env };
    for (const key of [
      'DEFENDER_TENANT_ID',
      'DEFENDER_CLIENT_ID',
      'KEY_VAULT_URI',
      'EXPORT_STORAGE',
      'AzureWebJobsStorage',
    ])
      delete process.env[key];
    resetRuntime();
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName: 'exportIncidents',
      logHandler: (_level, ...args) => lines.push(args.join(' ')),
    });
    const manual = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: null } as unknown as Timer;
    try {
      await expect(exportIncidents(manual, context)).rejects.toMatchObject({
        code: 'InvalidSettings',
        message: expect.stringMatching(/DEFENDER_CLIENT_ID is missing[\s\S]*KEY_VAULT_URI is missing/) as unknown,
      });
    } finally {
      process.env = saved;
      resetRuntime();
    }
  });
});

describe('a manual run from the portal (scheduleStatus null)', () => {
  it('exports exactly like a scheduled run', async () => {
    const { startWorld } = await import('../support/world');
    const world = await startWorld({ tenant: { seedIncidents: 0 } });
    jest.spyOn(app, 'timer').mockImplementation(() => undefined);
    const { exportIncidentsHandler } = await import('../../src/functions/exportIncidents');
    // The handler over a runtime against the local world with an explicit credential (never the managed-identity endpoint).
    const exportIncidents = exportIncidentsHandler(() => world.runtime);
    world.tenant.incidents.seed(30, { spreadHours: 1 });
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName: 'exportIncidents',
      logHandler: (_level, ...args) => lines.push(args.join(' ')),
    });
    const manual = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: null } as unknown as Timer;
    try {
      await exportIncidents(manual, context);
      const outcome = lines.filter((line) => /ExportRunSummary|Export run (succeeded|failed)/.test(line));
      // One outcome line per run: the handler's summary, not a second line from the run loop.
      expect(outcome).toHaveLength(1);
      expect(outcome[0]).toMatch(/ExportRunSummary .*"trigger":"manual".*"incidents":30/);
    } finally {
      await world.close();
    }
  });
});
