/** The four servers of a simulated tenant. */
export type ServerName = 'login' | 'vault' | 'defender' | 'graph';

/** One request seen by any server of the simulated tenant, in arrival order. */
export interface RecordedRequest {
  server: ServerName;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Final status; 0 while the reply is still being computed. */
  status: number;
  /** The raw `Authorization` header, so tests can check where tokens went. */
  authorization?: string;
  /** The tenant the request was for (login path, or the bearer token's `tid`), when known. */
  tenantId?: string;
  /** Arrival time (ms epoch, from the tenant's clock). */
  at: number;
}

/** A complete HTTP reply computed by a handler before it is written (so faults can cut or replace it). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Source of "now" in ms since the epoch. */
export type Clock = () => number;
