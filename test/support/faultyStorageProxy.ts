import { createServer, request as forwardRequest, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { BlobServiceClient } from '@azure/storage-blob';

/** A storage request as the proxy sees it (path-style: /devstoreaccount1/<container>/<blob>). */
export interface StorageRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
}

/**
 * What the proxy does to a matching request:
 * - `status`: answers with a storage error (XML body, `x-ms-error-code`) without forwarding;
 * - `reset`: destroys the connection without forwarding;
 * - `hold`: never forwards and never answers (the request hangs until the client goes away);
 * - `holdReply`: forwards it (Azurite applies it) but never passes the reply back;
 * - `delay`: forwards it after `delayMs` (a slow storage account, to widen the write phases);
 * - `beforeReply`: forwards it, then runs `action` (e.g. another writer's request) before passing the reply back,
 *   so the action lands between this request and the client's next one.
 */
export type StorageFault =
  | { readonly kind: 'status'; readonly status: number; readonly code: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'holdReply' }
  | { readonly kind: 'delay'; readonly delayMs: number }
  | { readonly kind: 'beforeReply'; readonly action: () => Promise<void> };

export interface StorageFaultRule {
  readonly match: (request: StorageRequest) => boolean;
  readonly fault: StorageFault;
  /** Matching requests it hits; default 1. */
  readonly times?: number;
  readonly persistent?: boolean;
}

/** Matchers for the requests the exporter sends. */
export const storageRequests = {
  stageBlock: (r: StorageRequest): boolean =>
    r.method === 'PUT' && r.query.get('comp') === 'block' && r.path.includes('/incidents/'),
  commitBlockList: (r: StorageRequest): boolean =>
    r.method === 'PUT' && r.query.get('comp') === 'blocklist' && r.path.includes('/incidents/'),
  stateWrite: (r: StorageRequest): boolean =>
    r.method === 'PUT' && r.path.endsWith('/state/exporter-state.json') && !r.query.has('comp'),
  stateDownload: (r: StorageRequest): boolean => r.method === 'GET' && r.path.endsWith('/state/exporter-state.json'),
};

interface ActiveRule {
  readonly rule: StorageFaultRule;
  remaining: number;
  readonly hit: (request: StorageRequest) => void;
}

/**
 * A loopback HTTP proxy in front of Azurite that fails chosen requests: Azurite itself cannot be told
 * to fail a block-list commit or a state write, and a real storage account can (500, 409, 412, a reset).
 * Shared-key signatures do not cover the host, so the SDK talks to the proxy with Azurite's connection string.
 */
