import { spawn } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Environment } from '../../src/config/loadConfig';
import type { World } from './world';

export const CLI = join(__dirname, '..', '..', 'bin', 'defender-export.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh empty folder to run a CLI process in (HOME and cwd), so no local.settings.json is read. */
export function emptyFolder(): string {
  return mkdtempSync(join(tmpdir(), 'defender-export-'));
}

/** The environment a real deployment-like process gets: the world's settings, its vault identity, and its CA through NODE_EXTRA_CA_CERTS. */
export function cliEnvironment(world: World, extra: Environment = {}): Record<string, string> {
  const folder = emptyFolder();
  const caFile = join(folder, 'ca.pem');
  writeFileSync(caFile, world.tenant.caCertPem);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: folder, NODE_EXTRA_CA_CERTS: caFile };
  const settings: Environment = {
    ...world.env,
    AZURE_TENANT_ID: world.tenant.tenantId,
    AZURE_CLIENT_ID: world.tenant.vaultReader.clientId,
    AZURE_CLIENT_SECRET: world.tenant.vaultReader.clientSecret,
    ...extra,
  };
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) env[key] = value;
  return env;
}

/** Runs the real CLI entry point as a child process (from an empty folder, so no local.settings.json is read). */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { killAfterMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: env.HOME, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer =
      options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killer) clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
