import type { Clock } from '../common/clock';

/** Longest a secret read is reused when no new tick is announced (a guard: rotation is still picked up). */
export const SECRET_MAX_AGE_MS = 10 * 60_000;

interface CachedSecret {
  readonly value: Promise<string>;
  readonly readAtMs: number;
}

/**
 * Client secrets read once per timer tick and shared by every tenant that uses the same secret name: the
 * first run of a tick reads Key Vault, the others of that tick get the same value. `beginTick` makes the
 * next read go to Key Vault again (a rotated secret is picked up by the next tick); so does a failed read
 * (never cached), `forget` (a run that found the secret refused), or an entry older than SECRET_MAX_AGE_MS.
 */
export class TickSecrets {
  private readonly cached = new Map<string, CachedSecret>();
  private vaultReads = 0;

  constructor(
    private readonly read: (secretName: string) => Promise<string>,
    private readonly clock: Clock,
    private readonly maxAgeMs = SECRET_MAX_AGE_MS,
  ) {}

  /** How many times Key Vault was read (the bench reports it). */
  get reads(): number {
    return this.vaultReads;
  }

  get(secretName: string): Promise<string> {
    const nowMs = this.clock.now().getTime();
    const found = this.cached.get(secretName);
    if (found !== undefined && nowMs - found.readAtMs < this.maxAgeMs) return found.value;
    this.vaultReads += 1;
    // Read without any one run's abort signal: the value is shared by the tenants of the tick.
    const value = this.read(secretName);
    const entry: CachedSecret = { value, readAtMs: nowMs };
    this.cached.set(secretName, entry);
    value.catch(() => {
      if (this.cached.get(secretName) === entry) this.cached.delete(secretName);
    });
    return value;
  }

  /** The next read of this secret goes to Key Vault (the value was refused: it may have been rotated). */
  forget(secretName: string): void {
    this.cached.delete(secretName);
  }

  /** A new tick: every next read goes to Key Vault. */
  beginTick(): void {
    this.cached.clear();
  }
}
