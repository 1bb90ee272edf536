import { BlobClient, BlobLeaseClient, ContainerClient, RestError } from '@azure/storage-blob';
import { silentLogger } from '../../src/common/logger';
import { STATE_STORAGE_ROLE } from '../../src/export/stateStorageFix';
import { leaseBlobName, leaseHeld, TenantLease } from '../../src/tenants/tenantLease';
import { failureOf } from '../support/failureOf';

// Never contacted: every request is answered by a spy on the SDK client's prototype.
const container = new ContainerClient('https://account.blob.core.windows.net/state');
const LEASE = leaseBlobName('tenants/contoso.onmicrosoft.com/');

const forbidden = new RestError('This request is not authorized to perform this operation.', {
  code: 'AuthorizationPermissionMismatch',
  statusCode: 403,
});
const notForbidden: [string, RestError][] = [
  ['a 500', new RestError('Server encountered an internal error.', { code: 'InternalError', statusCode: 500 })],
  ['a refused connection', new RestError('connect ECONNREFUSED 127.0.0.1:10000', { code: 'ECONNREFUSED' })],
  ['a DNS failure', new RestError('getaddrinfo ENOTFOUND account.blob.core.windows.net', { code: 'ENOTFOUND' })],
];

describe('tenant lease errors name a role only for a 403', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('names the role when taking the lease answers 403', async () => {
    // Prepare
    jest.spyOn(BlobLeaseClient.prototype, 'acquireLease').mockRejectedValue(forbidden);

    // Act
    const error = await failureOf(() => TenantLease.acquire(container, LEASE, silentLogger));

    // Assess
    expect(error).toMatchObject({ code: 'TenantLeaseFailed', statusCode: 403 });
    expect(error.message).toContain(STATE_STORAGE_ROLE);
  });

  it.each(notForbidden)('names no role when taking the lease fails with %s', async (_, failure) => {
    // Prepare
    jest.spyOn(BlobLeaseClient.prototype, 'acquireLease').mockRejectedValue(failure);

    // Act
    const error = await failureOf(() => TenantLease.acquire(container, LEASE, silentLogger));

    // Assess
    expect(error).toMatchObject({ code: 'TenantLeaseFailed', statusCode: failure.statusCode });
    expect(error.message).not.toMatch(/role/i);
    expect(error.message).toContain('EXPORT_STORAGE');
  });

  it('names the role when checking the lease for status answers 403', async () => {
    jest.spyOn(BlobClient.prototype, 'getProperties').mockRejectedValue(forbidden);

    const error = await failureOf(() => leaseHeld(container, LEASE));

    expect(error).toMatchObject({ code: 'TenantLeaseFailed', statusCode: 403 });
    expect(error.message).toContain(STATE_STORAGE_ROLE);
  });

  it.each(notForbidden)('names no role when checking the lease for status fails with %s', async (_, failure) => {
    jest.spyOn(BlobClient.prototype, 'getProperties').mockRejectedValue(failure);

    const error = await failureOf(() => leaseHeld(container, LEASE));

    expect(error.code).toBe('TenantLeaseFailed');
    expect(error.message).not.toMatch(/role/i);
  });
});
