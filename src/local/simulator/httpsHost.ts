import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorReplyBuilder } from './errorBodies';
import type { FaultSource } from './faultInjector';
import { respondWithFault, type Outcome } from './faultResponder';
import type { TlsMaterial } from './tls';
import type { Clock, RecordedRequest, Reply, ServerName } from './types';

/** A request as handlers see it. */
export interface Call {
  server: ServerName;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export type CallHandler = (call: Call) => Promise<Reply>;

export interface HostDependencies {
  tls: TlsMaterial;
  faults: FaultSource;
  requests: RecordedRequest[];
  /** The tenant a request is for (recorded, and passed to the faults), when known. */
  tenantOf?: (server: ServerName, path: string, authorization: string | undefined) => string | undefined;
  clock: Clock;
  errorReply: ErrorReplyBuilder;
}

export interface RunningHost {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;

/** Starts one HTTPS server on 127.0.0.1 (random port) that records requests, applies faults, then calls the handler. */
export async function startHttpsHost(
  server: ServerName,
  handler: CallHandler,
  deps: HostDependencies,
): Promise<RunningHost> {
  const timers = new Set<NodeJS.Timeout>();
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    const authorization = request.headers.authorization;
    const tenantId = deps.tenantOf?.(server, url.pathname, authorization);
    const record: RecordedRequest = {
      server,
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      ...(authorization === undefined ? {} : { authorization }),
      ...(tenantId === undefined ? {} : { tenantId }),
      at: deps.clock(),
    };
    deps.requests.push(record);
    const call: Call = {
      server,
      method: record.method,
      path: record.path,
      query: record.query,
      headers: request.headers,
      body: await readBody(request),
    };
    let outcome: Outcome;
    try {
      const fault = deps.faults.take({
        server,
        method: record.method,
        path: record.path,
        query: record.query,
        ...(authorization === undefined ? {} : { authorization }),
        ...(tenantId === undefined ? {} : { tenantId }),
      });
      outcome = fault
        ? await respondWithFault(fault, {
            errorReply: deps.errorReply,
            requestHeaders: request.headers,
            handle: () => handler(call),
            delay,
          })
        : { reply: await handler(call) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = {
        reply: deps.errorReply(500, 'InternalServerError', `Simulated tenant failure: ${message}`, {
          requestHeaders: request.headers,
        }),
      };
    }
    record.status = outcome.reply.status;
    write(response, outcome);
  };

  const https: Server = createServer({ key: deps.tls.keyPem, cert: deps.tls.certPem }, (request, response) => {
    serve(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(0, '127.0.0.1', () => resolve());
  });
  const address: AddressInfo | string | null = https.address();
  if (address === null || typeof address === 'string') throw new Error(`the ${server} server has no TCP address`);
  return {
    origin: `https://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        https.close(() => resolve());
        https.closeAllConnections();
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function write(response: ServerResponse, { reply, cut, framing }: Outcome): void {
  if (response.destroyed || response.writableEnded) return;
  const body = Buffer.from(reply.body, 'utf8');
  const half = body.subarray(0, Math.floor(body.length / 2));
  const streamingHeaders = Object.fromEntries(
    Object.entries(reply.headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
  );
  switch (cut) {
    case 'truncate':
      // A complete HTTP message (chunked) whose JSON stops in the middle.
      response.writeHead(200, streamingHeaders);
      response.end(half);
      return;
    case 'reset':
      response.writeHead(
        reply.status,
        framing === 'content-length' ? { ...reply.headers, 'content-length': String(body.length) } : streamingHeaders,
      );
      response.write(half, () => response.destroy());
      return;
    case undefined:
      response.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
      response.end(body);
  }
}
