import type { ContainerClient } from '@azure/storage-blob';
import { DEFAULT_ENCODING, EXPORT_PREFIX, exportBlobName, extensionOf, type BlobEncoding } from './blobNames';
import { ExportBlobWriter } from './blobWriter';

/** What a committed part contained, for the summary and the state. */
export interface CommittedPart {
  readonly name: string;
  readonly incidents: number;
  readonly bytes: number;
}

/**
 * A run's output as a sequence of parts: `<execution time>.json`, then `<execution time>-part0002.json`, …
 * Each part is one atomically committed blob; a new part starts once the open one passes `maxBytes`.
 */
export class PartWriter {
  private current: ExportBlobWriter | undefined;
  private partNumber = 0;
  private failed = false;
  readonly committed: CommittedPart[] = [];

  /** False once an upload or commit failed: what was appended may then be lost, so nothing may be recorded past it. */
  get healthy(): boolean {
    return !this.failed;
  }

  constructor(
    private readonly container: ContainerClient,
    private readonly executionTime: Date,
    private readonly maxBytes: number,
    private readonly options: {
      readonly encoding?: BlobEncoding;
      readonly prefix?: string;
      readonly indexTags?: boolean;
      /** Metadata every part carries (the tenant of a registered tenant's blobs: `tenantid`). */
      readonly metadata?: Readonly<Record<string, string>>;
    } = {},
  ) {}

  async append(json: Buffer): Promise<void> {
    if (!this.current) {
      this.partNumber += 1;
      const encoding = this.options.encoding ?? DEFAULT_ENCODING;
      this.current = new ExportBlobWriter(
        this.container,
        exportBlobName(
          this.executionTime,
          this.partNumber,
          extensionOf(encoding),
          this.options.prefix ?? EXPORT_PREFIX,
        ),
        encoding,
      );
    }
    try {
      await this.current.append(json);
    } catch (error) {
      this.failed = true;
      throw error;
    }
  }

  /** True when the open part has reached the size at which it should be committed. */
  get partFull(): boolean {
    return this.current !== undefined && this.current.pendingBytes >= this.maxBytes;
  }

  get openIncidents(): number {
    return this.current?.incidentCount ?? 0;
  }

  /** Commits the open part (if it holds anything) with its metadata. */
  async commitOpenPart(metadata: Record<string, string>): Promise<CommittedPart | undefined> {
    const writer = this.current;
    this.current = undefined;
    if (!writer || writer.incidentCount === 0) return undefined;
    const fullMetadata = {
      ...this.options.metadata,
      ...metadata,
      incidentcount: String(writer.incidentCount),
      part: String(this.partNumber),
    };
    // Index tags (at most 10; values limited to letters, digits and + - . / : = _ and space) let users filter by window.
    const tags = this.options.indexTags ? pick(fullMetadata, ['kind', 'source', 'windowfrom', 'windowto']) : undefined;
    let bytes: number;
    try {
      bytes = await writer.commit(fullMetadata, tags);
    } catch (error) {
      this.failed = true;
      throw error;
    }
    const part = { name: writer.blobName, incidents: writer.incidentCount, bytes };
    this.committed.push(part);
    return part;
  }
}

function pick(source: Record<string, string>, keys: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}
