import { randomBytes } from 'node:crypto';
import type { Clock } from './types';

export interface SecretVersion {
  name: string;
  version: string;
  value: string;
  /** Unix seconds, as Key Vault's `attributes.created`/`updated`. */
  createdSeconds: number;
}

/** The vault's secrets with their versions; a deleted secret is gone from every version. */
export class SecretVault {
  private readonly secrets = new Map<string, SecretVersion[]>();

  constructor(private readonly clock: Clock) {}

  /** Adds a new version (rotation) and returns the previous current value, if any. */
  set(name: string, value: string): string | undefined {
    const versions = this.secrets.get(name.toLowerCase()) ?? [];
    const previous = versions.at(-1)?.value;
    versions.push({
      name,
      version: randomBytes(16).toString('hex'),
      value,
      createdSeconds: Math.floor(this.clock() / 1000),
    });
    this.secrets.set(name.toLowerCase(), versions);
    return previous;
  }

  delete(name: string): void {
    this.secrets.delete(name.toLowerCase());
  }

  /** The current version, or the given version; undefined when unknown. Names are case-insensitive as in Key Vault. */
  get(name: string, version?: string): SecretVersion | undefined {
    const versions = this.secrets.get(name.toLowerCase());
    if (versions === undefined) return undefined;
    return version ? versions.find((candidate) => candidate.version === version.toLowerCase()) : versions.at(-1);
  }
}
