import { mkdirSync } from 'fs';
import { join, resolve } from 'path';

/** A running Azurite: its blob service, and its queue service when asked for. */
export interface AzuriteBlob {
  /** e.g. http://127.0.0.1:10000/devstoreaccount1 */
  readonly blobEndpoint: string;
  /** e.g. http://127.0.0.1:10001/devstoreaccount1; undefined unless `queuePort` was given. */
  readonly queueEndpoint: string | undefined;
  /** Names the blob endpoint, and the queue endpoint when the queue service runs. */
  readonly connectionString: string;
  close(): Promise<void>;
}

export interface AzuriteOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Also start the queue service on this port (0 picks a free one); omitted: blob service only. */
  readonly queuePort?: number;
  /** Folder for on-disk data; omitted: in memory. */
  readonly location?: string;
}

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

// Azurite's well-known development account (public, documented; not a secret).
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * Starts Azurite's blob service (and, with `queuePort`, its queue service) in this process. `require('azurite')`
 * wants VS Code, so each server is loaded from its dist folder. The SDKs' API versions are newer than Azurite
 * accepts: skip that check.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteBlob> {
  const host = options.host ?? '127.0.0.1';
  const inMemory = options.location === undefined;
  const location = resolve(options.location ?? '.');
  if (!inMemory) mkdirSync(location, { recursive: true });
  const blob = await startServer('blob', host, options.port ?? 0, location, inMemory);
  const queue =
    options.queuePort === undefined
      ? undefined
      : await startServer('queue', host, options.queuePort, location, inMemory).catch(async (error: unknown) => {
          await blob.close();
          throw error;
        });
  const blobEndpoint = `${blob.getHttpServerAddress()}/${ACCOUNT}`;
  const queueEndpoint = queue === undefined ? undefined : `${queue.getHttpServerAddress()}/${ACCOUNT}`;
  return {
    blobEndpoint,
    queueEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};` +
      (queueEndpoint === undefined ? '' : `QueueEndpoint=${queueEndpoint};`),
    close: async () => {
      await queue?.close();
      await blob.close();
    },
  };
}

/** One Azurite service: the blob and queue servers take the same configuration arguments. */
async function startServer(
  service: 'blob' | 'queue',
  host: string,
  port: number,
  location: string,
  inMemory: boolean,
): Promise<AzuriteServer> {
  const prefix = service === 'blob' ? 'Blob' : 'Queue';
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { default: Server } = require(`azurite/dist/src/${service}/${prefix}Server`) as {
    default: new (config: unknown) => AzuriteServer;
  };
  const { default: Configuration } = require(`azurite/dist/src/${service}/${prefix}Configuration`) as {
    default: new (...args: unknown[]) => unknown;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = new Configuration(
    host,
    port,
    undefined, // keep-alive timeout: the default
    join(location, `__azurite_db_${service}__.json`),
    join(location, `__azurite_db_${service}_extent__.json`),
    [{ locationId: 'Default', locationPath: join(location, `__${service}storage__`), maxConcurrency: 10 }],
    false, // access log
    undefined,
    false, // debug log
    undefined,
    false, // loose
    true, // skipApiVersionCheck
    '',
    '',
    '',
    undefined,
    false,
    inMemory,
  );
  const server = new Server(config);
  await server.start();
  return server;
}
