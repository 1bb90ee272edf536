import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { ConfigError } from '../common/errors';
import { property, stringProperty } from '../common/jsonFields';
import type { Environment } from './loadConfig';

/**
 * `.local/tenant.json` (git-ignored): what `npm start` tells a second terminal about the simulated tenant it
 * runs (its ports, CA and identities change at every start). Only `--local` (`npm run local -- <command>`)
 * reads it, so a run meant for a real tenant never picks up simulated settings. A source of settings, written by
 * the local host and read by the CLI, so it lives here and neither entry point imports the other.
 */
export const LOCAL_TENANT_FILE = join('.local', 'tenant.json');

/** What the file holds: the host's process (to tell a stale file), the settings, and the CA to trust. */
export interface LocalTenant {
  readonly pid: number;
  readonly settings: Readonly<Record<string, string>>;
  readonly caCertPem: string;
}

/** Written by `npm start` once the simulated tenant and Azurite are up; readable by the owner only (it holds the simulated identities' secrets). */
export function writeLocalTenant(projectRoot: string, tenant: LocalTenant): void {
  mkdirSync(join(projectRoot, '.local'), { recursive: true, mode: 0o700 });
  writeFileSync(join(projectRoot, LOCAL_TENANT_FILE), `${JSON.stringify(tenant, null, 2)}\n`, { mode: 0o600 });
}

/** Removed when `npm start` stops, so no command reaches for a tenant that is gone. */
export function removeLocalTenant(projectRoot: string): void {
  rmSync(join(projectRoot, LOCAL_TENANT_FILE), { force: true });
}

const START_HINT = "start 'npm start' in this folder in another terminal, wait for its first run, then try again";

/**
 * The settings of `--local`: the usual ones (environment, then local.settings.json) under the simulated
 * tenant's, which win, so nothing of a real tenant leaks into the simulated run or the other way round.
 */
export function readLocalTenant(
  directory: string,
  isRunning: (pid: number) => boolean = processIsRunning,
): LocalTenant {
  const file = join(directory, LOCAL_TENANT_FILE);
  if (!existsSync(file))
    throw new ConfigError([`--local: ${file} does not exist, so no simulated tenant is running here: ${START_HINT}.`]);
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    body = undefined;
  }
  const pid = property(body, 'pid');
  const settings = property(body, 'settings');
  const caCertPem = property(body, 'caCertPem');
  if (typeof pid !== 'number' || typeof caCertPem !== 'string' || typeof settings !== 'object' || settings === null) {
    throw new ConfigError([`--local: ${file} is not what 'npm start' writes: delete it and ${START_HINT}.`]);
  }
  if (!isRunning(pid))
    throw new ConfigError([
      `--local: the 'npm start' that wrote ${file} (process ${pid}) is no longer running: ${START_HINT}.`,
    ]);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) if (typeof value === 'string') values[key] = value;
  return { pid, settings: values, caCertPem };
}

/** The environment of a `--local` command: `base` (environment and local.settings.json) under the simulated tenant's settings. */
export function localEnvironment(base: Environment, tenant: LocalTenant): Environment {
  return { ...base, ...tenant.settings };
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return stringProperty(error, 'code') === 'EPERM';
  }
}
