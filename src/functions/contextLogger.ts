import type { InvocationContext } from '@azure/functions';
import { createLogger, type Logger } from '../common/logger';

/** A logger over the invocation context, so Application Insights keeps each line with its invocation. */
export function contextLogger(context: InvocationContext): Logger {
  return createLogger({
    info: (line) => context.log(line),
    warn: (line) => context.warn(line),
    error: (line) => context.error(line),
  });
}
