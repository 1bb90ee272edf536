import { SETTINGS } from '../../src/config/settings';
import {
  declarations,
  objectVariable,
  propertyBlock,
  readRepoFile,
  roleAssignments,
  stripComments,
} from './templateText';

/** The runs queue of the tenants fan-out (exportIncidents → EXPORT_QUEUE → exportTenant) in the templates and host.json. */
const mainBicep = readRepoFile('infra/main.bicep');
const functionAppBicep = readRepoFile('infra/app/function-app.bicep');
const rbacBicep = readRepoFile('infra/app/rbac.bicep');
const hostJson = JSON.parse(readRepoFile('host.json')) as {
  functionTimeout: string;
  extensions?: { queues?: Record<string, unknown> };
};
const queues = hostJson.extensions?.queues ?? {};

/**
 * Measured by `npm run bench` (BENCHMARKS.md, "Many tenants"; 2026-11-29, since replies are held instead of copied and
 * blocks are 1 MB): one more concurrent tenant run costs 7.6-7.9 MB from 1 to 32 tenants at once and 10.6 MB from 1 to
 * 8 (realistic incidents); before that change it was up to 22 MB, still taken here as the margin;
 * one tenant's process peaks near 104 MB, taken as 300 to leave room for the Functions host's worker around it.
 */
const MB_PER_CONCURRENT_TENANT = 22;
const BASE_PROCESS_MB = 300;
const FLEX_INSTANCE_MB = 2048;

describe('the runs queue in the templates', () => {
  const [hostAccount] = declarations('infra/main.bicep', mainBicep).filter(
    (declaration) => declaration.symbol === 'hostStorageAccount',
  );

  it('is created with its poison queue on the host storage account', () => {
    const queueServices = hostAccount === undefined ? '' : (propertyBlock(hostAccount.body, 'queueServices') ?? '');

    expect(queueServices).toMatch(/name\s*:\s*exportQueueName\b/);
    expect(queueServices).toMatch(/name\s*:\s*poisonQueueName\b/);
    expect(stripComments(mainBicep)).toMatch(/^var poisonQueueName = '\$\{exportQueueName\}-poison'$/m);
    expect(stripComments(mainBicep)).toMatch(/enableQueue\s*:\s*true/);
  });

  it('is named by EXPORT_QUEUE, always written (the bindings resolve %EXPORT_QUEUE%) with the contract default', () => {
    const exportQueue = SETTINGS.find((setting) => setting.name === 'EXPORT_QUEUE');

    expect(objectVariable(mainBicep, 'exporterSettings').get('EXPORT_QUEUE')).toBe('exportQueueName');
    expect(stripComments(mainBicep)).toContain(`param exportQueueName string = '${exportQueue?.defaultValue ?? '?'}'`);
    expect(readRepoFile('infra/main.parameters.json')).toContain(
      `"\${EXPORT_QUEUE=${exportQueue?.defaultValue ?? '?'}}"`,
    );
  });

  it('is reached by the host with the identity through AzureWebJobsStorage__queueServiceUri', () => {
    expect(
      objectVariable(functionAppBicep, 'hostStorageQueueSettings').get('AzureWebJobsStorage__queueServiceUri'),
    ).toBe('hostStorage.properties.primaryEndpoints.queue');
    expect(stripComments(mainBicep)).toMatch(/enableHostStorageQueues\s*:\s*hostStorage\.enableQueue/);
  });

  it('is read and written with Storage Queue Data Contributor on the host account only', () => {
    const queueGrants = roleAssignments('infra/app/rbac.bicep', rbacBicep).filter(
      (assignment) => assignment.roleVariable === 'storageQueueDataContributorRoleId',
    );

    expect(queueGrants.map((grant) => `${grant.principal} on ${grant.scope}`)).toEqual([
      'managedIdentityPrincipalId on hostStorage',
    ]);
    expect(rbacBicep).toContain(
      "var storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage " +
        'Queue Data Contributor',
    );
  });
});

describe('host.json queue settings (how each instance consumes the runs queue)', () => {
  it('sets every knob explicitly: batch, threshold, deliveries, retry delay, polling, encoding', () => {
    expect(Object.keys(queues).sort()).toEqual(
      [
        'batchSize',
        'maxDequeueCount',
        'maxPollingInterval',
        'messageEncoding',
        'newBatchThreshold',
        'visibilityTimeout',
      ].sort(),
    );
    expect(queues.messageEncoding).toBe('base64');
  });

  it('keeps the tenants one instance runs at once within a 2 GB Flex Consumption instance', () => {
    const concurrent = Number(queues.batchSize) + Number(queues.newBatchThreshold);

    expect(Number(queues.batchSize)).toBeLessThanOrEqual(32);
    expect(BASE_PROCESS_MB + concurrent * MB_PER_CONCURRENT_TENANT).toBeLessThan(FLEX_INSTANCE_MB / 2);
    expect(readRepoFile('infra/app/function-app.bicep')).toMatch(/param instanceMemoryMB int = 2048/);
  });

  it('retries a failed tenant run before the next tick of the default schedule (every 5 minutes)', () => {
    const [, minutes = '0', seconds = '0'] = /^00:(\d{2}):(\d{2})$/.exec(String(queues.visibilityTimeout)) ?? [];
    const retryDelaySeconds = Number(minutes) * 60 + Number(seconds);

    expect(Number(queues.maxDequeueCount)).toBeGreaterThanOrEqual(2);
    expect(retryDelaySeconds).toBeGreaterThan(0);
    expect(retryDelaySeconds * (Number(queues.maxDequeueCount) - 1)).toBeLessThan(5 * 60);
  });

  it('is documented in the README and infra/README.md', () => {
    for (const file of ['README.md', 'infra/README.md']) {
      const text = readRepoFile(file);
      for (const setting of ['batchSize', 'newBatchThreshold', 'maxDequeueCount', 'visibilityTimeout']) {
        expect(`${file}: ${String(text.includes(setting))}`).toBe(`${file}: true`);
      }
    }
  });
});
