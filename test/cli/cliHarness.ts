import { randomUUID } from 'crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { silentLogger } from '../../src/common/logger';
import { STATE_BLOB } from '../../src/export/exportState';
import { startAzurite, type AzuriteBlob } from '../../src/local/azurite';
import type { ExporterRuntime } from '../../src/runtime/exporterRuntime';
import { execute } from '../../src/cli/main';

/** What one command printed and how it exited. */
export interface CliResult {
  readonly exitCode: number;
  /** Lines printed through `context.print` (stdout). */
  readonly lines: readonly string[];
  readonly stdout: string;
  /** What went to stderr: error messages, commander's usage errors and help. */
  readonly stderr: string;
}

/** Azurite in this process, and a way to run defender-export commands against one of its containers. */
export interface CliWorld {
  readonly service: BlobServiceClient;
  close(): Promise<void>;
}

export async function startWorld(): Promise<CliWorld & { azurite: AzuriteBlob }> {
  const azurite = await startAzurite();
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  return { azurite, service, close: () => azurite.close() };
}

/**
 * The Azurite of one test file: started before its first test and closed after its last (registers the
 * `beforeAll`/`afterAll` hooks; call it in the `describe` body).
 */
export function suiteWorld(): CliWorld & { readonly azurite: AzuriteBlob } {
  let started: (CliWorld & { azurite: AzuriteBlob }) | undefined;
  const current = (): CliWorld & { azurite: AzuriteBlob } => {
    if (!started) throw new Error('the suite world is used before beforeAll started it');
    return started;
  };
  beforeAll(async () => {
    started = await startWorld();
  });
  afterAll(async () => {
    await started?.close();
  });
  return {
    get service() {
      return current().service;
    },
    get azurite() {
      return current().azurite;
    },
    close: () => current().close(),
  };
}

/** A fresh, empty container per test, so tests never see each other's blobs. */
export async function freshContainer(world: CliWorld): Promise<ContainerClient> {
  const container = world.service.getContainerClient(`cli-${randomUUID()}`);
  await container.create();
  return container;
}

/**
 * Runs `defender-export <args>` through the real program and exit-code mapping (`execute` in main.ts),
 * with a runtime whose only real dependency is the Azurite container and whose clock stands at `now`.
 */
export async function runCli(
  container: ContainerClient,
  args: readonly string[],
  now: Date = new Date(),
  fullRuntime?: ExporterRuntime,
): Promise<CliResult> {
  const lines: string[] = [];
  let stderr = '';
  const deps = { container, clock: { now: () => now, sleep: () => Promise.resolve() } };
  // The read-only commands use only storage(); runtime() must not be reached unless a test gives one (status --check-graph).
  const runtime = (): ExporterRuntime => {
    if (fullRuntime) return fullRuntime;
    throw new Error('read-only commands must not need the full runtime');
  };
  const writeStderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  const writeStdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')).replace(/\n$/, '').split('\n'),
    );
    return true;
  });
  try {
    const exitCode = await execute(
      { runtime, storage: () => deps, logger: silentLogger, print: (text) => lines.push(...text.split('\n')) },
      ['node', 'defender-export', ...args],
    );
    return { exitCode, lines, stdout: lines.join('\n'), stderr };
  } finally {
    writeStderr.mockRestore();
    writeStdout.mockRestore();
  }
}

export interface FixtureBlob {
  readonly name: string;
  readonly incidents: readonly unknown[];
  readonly metadata?: Record<string, string>;
  /** How to store the incidents: a JSON array (default) or NDJSON. */
  readonly format?: 'json' | 'ndjson';
  readonly contentEncoding?: string;
  /** Transforms the bytes before upload (e.g. gzip). */
  readonly encode?: (body: Buffer) => Buffer;
}

/** Writes an export blob the way the exporter does (content type, metadata), with the real SDK. */
export async function writeExportBlob(container: ContainerClient, blob: FixtureBlob): Promise<void> {
  const text =
    blob.format === 'ndjson'
      ? blob.incidents.map((incident) => `${JSON.stringify(incident)}\n`).join('')
      : `[\n${blob.incidents.map((incident) => JSON.stringify(incident)).join(',\n')}\n]\n`;
  const plain = Buffer.from(text, 'utf8');
  const body = blob.encode ? blob.encode(plain) : plain;
  await container.getBlockBlobClient(blob.name).upload(body, body.length, {
    blobHTTPHeaders: {
      blobContentType: blob.format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      blobContentEncoding: blob.contentEncoding,
    },
    metadata: blob.metadata ?? { incidentcount: String(blob.incidents.length) },
  });
}

/** Writes the state blob as the exporter would (any shape: tests also write fields the parser may not know yet). */
export async function writeState(container: ContainerClient, state: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify(state, null, 2);
  await container
    .getBlockBlobClient(STATE_BLOB)
    .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
}

/** A Defender incident as the API returns it (the fields `show` filters on, and a few more). */
export function defenderIncident(
  incidentId: number,
  severity: string,
  lastUpdateTime: string,
): Record<string, unknown> {
  return {
    incidentId,
    incidentName: `Incident ${incidentId}`,
    createdTime: '2026-11-26T10:00:00Z',
    lastUpdateTime,
    assignedTo: null,
    severity,
    status: 'Active',
    tags: [],
    alerts: [],
  };
}
