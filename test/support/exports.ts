import type { ContainerClient } from '@azure/storage-blob';

/** One exported incident version as read back from the blobs. */
export interface ExportedVersion {
  readonly blob: string;
  readonly id: string;
  readonly lastUpdateTime: string;
  readonly json: unknown;
}

/** Reads every export blob (incidents/...) back, in name order. */
export async function readExports(container: ContainerClient, prefix = 'incidents/'): Promise<ExportedVersion[]> {
  const versions: ExportedVersion[] = [];
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  for (const name of names.sort()) {
    const text = (await container.getBlockBlobClient(name).downloadToBuffer()).toString('utf8');
    const items = JSON.parse(text) as unknown[];
    for (const item of items) {
      const record = item as Record<string, unknown>;
      versions.push({
        blob: name,
        id: String(record.incidentId ?? record.id),
        lastUpdateTime: String(record.lastUpdateTime ?? record.lastUpdateDateTime),
        json: item,
      });
    }
  }
  return versions;
}

export async function listBlobNames(container: ContainerClient, prefix?: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat(prefix === undefined ? {} : { prefix })) names.push(blob.name);
  return names.sort();
}
