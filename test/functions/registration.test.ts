/** What the Functions host is told at indexing: names, triggers and bindings of each function. */
function registrations(): { timer: unknown[][]; storageQueue: unknown[][] } {
  let found = { timer: [] as unknown[][], storageQueue: [] as unknown[][] };
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const isolated = require('@azure/functions') as typeof import('@azure/functions');
    const timer = jest.spyOn(isolated.app, 'timer').mockImplementation(() => undefined);
    const storageQueue = jest.spyOn(isolated.app, 'storageQueue').mockImplementation(() => undefined);
    jest.spyOn(isolated.app, 'http').mockImplementation(() => undefined);
    require('../../src/functions/index');
    /* eslint-enable @typescript-eslint/no-require-imports */
    found = { timer: timer.mock.calls, storageQueue: storageQueue.mock.calls };
  });
  return found;
}

describe('the functions of the runs queue, as the host indexes them', () => {
  it('exportTenant is triggered by %EXPORT_QUEUE% on the host storage connection (AzureWebJobsStorage)', () => {
    expect(registrations().storageQueue).toEqual([
      ['exportTenant', expect.objectContaining({ queueName: '%EXPORT_QUEUE%', connection: 'AzureWebJobsStorage' })],
    ]);
  });

  it('exportIncidents writes to the same queue through a storage-queue output binding', () => {
    const [[name, options] = []] = registrations().timer;

    expect(name).toBe('exportIncidents');
    expect(options).toMatchObject({
      extraOutputs: [
        expect.objectContaining({ type: 'queue', queueName: '%EXPORT_QUEUE%', connection: 'AzureWebJobsStorage' }),
      ],
    });
  });
});
