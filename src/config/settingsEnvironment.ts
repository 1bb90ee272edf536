import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { ConfigError } from '../common/errors';
import type { Environment } from './loadConfig';
import { property } from '../common/jsonFields';

/**
 * The settings a command line run sees: `local.settings.json`'s `Values` (as the Functions host would
 * load them) under the process environment, which wins.
 */
export function settingsEnvironment(env: Environment, directory: string): Environment {
  const file = join(directory, 'local.settings.json');
  if (!existsSync(file)) return env;
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}): fix it or remove it.`,
    ]);
  }
  const values = property(body, 'Values');
  if (values === undefined) return env;
  if (typeof values !== 'object' || values === null)
    throw new ConfigError([`${file}: 'Values' must be an object of setting names to strings.`]);
  const fromFile: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (typeof value === 'string') fromFile[key] = value;
  return { ...fromFile, ...env };
}
