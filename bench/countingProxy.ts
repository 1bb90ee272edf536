import { createServer, request as forward, type Server } from 'http';
import type { AddressInfo } from 'net';

/** One request that went through the proxy. */
export interface CountedRequest {
  readonly method: string;
  /** Path without the query, e.g. /devstoreaccount1/bench/tenants/<id>/state/exporter-state.json */
  readonly path: string;
  /** The `prefix` of a list request (`comp=list`), if any: a listing under a tenant's folder is that tenant's request. */
  readonly prefix?: string;
  readonly at: number;
}

/** A loopback HTTP proxy in front of an Azurite service that records every request (shared-key signatures do not cover the host). */
export class CountingProxy {
  readonly requests: CountedRequest[] = [];
  private readonly server: Server;

  private constructor(targetPort: number) {
    this.server = createServer((incoming, outgoing) => {
      const prefix = new URL(incoming.url ?? '/', 'http://127.0.0.1').searchParams.get('prefix');
      this.requests.push({
        method: incoming.method ?? '',
        path: (incoming.url ?? '').split('?')[0] ?? '',
        ...(prefix === null ? {} : { prefix }),
        at: Date.now(),
      });
      const upstream = forward(
        { host: '127.0.0.1', port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (reply) => {
          outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      incoming.pipe(upstream);
    });
  }

  static async start(targetPort: number): Promise<CountingProxy> {
    const proxy = new CountingProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** e.g. http://127.0.0.1:PORT/devstoreaccount1 */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/devstoreaccount1`;
  }

  /** Requests that arrived between `fromMs` and `toMs` (inclusive). */
  between(fromMs: number, toMs: number): CountedRequest[] {
    return this.requests.filter((request) => request.at >= fromMs && request.at <= toMs);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
