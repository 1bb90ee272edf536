import type { ServerName } from './types';

export type FaultKind =
  '429' | '429-body-only' | '500' | '503' | 'reset' | 'truncate' | 'slow' | 'malformed' | 'status';

/** What a fault's `match` sees of a request. */
export interface FaultRequest {
  server: ServerName;
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  /** The tenant the request is for (login path, or the bearer token's `tid`), when known. */
  tenantId?: string;
}

/** Where a server takes its faults from (one injector, or the simulator's global and per-tenant ones). */
export interface FaultSource {
  take(request: FaultRequest): FaultSpec | undefined;
}

export interface FaultSpec {
  server: ServerName;
  kind: FaultKind;
  /** How many matching requests it hits; default 1. */
  times?: number;
  /** Hits every matching request until `clear()`. */
  persistent?: boolean;
  /** For 429 (header and body) and 429-body-only (body only); optional Retry-After on 503. Default 1. */
  retryAfterSeconds?: number;
  /** For 'slow'; default 1000. */
  delayMs?: number;
  /**
   * For 'reset': how the cut body was framed. 'chunked' (default, as the services stream JSON) lets clients see a premature close;
   * 'content-length' is the harder case: node-fetch v2 then never settles the body unless the client has a timeout or abort signal.
   */
  framing?: 'chunked' | 'content-length';
  /** For 'status'; default 400. */
  status?: number;
  /** For 'status'; default 'BadRequest'. */
  code?: string;
  message?: string;
  match?: (request: FaultRequest) => boolean;
}

/**
 * What the incidents-page hook receives; `requestIndex` counts list-page requests on that server, from 0 (for a
 * tenant's own injector: that tenant's requests only).
 */
export interface IncidentsPageInfo {
  server: 'defender' | 'graph';
  requestIndex: number;
  /** The tenant whose incidents are listed. */
  tenantId: string;
  skip: number;
  top: number;
}

/** Queued faults, each consumed by the next matching request(s), plus a hook to change incidents mid-pull. */
export class FaultInjector {
  private faults: { spec: FaultSpec; remaining: number }[] = [];
  /** Called before each incidents list page is computed (after auth and rate limiting), so tests can mutate incidents mid-pull. */
  onIncidentsPage?: (info: IncidentsPageInfo) => void | Promise<void>;

  inject(spec: FaultSpec): void {
    this.faults.push({ spec, remaining: spec.times ?? 1 });
  }

  /** Removes every queued and persistent fault (the page hook stays; unset it directly). */
  clear(): void {
    this.faults = [];
  }

  get pending(): number {
    return this.faults.length;
  }

  /** The fault for this request, if any; consumes one use. */
  take(request: FaultRequest): FaultSpec | undefined {
    const entry = this.faults.find(({ spec }) => spec.server === request.server && (spec.match?.(request) ?? true));
    if (!entry) return undefined;
    if (!entry.spec.persistent && --entry.remaining <= 0)
      this.faults = this.faults.filter((candidate) => candidate !== entry);
    return entry.spec;
  }
}
