import type { ContainerClient } from '@azure/storage-blob';
import { parseState, STATE_BLOB, type ExportState } from '../../src/export/exportState';
import type { ExportedVersion } from './exports';
import { keyOf } from './invariants';

/** The state blob parsed by the exporter's own parser (throws StateCorrupted if it does not parse); undefined if absent. */
export async function readState(container: ContainerClient): Promise<ExportState | undefined> {
  const blob = container.getBlockBlobClient(STATE_BLOB);
  if (!(await blob.exists())) return undefined;
  return parseState((await blob.downloadToBuffer()).toString('utf8'));
}

/**
 * Export blobs that are not complete: not a JSON array, or holding a different number of incidents
 * than their `incidentcount` metadata says. A committed blob must never be partial.
 */
export async function incompleteBlobs(container: ContainerClient): Promise<string[]> {
  const bad: string[] = [];
  if (!(await container.exists())) return bad;
  for await (const blob of container.listBlobsFlat({ prefix: 'incidents/', includeMetadata: true })) {
    const text = (await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString('utf8');
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      bad.push(`${blob.name}: not valid JSON (${text.length} bytes)`);
      continue;
    }
    if (!Array.isArray(items)) bad.push(`${blob.name}: not a JSON array`);
    else if (blob.metadata?.incidentcount !== String(items.length))
      bad.push(`${blob.name}: ${items.length} incidents, metadata says ${blob.metadata?.incidentcount ?? 'nothing'}`);
  }
  return bad;
}

/** Duplicated versions whose copies differ in content: a duplicate must be the very same version. */
export function divergentDuplicates(exported: readonly ExportedVersion[]): string[] {
  const first = new Map<string, string>();
  const divergent: string[] = [];
  for (const version of exported) {
    const key = keyOf(version.id, version.lastUpdateTime);
    const text = JSON.stringify(version.json);
    const seen = first.get(key);
    if (seen === undefined) first.set(key, text);
    else if (seen !== text) divergent.push(key);
  }
  return divergent;
}

/** Timestamps (7 fraction digits, as the exporter normalises them) compare as strings. */
export function notBefore(later: string | undefined, earlier: string | undefined): boolean {
  return earlier === undefined || (later !== undefined && later >= earlier);
}

export const FAST_PACING = { API_CALLS_PER_MINUTE: '100000', API_CALLS_PER_HOUR: '6000000' } as const;
