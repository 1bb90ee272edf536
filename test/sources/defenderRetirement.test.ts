import { ApiError } from '../../src/common/errors';
import { asRetirement, DefenderApiRetiredError, retirementSign } from '../../src/sources/defenderRetirement';

const LIST = 'https://api.security.microsoft.com/api/incidents?$top=100';

function refusal(statusCode: number | undefined, apiCode?: string, apiMessage?: string): ApiError {
  return new ApiError('refused', { code: apiCode ?? 'Http', statusCode, apiCode, apiMessage });
}

describe('the rule that says the Defender API is gone', () => {
  it('takes a 410 Gone', () => {
    expect(retirementSign(refusal(410, 'Gone', 'This API has been removed.'), LIST)).toMatch(/^it answered 410 Gone/);
  });

  it('takes a 404 on the documented list path, and not on another path', () => {
    expect(retirementSign(refusal(404, 'NotFound'), LIST)).toMatch(/404 on its documented list path/);
    expect(retirementSign(refusal(404, 'NotFound'), 'https://api.security.microsoft.com/api/incidents/')).toBeDefined();
    expect(retirementSign(refusal(404, 'NotFound'), 'https://api.security.microsoft.com/v2/api/incidents')).toBe(
      undefined,
    );
  });

  it.each([
    [400, 'BadRequest', 'This API is deprecated; use Microsoft Graph.'],
    [400, 'ApiRetired', 'Use Microsoft Graph.'],
    [404, 'NotFound', 'The endpoint was decommissioned.'],
    [422, 'InvalidInput', 'This version is no longer supported.'],
  ])('takes a %i %s whose error names retirement or deprecation', (status, code, message) => {
    expect(retirementSign(refusal(status, code, message), 'https://api.security.microsoft.com/x')).toBeDefined();
  });

  it.each([
    ['a 429', refusal(429, 'TooManyRequests', 'The API is retired soon; rate limit exceeded.')],
    ['a 408', refusal(408, 'RequestTimeout', 'deprecated')],
    ['a 500', refusal(500, 'InternalServerError', 'The deprecated backend failed.')],
    ['a 503', refusal(503, 'ServiceUnavailable', 'retired')],
    ['a 401', refusal(401, 'Unauthorized', 'Token of a retired app')],
    ['a 403', refusal(403, 'Forbidden', 'The permission was deprecated')],
    ['a network error (no status)', refusal(undefined, 'ApiUnavailable', 'socket hang up after retirement')],
    ['a 400 that says nothing of retirement', refusal(400, 'InvalidInput', 'Invalid $filter.')],
    ['an error that is not an API refusal', new Error('410 Gone: retired')],
  ])('never takes %s', (_name, error) => {
    expect(retirementSign(error, LIST)).toBeUndefined();
    expect(asRetirement(error, LIST)).toBe(error);
  });

  it('turns a gone reply into DefenderApiRetiredError, keeping the API code and the original as cause', () => {
    const original = refusal(410, 'Gone', 'Retired (MC1220762).');

    const error = asRetirement(original, LIST);

    expect(error).toBeInstanceOf(DefenderApiRetiredError);
    expect(error).toMatchObject({ code: 'DefenderApiRetired', statusCode: 410, apiCode: 'Gone', cause: original });
  });
});
