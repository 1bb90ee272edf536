import { loadConfig } from '../../src/config/loadConfig';
import { problemsOf, validSettings } from '../support/configFixtures';

const valid = validSettings;

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      keyVaultUri: 'https://contoso-kv.vault.azure.net/',
      secretName: 'defender-client-secret',
      apiUrl: 'https://api.security.microsoft.com',
      authorityHost: 'https://login.microsoftonline.com',
      container: 'defender-incidents',
      schedule: '0 */5 * * * *',
      initialLookbackHours: 48,
      overlapMinutes: 15,
      storage: {
        kind: 'connectionString',
        connectionString: 'UseDevelopmentStorage=true',
        settingName: 'EXPORT_STORAGE',
      },
      vaultServicePrincipal: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('trims values and accepts a tenant domain', () => {
    const config = loadConfig({
      ...valid,
      DEFENDER_TENANT_ID: '  contoso.onmicrosoft.com ',
      EXPORT_CONTAINER: ' exports ',
    });
    expect(config.tenantId).toBe('contoso.onmicrosoft.com');
    expect(config.container).toBe('exports');
  });

  it('reports every missing required setting at once, each with its fix', () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/DEFENDER_CLIENT_ID is missing/);
    expect(problems.join('\n')).toMatch(/KEY_VAULT_URI is missing/);
    expect(problems.join('\n')).toMatch(/EXPORT_STORAGE is missing \(and so is AzureWebJobsStorage\)/);
  });

  it(
    'loads without DEFENDER_TENANT_ID (a deployment that exports the tenants of its registry), ' +
      'checking every other setting',
    () => {
      // Prepare
      const withoutTenant = { ...valid, DEFENDER_TENANT_ID: undefined };

      // Act
      const config = loadConfig(withoutTenant);
      const blank = loadConfig({ ...valid, DEFENDER_TENANT_ID: '  ' });

      // Assess
      expect(config.tenantId).toBeUndefined();
      expect(blank.tenantId).toBeUndefined();
      expect(config).toMatchObject({ clientId: valid.DEFENDER_CLIENT_ID, secretName: 'defender-client-secret' });
      expect(problemsOf({ ...withoutTenant, DEFENDER_CLIENT_ID: undefined, EXPORT_CONTAINER: 'Bad_Name' })).toEqual([
        expect.stringMatching(/^DEFENDER_CLIENT_ID is missing/),
        expect.stringMatching(/^EXPORT_CONTAINER 'Bad_Name' is not a valid container name/),
      ]);
    },
  );

  it('reports every malformed setting at once', () => {
    const problems = problemsOf({
      ...valid,
      DEFENDER_TENANT_ID: 'not a tenant',
      DEFENDER_CLIENT_ID: '1234',
      KEY_VAULT_URI: 'http://contoso-kv.vault.azure.net/',
      DEFENDER_API_URL: 'api.security.microsoft.com',
      AZURE_AUTHORITY_HOST: 'http://login.microsoftonline.com',
      EXPORT_CONTAINER: 'Bad_Name',
      EXPORT_SCHEDULE: '*/5 * * * *',
      INITIAL_LOOKBACK_HOURS: '-1',
      OVERLAP_MINUTES: 'ten',
      DEFENDER_CLIENT_SECRET_NAME: 'has spaces',
    });
    expect(problems).toHaveLength(10);
    for (const name of [
      'DEFENDER_TENANT_ID',
      'DEFENDER_CLIENT_ID',
      'KEY_VAULT_URI',
      'DEFENDER_API_URL',
      'AZURE_AUTHORITY_HOST',
      'EXPORT_CONTAINER',
      'EXPORT_SCHEDULE',
      'INITIAL_LOOKBACK_HOURS',
      'OVERLAP_MINUTES',
      'DEFENDER_CLIENT_SECRET_NAME',
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('falls back to AzureWebJobsStorage, and prefers the identity-based endpoint', () => {
    expect(
      loadConfig({ ...valid, EXPORT_STORAGE: undefined, AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).storage,
    ).toMatchObject({ settingName: 'AzureWebJobsStorage' });
    expect(
      loadConfig({ ...valid, EXPORT_STORAGE__blobServiceUri: 'https://acct.blob.core.windows.net/' }).storage,
    ).toEqual({ kind: 'identity', blobServiceUri: 'https://acct.blob.core.windows.net' });
  });

  it('reads the vault service principal only when all three AZURE_* settings are present', () => {
    expect(loadConfig({ ...valid, AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c' }).vaultServicePrincipal).toBeUndefined();
    expect(
      loadConfig({ ...valid, AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's' })
        .vaultServicePrincipal,
    ).toEqual({ tenantId: 't', clientId: 'c', clientSecret: 's' });
  });

  it('never puts a setting value that may be a secret into its messages', () => {
    const problems = problemsOf({ ...valid, EXPORT_STORAGE: 'AccountKey=supersecretkey' });
    expect(problems.join('\n')).not.toContain('supersecretkey');
  });
});
