/**
 * The tiny logging interface every part of the exporter writes to. Adapters exist for the Functions
 * invocation context and for the terminal; both pass every line through `redact` first.
 */
export type LogProperties = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  info(message: string, properties?: LogProperties): void;
  warn(message: string, properties?: LogProperties): void;
  error(message: string, properties?: LogProperties): void;
}

const sensitiveValues = new Set<string>();

/** Registers a value (a client secret, a token) that must never be printed anywhere. */
export function registerSensitive(value: string | undefined): void {
  if (value !== undefined && value.length >= 6) sensitiveValues.add(value);
}

/** Replaces every registered secret or token, and anything that looks like a bearer token or JWT, with [REDACTED]. */
export function redact(text: string): string {
  let result = text;
  for (const value of sensitiveValues) {
    if (result.includes(value)) result = result.split(value).join('[REDACTED]');
  }
  return result
    .replace(/(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, '$1[REDACTED]')
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[REDACTED]')
    .replace(/(AccountKey=)[^;]+/gi, '$1[REDACTED]')
    .replace(/(client_secret=)[^&\s]+/gi, '$1[REDACTED]');
}

function format(message: string, properties?: LogProperties): string {
  if (!properties) return redact(message);
  const fields = Object.entries(properties)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return redact(fields.length > 0 ? `${message} ${fields}` : message);
}

/** Sink-agnostic logger: each line is formatted, redacted and handed to the sink for its level. */
export function createLogger(sink: { info(line: string): void; warn(line: string): void; error(line: string): void }): Logger {
  return {
    info: (message, properties) => sink.info(format(message, properties)),
    warn: (message, properties) => sink.warn(format(message, properties)),
    error: (message, properties) => sink.error(format(message, properties)),
  };
}

/** Discards everything (tests that do not look at logs). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
