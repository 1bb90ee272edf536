import { ClientSecretCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { silentLogger } from '../src/common/logger';
import { loadConfig } from '../src/config/loadConfig';
import { runExport } from '../src/export/runExport';
import { buildDependencies } from '../src/runtime/buildDependencies';
import type { RateLimit } from '../src/sources/pacer';
import { naivePull } from './naivePull';
import { peakRssMb } from './processMemory';

/** What the parent sends a measured child (as JSON in BENCH_CHILD). */
export interface ChildTask {
  readonly mode: 'exporter' | 'naive';
  readonly env: Record<string, string>;
  readonly ca: string;
  readonly vaultReader: { tenantId: string; clientId: string; clientSecret: string; authorityHost: string };
  readonly rateLimits?: RateLimit[];
  readonly since: string;
}

/** What a child reports on its last stdout line. */
export interface ChildResult {
  /** Set when the run failed (e.g. the naive pull cannot build a string that large). */
  readonly error?: string;
  readonly wallMs: number;
  readonly incidents: number;
  readonly apiCalls: number;
  readonly bytes: number;
  readonly peakRssMb: number;
  readonly throttledWaits: number;
  /** CPU time of the child (user + system), ms. */
  readonly cpuMs?: number;
}

async function main(): Promise<void> {
  const task = JSON.parse(process.env.BENCH_CHILD ?? '{}') as ChildTask;
  const credential = new ClientSecretCredential(
    task.vaultReader.tenantId,
    task.vaultReader.clientId,
    task.vaultReader.clientSecret,
    {
      authorityHost: task.vaultReader.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: task.ca },
    },
  );
  const config = loadConfig(task.env);
  const started = process.hrtime.bigint();
  let result: Omit<ChildResult, 'wallMs' | 'peakRssMb'>;
  if (task.mode === 'exporter') {
    const deps = buildDependencies(config, {
      azureCredential: credential,
      tlsCa: task.ca,
      runBudgetMs: 3_600_000,
      ...(task.rateLimits ? { rateLimits: task.rateLimits } : {}),
    });
    const summary = await runExport(deps, { trigger: 'bench', logger: silentLogger });
    result = {
      incidents: summary.incidents,
      apiCalls: summary.apiCalls,
      bytes: summary.bytesWritten,
      throttledWaits: summary.throttledWaits,
    };
  } else {
    // The naive script authenticates as the app directly with the secret it read from the vault.
    const { SecretClient } = await import('@azure/keyvault-secrets');
    const secret = await new SecretClient(config.keyVaultUri, credential, {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: task.ca },
    }).getSecret(config.secretName);
    if (config.tenantId === undefined) throw new Error('bench: the naive script needs DEFENDER_TENANT_ID');
    const app = new ClientSecretCredential(config.tenantId, config.clientId, secret.value ?? '', {
      authorityHost: config.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: task.ca },
    });
    const container = BlobServiceClient.fromConnectionString(task.env.EXPORT_STORAGE ?? '').getContainerClient(
      config.container,
    );
    await container.createIfNotExists();
    const naive = await naivePull({
      apiUrl: config.apiUrl,
      credential: app,
      container,
      ca: task.ca,
      since: task.since,
    });
    result = { ...naive, throttledWaits: 0 };
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const usage = process.cpuUsage();
  const report: ChildResult = { ...result, wallMs, peakRssMb: peakRssMb(), cpuMs: (usage.user + usage.system) / 1000 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const report: ChildResult = {
    error: message,
    wallMs: 0,
    incidents: 0,
    apiCalls: 0,
    bytes: 0,
    throttledWaits: 0,
    peakRssMb: peakRssMb(),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
});
