import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import type { GraphCheck } from '../sources/graphAccess';
import type { IncidentSource, SourceStats } from '../sources/incident';
import type { BlobLayout } from './blobLayout';
import type { BlobEncoding } from './blobNames';
import type { GraphReadiness } from './exportState';

/** What one run asks of the source factory: which API, with which secret, within which deadline, logging where. */
export interface SourceRequest {
  readonly api: IncidentSource['name'];
  readonly clientSecret: string;
  /** Epoch ms after which no wait may end (the run's budget). */
  readonly deadlineMs: number;
  readonly logger: Logger;
  /** Counters to add to (a run that moves from one API to the other counts both in one set). */
  readonly stats?: SourceStats;
}

/** The options a run follows: one frozen object, built once from the Config (runtime/buildDependencies). */
export interface ExportSettings {
  /** The incidents API the runs read (INCIDENTS_API): auto reads Defender until it ends, then Graph. */
  readonly incidentsApi: 'auto' | IncidentSource['name'];
  /** INCIDENTS_API=auto: from this epoch ms (00:00 UTC of DEFENDER_API_END_DATE) the runs read Graph. */
  readonly defenderApiEndMs: number;
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
  /** Builds the incidents source of `request.api` for one run from the secret and the deadline its waits must respect. */
  readonly createSource: (request: SourceRequest) => IncidentSource;
  /** Can this app read Graph incidents? A Graph token and one `$top=1` call; a refusal is reported, never thrown. */
  readonly checkGraph: (clientSecret: string, logger: Logger) => Promise<GraphCheck>;
  /** INCIDENTS_API=auto: warns once per process, past the warning date, while Graph is not ready. */
  readonly warnIfGraphNotReady: (logger: Logger, readiness: GraphReadiness | undefined) => void;
  /** Makes sure the export and state containers exist (cheap after the first call). */
  readonly ensureContainer: () => Promise<void>;
  readonly settings: ExportSettings;
}
