import { RestError } from '@azure/core-rest-pipeline';
import { AuthenticationError } from '@azure/identity';
import { azureErrorStatus } from '../../src/auth/azureErrorStatus';

describe('the HTTP status of an Azure SDK error', () => {
  it("is a service reply's status (RestError)", () => {
    expect(azureErrorStatus(new RestError('Forbidden', { statusCode: 403, code: 'Forbidden' }))).toBe(403);
  });

  it("is Entra's status when the client's credential could not sign in (AuthenticationError)", () => {
    expect(azureErrorStatus(new AuthenticationError(401, { error: 'invalid_client' }))).toBe(401);
  });

  it('is read from a RestError of another copy of the SDK core, which instanceof would miss', () => {
    const foreign = Object.assign(new Error('Not Found'), { name: 'RestError', statusCode: 404 });

    expect(azureErrorStatus(foreign)).toBe(404);
  });

  it('is undefined for a request that got no reply, and for errors from outside the SDK', () => {
    expect(azureErrorStatus(new RestError('connect ECONNREFUSED', { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(azureErrorStatus({ statusCode: 500 })).toBeUndefined();
    expect(azureErrorStatus(new Error('boom'))).toBeUndefined();
  });
});
