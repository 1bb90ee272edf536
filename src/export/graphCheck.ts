import { describeError, ExporterError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ExportDependencies } from './exportDependencies';
import type { GraphReadiness } from './exportState';

/**
 * Checks now that the exporter's app can read Graph incidents: reads the secret, gets a Graph token and makes one
 * `$top=1` call. A refusal (or a secret that cannot be read) is the answer, with its exact code; never thrown.
 */
export async function checkGraphNow(
  deps: Pick<ExportDependencies, 'readSecret' | 'checkGraph' | 'clock'>,
  logger: Logger,
): Promise<GraphReadiness> {
  let check;
  try {
    check = await deps.checkGraph(await deps.readSecret(), logger);
  } catch (error) {
    const code = error instanceof ExporterError ? error.code : 'Unknown';
    check = { ready: false, code, message: describeError(error).slice(0, 500) } as const;
  }
  const checkedAt = deps.clock.now().toISOString();
  return check.ready ? { checkedAt, ready: true } : { checkedAt, ...check };
}
