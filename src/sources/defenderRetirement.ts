import { ApiError } from '../common/errors';
import { describeRequest } from './errorReply';

/** The documented path of the Defender list incidents call. */
export const DEFENDER_LIST_PATH = '/api/incidents';

const RETIREMENT_WORDS = /retire|deprecat|decommission|sunset|no longer (available|supported)/i;

/** The Defender API answered that it is gone (INCIDENTS_API=auto switches to Microsoft Graph on this). */
export class DefenderApiRetiredError extends ApiError {
  /** What in the reply says so (retirementSign). */
  sign = '';
}

/**
 * Says why a refused Defender request means the API is gone, or undefined when it does not. The rule:
 * - HTTP 410 (Gone);
 * - HTTP 404 on exactly the documented list path `/api/incidents` (the only path this exporter calls);
 * - any other 4xx whose error code or message names retirement or deprecation.
 * Never a throttle (429), a timeout (408), a server error (5xx), an auth failure (401, 403) or a network
 * error (no status): those are the API having a bad moment or a setting to fix, not the API's end.
 */
export function retirementSign(error: unknown, requestUrl: string): string | undefined {
  if (!(error instanceof ApiError) || error.statusCode === undefined) return undefined;
  const status = error.statusCode;
  if (status < 400 || status >= 500 || [401, 403, 408, 429].includes(status)) return undefined;
  const said = `${error.apiCode ?? `HTTP ${status}`}${error.apiMessage === undefined ? '' : `: ${error.apiMessage}`}`;
  if (status === 410) return `it answered 410 Gone (${said})`;
  if (status === 404 && new URL(requestUrl).pathname.replace(/\/$/, '') === DEFENDER_LIST_PATH)
    return `it answered 404 on its documented list path ${DEFENDER_LIST_PATH} (${said})`;
  if (RETIREMENT_WORDS.test(`${error.apiCode ?? ''} ${error.apiMessage ?? ''}`))
    return `it answered ${status} naming its retirement (${said})`;
  return undefined;
}

/** The refusal `error` of `requestUrl` as a DefenderApiRetiredError when it means the API is gone; otherwise `error` itself. */
export function asRetirement(error: unknown, requestUrl: string): unknown {
  const sign = retirementSign(error, requestUrl);
  if (sign === undefined || !(error instanceof ApiError)) return error;
  const retired = new DefenderApiRetiredError(
    `The Defender API is gone: ${sign.slice(0, 400)} to ${describeRequest(requestUrl)}. ` +
      `Microsoft retired it (MC1220762): read Microsoft Graph instead (INCIDENTS_API=auto ` +
      `switches by itself; or set INCIDENTS_API=graph), with the permission ` +
      `SecurityIncident.Read.All granted.`,
    {
      code: 'DefenderApiRetired',
      statusCode: error.statusCode,
      apiCode: error.apiCode,
      apiMessage: error.apiMessage,
      trackingId: error.trackingId,
      cause: error,
    },
  );
  retired.sign = sign;
  return retired;
}
