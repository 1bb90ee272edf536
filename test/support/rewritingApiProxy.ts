import { createServer, type Server } from 'https';
import { request as forwardRequest } from 'https';
import type { AddressInfo } from 'net';
import { getTlsMaterial } from '../../src/local/simulator/tls';

/**
 * An HTTPS proxy in front of the simulated Defender API that rewrites reply text: it replaces a quoted
 * marker (e.g. "__BIG__") with raw JSON the simulator's JSON.stringify cannot produce (numbers beyond
 * 2^53, `1.50`, exponents, escapes), so tests can check the exporter keeps them byte for byte.
 * Uses the simulated tenant's certificate (same CA, shared per process).
 */
export class RewritingApiProxy {
  private constructor(private readonly server: Server) {}

  static async start(targetOrigin: string, replacements: Readonly<Record<string, string>>): Promise<RewritingApiProxy> {
    const tls = await getTlsMaterial();
    const target = new URL(targetOrigin);
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (request, response) => {
      const outgoing = forwardRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: target.host },
          ca: tls.caCertPem,
        },
        (reply) => {
          const chunks: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => chunks.push(chunk));
          reply.on('end', () => {
            let text = Buffer.concat(chunks).toString('utf8');
            for (const [marker, raw] of Object.entries(replacements))
              text = text.split(JSON.stringify(marker)).join(raw);
            const headers = { ...reply.headers, 'content-length': String(Buffer.byteLength(text)) };
            delete headers['transfer-encoding'];
            response.writeHead(reply.statusCode ?? 502, headers);
            response.end(text);
          });
        },
      );
      outgoing.on('error', () => response.destroy());
      request.pipe(outgoing);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RewritingApiProxy(server);
  }

  get origin(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
