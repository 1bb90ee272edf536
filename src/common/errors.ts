/**
 * One error family for the whole exporter. Every error says what went wrong and how to fix it,
 * carries a stable `code` that tests and alerts can match, and tells whether a retry may help.
 */
export interface ExporterErrorOptions {
  readonly code: string;
  readonly retryable?: boolean;
  readonly statusCode?: number;
  readonly cause?: unknown;
}

export class ExporterError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly statusCode: number | undefined;

  constructor(message: string, options: ExporterErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.statusCode = options.statusCode;
  }
}

/** Settings are missing or malformed: lists every problem with its fix. Never retryable. */
export class ConfigError extends ExporterError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid settings (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      code: 'InvalidSettings',
    });
    this.problems = problems;
  }
}

/**
 * Nothing to export: no tenant registry and no DEFENDER_TENANT_ID. A settings problem (nothing was attempted,
 * never retryable) stated in one line naming both fixes.
 */
export class NoTenantError extends ExporterError {
  /** `registry`: where the registry was looked for (config/tenants.json in container '...'), when known. */
  constructor(registry?: string) {
    super(
      `No tenant to export: there is no tenant registry` +
        `${registry === undefined ? '' : ` (${registry})`} and DEFENDER_TENANT_ID is not set. Set ` +
        `DEFENDER_TENANT_ID (one tenant), or register tenants with 'defender-export tenants ` +
        `add <tenantId>'.`,
      { code: 'NoTenant' },
    );
  }
}

/** The client secret could not be read from Key Vault. */
export class SecretError extends ExporterError {}

/** Entra refused or could not issue a token. */
export class AuthError extends ExporterError {}

/** The incidents API answered with an error, or with something we cannot use. */
export class ApiError extends ExporterError {
  readonly apiCode: string | undefined;
  readonly trackingId: string | undefined;
  /** The API's own error message (from its error body), when it gave one. */
  readonly apiMessage: string | undefined;
  constructor(
    message: string,
    options: ExporterErrorOptions & { apiCode?: string; trackingId?: string; apiMessage?: string },
  ) {
    super(message, options);
    this.apiCode = options.apiCode;
    this.trackingId = options.trackingId;
    this.apiMessage = options.apiMessage;
  }
}

/** The run's time budget ran out (throttling or a slow API): the next run continues. */
export class BudgetExceededError extends ExporterError {}

/** Blob storage failed (export blob or state). */
export class StorageError extends ExporterError {}

/** The state blob is missing while exports exist, or cannot be parsed: never silently reset. */
export class StateError extends ExporterError {}

/** Turns anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return new Error(text, { cause: value });
}

/**
 * Message of any thrown value for one-line reports. Our own errors are written complete (problem and fix),
 * so their cause is not repeated; for others the cause chain is appended ("a: caused by: b").
 */
export function describeError(value: unknown): string {
  const parts: string[] = [];
  let current: unknown = value;
  for (let depth = 0; current !== undefined && depth < 4; depth += 1) {
    const error = toError(current);
    if (!parts.some((p) => p.includes(error.message))) parts.push(error.message);
    if (error instanceof ExporterError) break;
    current = error.cause;
  }
  return parts.join(': caused by: ');
}
