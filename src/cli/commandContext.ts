import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import type { ExporterRuntime } from '../runtime/exporterRuntime';

/** What every command gets: the runtime (built on first use), a logger on stderr and a printer on stdout. */
export interface CommandContext {
  runtime(): ExporterRuntime;
  /** Just the export container and a clock, for commands that only read exports and state (no tenant or vault settings needed). */
  storage(): { readonly container: ContainerClient; readonly clock: Clock };
  readonly logger: Logger;
  print(text: string): void;
  /**
   * Sets the process exit code for a command that completed but must report a non-zero result without an
   * error message (`status` when unhealthy). Errors still go through `throw`.
   */
  setExitCode(code: number): void;
}
