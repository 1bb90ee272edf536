import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { jsonReply } from './replies';
import type { Clock, Reply } from './types';

/** Builds a server's documented error reply; `requestHeaders` lets replies echo correlation ids. */
export type ErrorReplyBuilder = (
  status: number,
  code: string,
  message: string,
  options?: { headers?: Record<string, string>; requestHeaders?: IncomingHttpHeaders },
) => Reply;

function header(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** Defender XDR API: `{ error: { code, message, target } }`, target being a tracking id. */
export const defenderError: ErrorReplyBuilder = (status, code, message, options) =>
  jsonReply(status, { error: { code, message, target: randomUUID() } }, options?.headers);

/** Key Vault: `{ error: { code, message } }`. */
export const vaultError: ErrorReplyBuilder = (status, code, message, options) =>
  jsonReply(status, { error: { code, message } }, options?.headers);

/** Microsoft Graph: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */
export function graphErrorBuilder(clock: Clock): ErrorReplyBuilder {
  return (status, code, message, options) => {
    const requestId = randomUUID();
    const clientRequestId = header(options?.requestHeaders, 'client-request-id') ?? requestId;
    const innerError = {
      date: new Date(clock()).toISOString().slice(0, 19),
      'request-id': requestId,
      'client-request-id': clientRequestId,
    };
    return jsonReply(
      status,
      { error: { code, message, innerError } },
      { 'request-id': requestId, 'client-request-id': clientRequestId, ...options?.headers },
    );
  };
}

/**
 * Entra ID token endpoint errors (OAuth 2.0 shape): `{ error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri }`.
 * `message` starts with `AADSTSnnnn:`; a non-OAuth code (from a fault) becomes `temporarily_unavailable` or `invalid_request`.
 */
export function loginErrorBuilder(clock: Clock, authorityHost: () => string): ErrorReplyBuilder {
  return (status, code, message, options) => {
    const error = /^[a-z_]+$/.test(code)
      ? code
      : status === 429 || status >= 500
        ? 'temporarily_unavailable'
        : 'invalid_request';
    const traceId = randomUUID();
    const correlationId = header(options?.requestHeaders, 'client-request-id') ?? randomUUID();
    const timestamp = `${new Date(clock()).toISOString().slice(0, 19).replace('T', ' ')}Z`;
    const errorCode = Number(/^AADSTS(\d+):/.exec(message)?.[1] ?? '0');
    return jsonReply(
      status,
      {
        error,
        error_description: `${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
        error_codes: errorCode ? [errorCode] : [],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        ...(errorCode ? { error_uri: `${authorityHost()}/error?code=${errorCode}` } : {}),
      },
      options?.headers,
    );
  };
}
