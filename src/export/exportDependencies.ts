import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import type { IncidentSource } from '../sources/incident';
import type { BlobEncoding } from './blobNames';

/** The options a run follows: one frozen object, built once from the Config (runtime/buildDependencies). */
export interface ExportSettings {
  /** The incidents API the runs read (INCIDENTS_API). */
  readonly sourceName: IncidentSource['name'];
  readonly initialLookbackHours: number;
  readonly overlapMinutes: number;
  /** The run's time budget: it stops cleanly (committing what it has) before this is spent. */
  readonly runBudgetMs: number;
  /** Parts of a run's output are cut past this size. */
  readonly maxBlobBytes: number;
  /** Blob format and compression (EXPORT_FORMAT, EXPORT_COMPRESSION). */
  readonly encoding: BlobEncoding;
  /** Also set blob index tags (EXPORT_INDEX_TAGS). */
  readonly indexTags: boolean;
}

/** The clients a run uses, built once per entry point, and the settings it follows. */
export interface ExportDependencies {
  readonly container: ContainerClient;
  readonly clock: Clock;
  /** Reads the client secret from Key Vault (once per run). */
  readonly readSecret: (abortSignal?: AbortSignal) => Promise<string>;
  /** Builds the incidents source for one run from the secret and the deadline its waits must respect. */
  readonly createSource: (clientSecret: string, deadlineMs: number, logger: Logger) => IncidentSource;
  /** Makes sure the container exists (cheap after the first call). */
  readonly ensureContainer: () => Promise<void>;
  readonly settings: ExportSettings;
}
