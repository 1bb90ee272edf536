import { PLATFORM_SETTINGS, SETTINGS } from '../../src/config/settings';
import { appSettingNames, appSettingValue, listRepoFiles, readRepoFile } from './templateText';

/** Identity-based connection settings the Functions host reads (AzureWebJobsStorage) or our export storage uses. */
const IDENTITY_STORAGE_SETTING = /^(AzureWebJobsStorage|EXPORT_STORAGE)__(blobServiceUri|queueServiceUri|tableServiceUri|credential|clientId)$/;

const functionAppBicep = readRepoFile('infra/app/function-app.bicep');
const settingNames = appSettingNames(functionAppBicep);

describe('the function app settings in infra/app/function-app.bicep', () => {
  it('are found by the extractor, once each', () => {
    expect(settingNames.length).toBeGreaterThan(5);
    expect(new Set(settingNames).size).toBe(settingNames.length);
  });

  it('set every setting the exporter requires', () => {
    const required = SETTINGS.filter((setting) => setting.required).map((setting) => setting.name);

    expect(required.length).toBeGreaterThan(0);
    expect(settingNames).toEqual(expect.arrayContaining(required));
  });

  it('set what the deployment promises: schedule, tenant, client id, vault URI, secret name, container and lookback', () => {
    expect(settingNames).toEqual(
      expect.arrayContaining([
        'EXPORT_SCHEDULE',
        'DEFENDER_TENANT_ID',
        'DEFENDER_CLIENT_ID',
        'KEY_VAULT_URI',
        'DEFENDER_CLIENT_SECRET_NAME',
        'EXPORT_CONTAINER',
        'INITIAL_LOOKBACK_HOURS',
      ]),
    );
  });

  it('set no setting outside the settings contract and the identity-based storage settings', () => {
    const known = new Set<string>([...SETTINGS.map((setting) => setting.name), ...PLATFORM_SETTINGS]);

    const unknown = settingNames.filter((name) => !known.has(name) && !IDENTITY_STORAGE_SETTING.test(name));

    expect(unknown).toEqual([]);
  });

  it('reach host and export storage with the managed identity, never with a connection string', () => {
    expect(settingNames).not.toContain('AzureWebJobsStorage');
    expect(settingNames).not.toContain('EXPORT_STORAGE');
    expect(settingNames).not.toContain('WEBSITE_RUN_FROM_PACKAGE');
    expect(appSettingValue(functionAppBicep, 'AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(appSettingValue(functionAppBicep, 'AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(appSettingValue(functionAppBicep, 'AzureWebJobsStorage__blobServiceUri')).toMatch(/primaryEndpoints\.blob/);
    expect(appSettingValue(functionAppBicep, 'EXPORT_STORAGE__blobServiceUri')).toMatch(/^exportStorage\.properties\.primaryEndpoints\.blob$/);
  });

  it('let DefaultAzureCredential pick the user-assigned identity through AZURE_CLIENT_ID', () => {
    expect(appSettingValue(functionAppBicep, 'AZURE_CLIENT_ID')).toBe('identityClientId');
  });

  it('send telemetry to Application Insights with Entra authentication', () => {
    expect(appSettingValue(functionAppBicep, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
  });

  it('leave FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION out, which Flex Consumption rejects', () => {
    expect(settingNames).not.toContain('FUNCTIONS_WORKER_RUNTIME');
    expect(settingNames).not.toContain('FUNCTIONS_EXTENSION_VERSION');
  });
});

describe('the schedule setting', () => {
  it('is what the exportIncidents timer is scheduled by', () => {
    const functionSources = listRepoFiles('src/functions', ['.ts']).map((file) => readRepoFile(file));
    const timerSource = functionSources.find((source) => source.includes("'exportIncidents'"));

    expect(timerSource).toBeDefined();
    expect(timerSource).toContain("'%EXPORT_SCHEDULE%'");
  });
});
