import { spawn } from 'child_process';
import { createServer } from 'net';
import { join } from 'path';

/** Azurite's well-known development account (public, documented; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** One Azurite service in a process of its own. */
export interface AzuriteProcess {
  readonly pid: number;
  readonly port: number;
  /** e.g. http://127.0.0.1:PORT/devstoreaccount1 */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** A connection string naming a blob endpoint and, optionally, a queue endpoint (each may be a proxy in front of Azurite). */
export function azuriteConnectionString(blobEndpoint: string, queueEndpoint?: string): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};` +
    (queueEndpoint === undefined ? '' : `QueueEndpoint=${queueEndpoint};`)
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const free = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(free));
    });
  });
}

/**
 * Azurite's blob or queue service in a process of its own, in memory, as storage is a service of its own in
 * Azure: the measured child's uploads then do not compete with the simulated API in one event loop.
 */
export async function startAzuriteProcess(root: string, service: 'blob' | 'queue'): Promise<AzuriteProcess> {
  const port = await freePort();
  const main = join(root, 'node_modules', 'azurite', 'dist', 'src', service, 'main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      `--${service}Host`,
      '127.0.0.1',
      `--${service}Port`,
      String(port),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--silent',
      '--disableTelemetry',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('successfully listens')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`Azurite ${service} exited ${String(code)}`)));
  });
  return {
    pid: child.pid ?? 0,
    port,
    endpoint: `http://127.0.0.1:${port}/${ACCOUNT}`,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
