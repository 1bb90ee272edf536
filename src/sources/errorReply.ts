import { property, stringProperty } from '../common/jsonFields';

/** What an incidents API's error body tells: its code, message and the id to quote to Microsoft support. */
export interface ErrorDetail {
  readonly code?: string;
  readonly message?: string;
  readonly trackingId?: string;
}

/** Reads the documented error bodies: Defender `{error:{code,message,target}}`, Graph `{error:{code,message,innerError:{request-id}}}`. */
export function readErrorBody(text: string): ErrorDetail {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  const error = property(body, 'error');
  if (typeof error !== 'object' || error === null) return {};
  const inner = property(error, 'innerError') ?? property(error, 'innererror');
  return {
    code: stringProperty(error, 'code'),
    message: stringProperty(error, 'message'),
    trackingId: stringProperty(error, 'target') ?? stringProperty(inner, 'request-id'),
  };
}

/** `GET /path?query` with the query decoded, for messages. */
export function describeRequest(url: string): string {
  const parsed = new URL(url);
  return `GET ${parsed.pathname}${decodeURIComponent(parsed.search)}`;
}

/** What the operator can do about a refusal that retrying will not fix. */
export function hintFor(status: number, apiName: string): string {
  if (status === 401)
    return (
      `The token was refused twice: check that the app registration belongs to ` +
      `DEFENDER_TENANT_ID and that AZURE_AUTHORITY_HOST matches the ${apiName}'s cloud.`
    );
  if (status === 403)
    return (
      "Grant the app registration the API's application permission (Incident.Read.All for " +
      'Defender, SecurityIncident.Read.All for Graph) with admin consent.'
    );
  if (status === 404)
    return 'Check DEFENDER_API_URL (the API base, without /api) or GRAPH_API_URL (without /v1.0), and DEFENDER_CLOUD.';
  return 'This is not retryable; the watermark is unchanged.';
}
