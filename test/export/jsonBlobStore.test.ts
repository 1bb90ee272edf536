import { BlockBlobClient, ContainerClient, RestError } from '@azure/storage-blob';
import { BackfillJobStore } from '../../src/export/backfillJob';
import { STATE_STORAGE_ROLE } from '../../src/export/stateStorageFix';
import { StateStore } from '../../src/export/stateStore';
import { genesisState } from '../../src/export/windowPlan';
import { TenantRegistryStore } from '../../src/tenants/registry';
import { failureOf } from '../support/failureOf';

// Never contacted: every request the stores make is answered by a spy on the SDK client's prototype.
const container = new ContainerClient('https://account.blob.core.windows.net/state');

/** Storage errors as the SDK raises them: an HTTP answer, or no answer (a socket error code, no status). */
const FAILURES = {
  '403 AuthorizationPermissionMismatch': new RestError('This request is not authorized to perform this operation.', {
    code: 'AuthorizationPermissionMismatch',
    statusCode: 403,
  }),
  '500 InternalError': new RestError('Server encountered an internal error.', {
    code: 'InternalError',
    statusCode: 500,
  }),
  'ECONNREFUSED (no answer)': new RestError('connect ECONNREFUSED 127.0.0.1:10000', { code: 'ECONNREFUSED' }),
  'ENOTFOUND (DNS)': new RestError('getaddrinfo ENOTFOUND account.blob.core.windows.net', { code: 'ENOTFOUND' }),
} as const;
type Failure = keyof typeof FAILURES;
const NOT_403: Failure[] = ['500 InternalError', 'ECONNREFUSED (no answer)', 'ENOTFOUND (DNS)'];

/** The read of each store that sits on the JSON blob store. */
const READS: [string, () => Promise<unknown>][] = [
  ['the state store', () => new StateStore(container).read()],
  ['the backfill job store', () => new BackfillJobStore(container).read('job-1')],
  ['the tenant registry store', () => new TenantRegistryStore(container).read()],
];

const STATE = genesisState(new Date('2026-11-27T08:00:00.000Z'), { initialLookbackHours: 24 });

describe('JSON blob store errors name a role only for a 403', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each(READS)('%s names the role when a read answers 403', async (_, read) => {
    // Prepare
    jest
      .spyOn(BlockBlobClient.prototype, 'download')
      .mockRejectedValue(FAILURES['403 AuthorizationPermissionMismatch']);

    // Act
    const error = await failureOf(read);

    // Assess
    expect(error).toMatchObject({ statusCode: 403 });
    expect(error.message).toContain(STATE_STORAGE_ROLE);
  });

  it.each(READS.flatMap(([store, read]) => NOT_403.map((failure) => [store, failure, read] as const)))(
    '%s names no role when a read fails with %s',
    async (_, failure, read) => {
      // Prepare
      jest.spyOn(BlockBlobClient.prototype, 'download').mockRejectedValue(FAILURES[failure]);

      // Act
      const error = await failureOf(read);

      // Assess
      expect(error.code).toMatch(/^(StateReadFailed|TenantRegistryUnreadable)$/);
      expect(error.statusCode).toBe(FAILURES[failure].statusCode);
      expect(error.message).not.toMatch(/role/i);
      expect(error.message).toContain('EXPORT_STORAGE');
    },
  );

  it('reads a missing blob as no document, not as an error', async () => {
    jest
      .spyOn(BlockBlobClient.prototype, 'download')
      .mockRejectedValue(
        new RestError('The specified blob does not exist.', { code: 'BlobNotFound', statusCode: 404 }),
      );

    await expect(new StateStore(container).read()).resolves.toEqual({ state: undefined, etag: undefined });
  });

  it('names the role when a state write answers 403', async () => {
    // Prepare
    jest.spyOn(BlockBlobClient.prototype, 'upload').mockRejectedValue(FAILURES['403 AuthorizationPermissionMismatch']);

    // Act
    const error = await failureOf(() => new StateStore(container).write(STATE, 'etag-1'));

    // Assess
    expect(error).toMatchObject({ code: 'StateWriteFailed', statusCode: 403 });
    expect(error.message).toContain(STATE_STORAGE_ROLE);
  });

  it.each(NOT_403)('names no role when a state write fails with %s', async (failure) => {
    // Prepare
    jest.spyOn(BlockBlobClient.prototype, 'upload').mockRejectedValue(FAILURES[failure]);

    // Act
    const error = await failureOf(() => new StateStore(container).write(STATE, 'etag-1'));

    // Assess
    expect(error.code).toBe('StateWriteFailed');
    expect(error.message).not.toMatch(/role/i);
  });
});
