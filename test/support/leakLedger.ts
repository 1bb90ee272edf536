import type { ContainerClient } from '@azure/storage-blob';
import { describeError } from '../../src/common/errors';
import type { SimulatedTenant } from '../../src/local/simulator';

/**
 * Collects every piece of output a suite produces (log lines, CLI stdout/stderr, error messages and
 * their serialised form, blob contents) so one final test can scan all of it for secrets and tokens.
 */
export class LeakLedger {
  private readonly outputs: { readonly label: string; readonly text: string }[] = [];
  private readonly secrets = new Set<string>();

  record(label: string, text: string): void {
    this.outputs.push({ label, text });
  }

  /** An error as every consumer could see it: message, cause chain, stack and own properties. */
  recordError(label: string, error: unknown): void {
    const serialised = (() => {
      try {
        return JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}));
      } catch {
        return '';
      }
    })();
    this.record(
      label,
      [String(error), describeError(error), error instanceof Error ? (error.stack ?? '') : '', serialised].join('\n'),
    );
  }

  async recordBlobs(label: string, container: ContainerClient): Promise<void> {
    if (!(await container.exists())) return;
    for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
      const text = (await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      this.record(`${label}: blob ${blob.name}`, `${text}\n${JSON.stringify(blob.metadata ?? {})}`);
    }
  }

  /** A value that must never show up (a secret that was rotated away, a wrong secret a test stored). */
  addSecret(value: string): void {
    this.secrets.add(value);
  }

  /**
   * The tenant's client secrets (exporter app and vault reader) and every token that reached any of its
   * servers (and each token's signature on its own), plus the secrets added.
   */
  sensitiveValues(tenant: SimulatedTenant): string[] {
    const values = new Set<string>([...this.secrets, tenant.exporterApp.clientSecret, tenant.vaultReader.clientSecret]);
    for (const request of tenant.requests) {
      const token = request.authorization?.replace(/^Bearer\s+/i, '');
      if (token === undefined || token.length < 20) continue;
      values.add(token);
      const signature = token.split('.')[2];
      if (signature !== undefined && signature.length >= 20) values.add(signature);
    }
    return [...values];
  }

  /** Every (output, secret) pair where the secret appears; the secret itself is not repeated in the finding. */
  findLeaks(tenant: SimulatedTenant): {
    readonly findings: string[];
    readonly outputs: number;
    readonly values: number;
  } {
    const values = this.sensitiveValues(tenant);
    const findings: string[] = [];
    for (const output of this.outputs) {
      values.forEach((value, index) => {
        if (output.text.includes(value))
          findings.push(`${output.label} contains sensitive value #${index} (${value.length} chars)`);
      });
    }
    return { findings, outputs: this.outputs.length, values: values.length };
  }
}
