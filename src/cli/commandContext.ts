import type { Logger } from '../common/logger';
import type { ExporterRuntime } from '../runtime/exporterRuntime';

/** What every command gets: the runtime (built on first use), a logger on stderr and a printer on stdout. */
export interface CommandContext {
  runtime(): ExporterRuntime;
  readonly logger: Logger;
  print(text: string): void;
}