export class FaultyStorageProxy {
  readonly requests: StorageRequest[] = [];
  /** Requests refused by `makeImmutable` (an overwrite, a delete or a metadata change of an existing blob). */
  readonly refused: StorageRequest[] = [];
  private rules: ActiveRule[] = [];
  private readonly immutableContainers = new Set<string>();
  private readonly held = new Set<IncomingMessage>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    private readonly targetConnectionString: string,
  ) {}

  /** Starts the proxy for the Azurite behind `connectionString` (one with a BlobEndpoint). */
  static async start(connectionString: string): Promise<FaultyStorageProxy> {
    const endpoint = /BlobEndpoint=([^;]+)/.exec(connectionString)?.[1];
    if (endpoint === undefined) throw new Error('the connection string has no BlobEndpoint');
    const holder: { proxy?: FaultyStorageProxy } = {};
    const server = createServer((request, response) => {
      holder.proxy?.handle(request, response).catch(() => response.destroy());
    });
    const proxy = new FaultyStorageProxy(server, new URL(endpoint), connectionString);
    holder.proxy = proxy;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Azurite's connection string with the blob endpoint pointing at the proxy. */
  get connectionString(): string {
    const { port } = this.server.address() as AddressInfo;
    const endpoint = new URL(this.target.href);
    endpoint.port = String(port);
    return this.targetConnectionString.replace(
      /BlobEndpoint=[^;]+/,
      `BlobEndpoint=${endpoint.href.replace(/\/$/, '')}`,
    );
  }

  /** Adds a rule; the promise resolves with the first request it hits. */
  inject(rule: StorageFaultRule): Promise<StorageRequest> {
    return new Promise((resolve) => {
      this.rules.push({ rule, remaining: rule.times ?? 1, hit: resolve });
    });
  }

  /**
   * Makes `container` behave as one under a time-based retention policy (version-level WORM), which Azurite
   * cannot enforce: a blob can be created and read, and new blobs can be added, but an existing blob cannot be
   * overwritten (Put Blob, Put Block List without `If-None-Match: *`), deleted, or have its metadata, properties
   * or tags changed; the container cannot be deleted. Refused requests get 409 `BlobImmutableDueToPolicy` and are
   * kept in `refused`. (Real retention may allow a tag change; refusing it too is the stricter test.)
   */
  makeImmutable(container: string): void {
    this.immutableContainers.add(container);
  }

  /** Drops every rule and every held request. */
  clear(): void {
    this.rules = [];
    for (const request of this.held) request.socket.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    this.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private take(request: StorageRequest): StorageFault | undefined {
    const active = this.rules.find(({ rule }) => rule.match(request));
    if (!active) return undefined;
    if (!active.rule.persistent && --active.remaining <= 0)
      this.rules = this.rules.filter((candidate) => candidate !== active);
    active.hit(request);
    return active.rule.fault;
  }

  private async immutabilityRefusal(request: IncomingMessage, info: StorageRequest): Promise<StorageFault | undefined> {
    const [, , container, ...blobParts] = info.path.split('/');
    if (container === undefined || !this.immutableContainers.has(container)) return undefined;
    const refuse: StorageFault = { kind: 'status', status: 409, code: 'BlobImmutableDueToPolicy' };
    const comp = info.query.get('comp');
    if (blobParts.length === 0) {
      const deletesContainer = info.method === 'DELETE' && info.query.get('restype') === 'container' && comp === null;
      if (deletesContainer) this.refused.push(info);
      return deletesContainer ? refuse : undefined;
    }
    const changesBlob =
      (info.method === 'DELETE' && comp === null) ||
      (info.method === 'PUT' && [null, 'blocklist', 'metadata', 'properties', 'tags'].includes(comp));
    if (!changesBlob) return undefined;
    // A create-only write is not an overwrite: the service itself refuses it if the blob exists.
    if (info.method === 'PUT' && request.headers['if-none-match'] === '*') return undefined;
    const blob = BlobServiceClient.fromConnectionString(this.targetConnectionString)
      .getContainerClient(container)
      .getBlobClient(decodeURIComponent(blobParts.join('/')));
    if (!(await blob.exists())) return undefined;
    this.refused.push(info);
    return refuse;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const info: StorageRequest = { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams };
    this.requests.push(info);
    const body = await readAll(request);
    const fault = (await this.immutabilityRefusal(request, info)) ?? this.take(info);
    if (fault?.kind === 'status') {
      const xml =
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${fault.code}</Code><Message>` +
        `${fault.code}: injected by the test storage proxy.</Message></Error>`;
      response.writeHead(fault.status, {
        'content-type': 'application/xml',
        'x-ms-error-code': fault.code,
        'x-ms-request-id': `proxy-${this.requests.length}`,
        'content-length': String(Buffer.byteLength(xml)),
      });
      response.end(xml);
      return;
    }
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'hold') {
      this.held.add(request);
      request.socket.once('close', () => this.held.delete(request));
      return;
    }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    const reply = await forward(this.target, request, body);
    if (fault?.kind === 'holdReply') {
      this.held.add(request);
      request.socket.once('close', () => this.held.delete(request));
      return;
    }
    if (fault?.kind === 'beforeReply') await fault.action();
    if (response.destroyed) return;
    response.writeHead(reply.status, reply.headers);
    response.end(reply.body);
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

function forward(
  target: URL,
  request: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers, host: target.host };
    const outgoing = forwardRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers },
      (reply) => {
        readAll(reply).then((replyBody) => {
          const replyHeaders: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(reply.headers))
            if (value !== undefined) replyHeaders[name] = value;
          resolve({ status: reply.statusCode ?? 502, headers: replyHeaders, body: replyBody });
        }, reject);
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}
