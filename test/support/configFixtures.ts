import { ConfigError } from '../../src/common/errors';
import { loadConfig, type Environment } from '../../src/config/loadConfig';

/** The smallest valid set of settings. */
export const validSettings: Environment = {
  DEFENDER_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  DEFENDER_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
  KEY_VAULT_URI: 'https://contoso-kv.vault.azure.net',
  EXPORT_STORAGE: 'UseDevelopmentStorage=true',
};

/** The problems loadConfig reports for `env` (empty when it loads). */
export function problemsOf(env: Environment): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
