import { mkdirSync } from 'fs';
import { join, resolve } from 'path';

/** A running Azurite blob service. */
export interface AzuriteBlob {
  /** e.g. http://127.0.0.1:10000/devstoreaccount1 */
  readonly blobEndpoint: string;
  readonly connectionString: string;
  close(): Promise<void>;
}

export interface AzuriteOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
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
 * Starts Azurite's blob service in this process. `require('azurite')` wants VS Code, so the blob server
 * is loaded from its dist folder. The SDK's API version is newer than Azurite accepts: skip that check.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteBlob> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { default: BlobServer } = require('azurite/dist/src/blob/BlobServer') as {
    default: new (config: unknown) => AzuriteServer;
  };
  const { default: BlobConfiguration } = require('azurite/dist/src/blob/BlobConfiguration') as {
    default: new (...args: unknown[]) => unknown;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const inMemory = options.location === undefined;
  const location = resolve(options.location ?? '.');
  if (!inMemory) mkdirSync(location, { recursive: true });
  const config = new BlobConfiguration(
    host,
    port,
    undefined,
    join(location, '__azurite_db_blob__.json'),
    join(location, '__azurite_db_blob_extent__.json'),
    [{ locationId: 'Default', locationPath: join(location, '__blobstorage__'), maxConcurrency: 10 }],
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
  const server = new BlobServer(config);
  await server.start();
  const address = server.getHttpServerAddress();
  const blobEndpoint = `${address}/${ACCOUNT}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    close: () => server.close(),
  };
}
