import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorReplyBuilder } from './errorBodies';
import type { FaultSpec } from './faultInjector';
import { jsonReply } from './replies';
import type { Reply } from './types';

/** A reply plus how to damage it on the wire. */
export interface Outcome {
  reply: Reply;
  /** 'reset': headers and part of the body, then the socket is destroyed; 'truncate': a complete 200 whose JSON stops halfway. */
  cut?: 'reset' | 'truncate';
  /** For 'reset': whether the headers announced the full length. */
  framing?: 'chunked' | 'content-length';
}

export interface FaultContext {
  errorReply: ErrorReplyBuilder;
  requestHeaders: IncomingHttpHeaders;
  /** The real reply (runs the handler). */
  handle: () => Promise<Reply>;
  /** Waits `ms` unless the server closes first. */
  delay: (ms: number) => Promise<void>;
}

/** Turns a fault into what the server sends. Faults that replace the reply do not run the handler (no state change, no quota use). */
export async function respondWithFault(fault: FaultSpec, context: FaultContext): Promise<Outcome> {
  const error = (status: number, code: string, message: string, headers?: Record<string, string>): Outcome => ({
    reply: context.errorReply(status, code, message, { headers, requestHeaders: context.requestHeaders }),
  });
  const retryAfterSeconds = fault.retryAfterSeconds ?? 1;
  const throttled = `Rate limit is exceeded. Try again in ${retryAfterSeconds} seconds.`;
  switch (fault.kind) {
    case '429':
      return error(429, 'TooManyRequests', fault.message ?? throttled, { 'retry-after': String(retryAfterSeconds) });
    case '429-body-only':
      return error(429, 'TooManyRequests', fault.message ?? throttled);
    case '500':
      return error(
        500,
        'InternalServerError',
        fault.message ?? 'An unexpected error occurred. Please try again later.',
      );
    case '503':
      return error(
        503,
        'ServiceUnavailable',
        fault.message ?? 'The service is temporarily unavailable.',
        fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(retryAfterSeconds) },
      );
    case 'status':
      return error(fault.status ?? 400, fault.code ?? 'BadRequest', fault.message ?? 'Injected error.');
    case 'malformed':
      return {
        reply: jsonReply(200, {
          '@odata.context': 'about:blank#malformed',
          result: 'this reply is JSON but has no value array',
        }),
      };
    case 'slow':
      await context.delay(fault.delayMs ?? 1000);
      return { reply: await context.handle() };
    case 'reset':
      return { reply: await context.handle(), cut: 'reset', framing: fault.framing ?? 'chunked' };
    case 'truncate':
      return { reply: await context.handle(), cut: 'truncate' };
  }
}
