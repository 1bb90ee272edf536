import { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import type { Environment } from '../config/loadConfig';
import type { ExporterRuntime } from '../runtime/exporterRuntime';
import type { CommandClock } from './commandClock';

/** What every command gets: the runtime (built on first use), a logger on stderr and a printer on stdout. */
export interface CommandContext {
  runtime(): ExporterRuntime;
  /**
   * Just the export container, the state container (EXPORT_STATE_CONTAINER; the same client when it is the export
   * container) and a clock, for commands that only read or repair exports, state and the tenant registry (no tenant
   * or vault settings needed).
   */
  storage(): CommandStorage;
  /** The settings this command reads (the environment, local.settings.json, or --local's): for defaults such as DEFENDER_TENANT_ID. */
  environment?(): Environment;
  readonly logger: Logger;
  print(text: string): void;
  /** A line for people on stderr next to the result (e.g. that a filter matched nothing): not a log line, not an error. */
  note(text: string): void;
  /** Width of the terminal the results are shown on; undefined when stdout is a pipe or a file (nothing is cut). */
  readonly columns?: number;
  /** The clock the runtime was built with, to show and to end its waits (a backfill's progress bar and Ctrl+C). */
  readonly waits?: CommandClock;
  /**
   * Sets the process exit code for a command that completed but must report a non-zero result without an
   * error message (`status` when unhealthy). Errors still go through `throw`.
   */
  setExitCode(code: number): void;
}

/** What the storage-only commands use. */
export interface CommandStorage {
  readonly container: ContainerClient;
  /** Undefined: the export container (tests that pass one container). */
  readonly stateContainer?: ContainerClient;
  readonly clock: Clock;
}

/** The state container of `storage` (the export container unless EXPORT_STATE_CONTAINER names another). */
export function stateContainerOf(storage: CommandStorage): ContainerClient {
  return storage.stateContainer ?? storage.container;
}

/** Retries of the read-only commands: a refused connection fails within about a second instead of the SDK's ~18 s. */
const READ_ONLY_RETRIES = { maxTries: 3, retryDelayInMs: 250, maxRetryDelayInMs: 1_000 };

/**
 * The same container, with few and short retries: the read-only commands are run by a person waiting at a
 * terminal, or by a probe, and repeating them is free.
 */
export function failFastContainer(container: ContainerClient): ContainerClient {
  return new ContainerClient(container.url, container.credential, { retryOptions: READ_ONLY_RETRIES });
}

/** Another container of the same account, reached with the same credential and retries. */
export function siblingContainer(container: ContainerClient, name: string): ContainerClient {
  const url = new URL(container.url);
  url.pathname = url.pathname.replace(/[^/]+\/?$/, encodeURIComponent(name));
  return new ContainerClient(url.toString(), container.credential, { retryOptions: READ_ONLY_RETRIES });
}
