import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import type { IncidentSource } from '../sources/incident';
import type { BlobLayout } from './blobLayout';
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
  /** The export container (EXPORT_CONTAINER): export and backfill blobs, written once, never overwritten. */
  readonly container: ContainerClient;
  /** The state container (EXPORT_STATE_CONTAINER, else the export container): state and backfill jobs, rewritten. */
  readonly stateContainer: ContainerClient;
  /** Where this exporter's blobs are named: today's names, or under `tenants/<tenantId>/` for a registered tenant. */
  readonly layout: BlobLayout;
  readonly clock: Clock;
  /** Reads the client secret from Key Vault (once per run). */
  readonly readSecret: (abortSignal?: AbortSignal) => Promise<string>;
  /** Builds the incidents source for one run from the secret and the deadline its waits must respect. */
  readonly createSource: (clientSecret: string, deadlineMs: number, logger: Logger) => IncidentSource;
  /** Makes sure the export and state containers exist (cheap after the first call). */
  readonly ensureContainer: () => Promise<void>;
  readonly settings: ExportSettings;
}
