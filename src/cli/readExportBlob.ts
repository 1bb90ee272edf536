import { promisify } from 'util';
import { gunzip } from 'zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { describeError, ExporterError, StorageError } from '../common/errors';
import { storageStatusOf } from '../export/jsonBlobStore';

const gunzipAsync = promisify(gunzip);

/**
 * Downloads one export blob and returns its incidents, whatever the format the exporter wrote it in:
 * a JSON array or NDJSON (name contains `.ndjson`, or an ndjson content type), optionally gzip-compressed
 * (`Content-Encoding: gzip` or a `.gz` name).
 */
export async function readExportBlob(container: ContainerClient, blobName: string): Promise<unknown[]> {
  let response;
  try {
    response = await container.getBlobClient(blobName).download();
  } catch (error) {
    if (storageStatusOf(error) === 404) {
      throw new StorageError(
        `Blob '${blobName}' does not exist in container '${container.containerName}'. Run ` +
          `'defender-export list' to see the export blobs, or use 'defender-export show latest'.`,
        { code: 'ExportBlobNotFound', statusCode: 404 },
      );
    }
    const status = storageStatusOf(error);
    const fix =
      status === 403
        ? "grant the identity the 'Storage Blob Data Reader' role on the container (or the account)"
        : 'check EXPORT_STORAGE and EXPORT_CONTAINER';
    throw new StorageError(`Reading blob '${blobName}' failed: ${describeError(error)}. To fix it, ${fix}.`, {
      code: 'ExportBlobReadFailed',
      statusCode: status,
      retryable: status !== 403,
      cause: error,
    });
  }
  const stored = await readAll(response.readableStreamBody);
  const compressed = response.contentEncoding?.toLowerCase() === 'gzip' || blobName.endsWith('.gz');
  const text = (await decompress(stored, compressed, blobName)).toString('utf8').replace(/^\uFEFF/, '');
  const ndjson = blobName.includes('.ndjson') || (response.contentType ?? '').includes('ndjson');
  return ndjson ? parseNdjson(text, blobName) : parseJsonArray(text, blobName);
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (stream === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Gunzips when the bytes are gzip. The hint (Content-Encoding, `.gz`) only shapes the error: a client that
 * already decoded a `Content-Encoding: gzip` body hands us plain JSON, and plain JSON never starts with the magic.
 */
async function decompress(stored: Buffer, compressedHint: boolean, blobName: string): Promise<Buffer> {
  const isGzip = stored.length >= 2 && stored[0] === GZIP_MAGIC[0] && stored[1] === GZIP_MAGIC[1];
  if (!isGzip) return stored;
  try {
    return await gunzipAsync(stored);
  } catch (error) {
    throw unreadable(
      blobName,
      `it looks gzip-compressed` +
        `${compressedHint ? '' : ' although its name and Content-Encoding do not say so'} but does ` +
        `not decompress (${describeError(error)})`,
    );
  }
}

function parseJsonArray(text: string, blobName: string): unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw unreadable(blobName, `it is not valid JSON (${describeError(error)})`);
  }
  if (!Array.isArray(body)) throw unreadable(blobName, 'it is not a JSON array of incidents');
  return body;
}

function parseNdjson(text: string, blobName: string): unknown[] {
  const incidents: unknown[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      incidents.push(JSON.parse(line));
    } catch (error) {
      throw unreadable(blobName, `line ${index + 1} is not valid JSON (${describeError(error)})`);
    }
  }
  return incidents;
}

function unreadable(blobName: string, why: string): ExporterError {
  return new ExporterError(
    `Blob '${blobName}' is not a readable export: ${why}. Pick an export blob from 'defender-export list'.`,
    { code: 'ExportBlobUnreadable' },
  );
}
