import { InvocationContext } from '@azure/functions';
import { contextLogger } from '../../src/functions/contextLogger';

/**
 * The calls to app.timer, app.storageQueue and app.http made while a fresh copy of `modulePath` loads (the spies
 * of test/functions/registration.test.ts, which see the functions index register its functions).
 */
function registrationsWhileImporting(modulePath: string): unknown[][] {
  let calls: unknown[][] = [];
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const isolated = require('@azure/functions') as typeof import('@azure/functions');
    const timer = jest.spyOn(isolated.app, 'timer').mockImplementation(() => undefined);
    const storageQueue = jest.spyOn(isolated.app, 'storageQueue').mockImplementation(() => undefined);
    const http = jest.spyOn(isolated.app, 'http').mockImplementation(() => undefined);
    require(modulePath);
    /* eslint-enable @typescript-eslint/no-require-imports */
    calls = [...timer.mock.calls, ...storageQueue.mock.calls, ...http.mock.calls];
  });
  return calls;
}

describe('contextLogger', () => {
  it('registers no Azure Function when its module is imported', () => {
    const calls = registrationsWhileImporting('../../src/functions/contextLogger');

    expect(calls).toEqual([]);
  });

  it('writes each level to the invocation context at the matching log level, with properties and redaction', () => {
    const lines: [string, unknown[]][] = [];
    const context = new InvocationContext({
      functionName: 'exportIncidents',
      logHandler: (level, ...args) => lines.push([level, args]),
    });
    const log = contextLogger(context);

    log.info('Export run started', { runId: 'r1', incidents: 3 });
    log.warn('Retrying', { header: 'Bearer abc.def-123' });
    log.error('Run failed');

    expect(lines).toEqual([
      ['information', ['Export run started runId=r1 incidents=3']],
      ['warning', ['Retrying header=Bearer [REDACTED]']],
      ['error', ['Run failed']],
    ]);
  });
});
