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

/** Calls `onGone` some time after `owner` can no longer be reached (it was garbage-collected). */
export type OwnerTracker = (owner: object, onGone: () => void) => void;

/** The default tracker: a FinalizationRegistry, so a value is let go only once nothing can use its owner. */
function finalizationTracker(): OwnerTracker {
  const registry = new FinalizationRegistry<() => void>((onGone) => onGone());
  return (owner, onGone) => registry.register(owner, onGone);
}

/** Values shorter than this are never registered (they would redact ordinary words). */
const MIN_LENGTH = 6;

/**
 * The values every log line is scrubbed of, kept bounded in a long-lived worker (a timer run every five
 * minutes gets a new token each run: about 8,600 a month, each scanned on every line).
 *
 * - Secrets (`pin`): the most recent `maxPinned` distinct values, most recently registered first. Every run
 *   registers its secret again, so the secret in use is always at the front; one is dropped only after
 *   `maxPinned` others were registered since, i.e. many rotations later.
 * - Tokens and anything else a run holds (`holdWhileAlive`): kept while the object that uses the value (the
 *   run's token provider) can still be reached, and let go after the garbage collector reclaims it. Two runs
 *   that overlap each hold their own values; a value two owners share stays until both are gone. So a value
 *   never stops being redacted while a run that uses it is alive, and the set holds only the values of live
 *   runs (plus those whose owners the collector has not reclaimed yet).
 */
export class SensitiveValues {
  private pinned: string[] = [];
  /** Value → how many live owners hold it. */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly maxPinned = 64,
    private readonly track: OwnerTracker = finalizationTracker(),
  ) {}

  /** Keeps a long-lived secret among the most recent `maxPinned`. */
  pin(value: string | undefined): void {
    if (value === undefined || value.length < MIN_LENGTH) return;
    this.pinned = [value, ...this.pinned.filter((pinned) => pinned !== value)].slice(0, this.maxPinned);
  }

  /** Keeps `value` while `owner` is alive. */
  holdWhileAlive(value: string | undefined, owner: object): void {
    if (value === undefined || value.length < MIN_LENGTH) return;
    this.held.set(value, (this.held.get(value) ?? 0) + 1);
    this.track(owner, () => {
      const holders = (this.held.get(value) ?? 1) - 1;
      if (holders > 0) this.held.set(value, holders);
      else this.held.delete(value);
    });
  }

  /** How many distinct values are scanned for (tests, diagnostics). */
  get size(): number {
    return new Set([...this.pinned, ...this.held.keys()]).size;
  }

  /** `text` with every value replaced by [REDACTED]. */
  scrub(text: string): string {
    let result = text;
    for (const value of [...this.pinned, ...this.held.keys()]) {
      if (result.includes(value)) result = result.split(value).join('[REDACTED]');
    }
    return result;
  }
}

/** The process's list, consulted by every logger and by the CLI's printer. */
const sensitiveValues = new SensitiveValues();

/** Registers a long-lived secret (a client secret) that must never be printed anywhere; see `SensitiveValues.pin`. */
export function registerSensitive(value: string | undefined): void {
  sensitiveValues.pin(value);
}

/** Registers a value (a token) that must never be printed while `owner` (the run's token provider) is alive. */
export function registerSensitiveWhileAlive(value: string | undefined, owner: object): void {
  sensitiveValues.holdWhileAlive(value, owner);
}

/** Replaces every registered secret or token, and anything that looks like a bearer token or JWT, with [REDACTED]. */
export function redact(text: string, values: SensitiveValues = sensitiveValues): string {
  return values
    .scrub(text)
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
export function createLogger(sink: {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}): Logger {
  return {
    info: (message, properties) => sink.info(format(message, properties)),
    warn: (message, properties) => sink.warn(format(message, properties)),
    error: (message, properties) => sink.error(format(message, properties)),
  };
}

/** Discards everything (tests that do not look at logs). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
