import { PLATFORM_SETTINGS, SETTINGS } from '../../src/config/settings';
import { AWAITED_SETTINGS } from './awaitedFromTheCore';
import { declarations, objectVariable, propertyBlock, readRepoFile, stripComments } from './templateText';

/** Identity-based connection settings the Functions host reads (AzureWebJobsStorage) or our export storage uses. */
const IDENTITY_STORAGE_SETTING =
  /^(AzureWebJobsStorage|EXPORT_STORAGE)__(blobServiceUri|queueServiceUri|tableServiceUri|credential|clientId)$/;

const mainBicep = readRepoFile('infra/main.bicep');
const functionAppBicep = readRepoFile('infra/app/function-app.bicep');

/** The exporter's settings, built in main.bicep from the azd environment, NAME → Bicep expression. */
const exporterSettings = objectVariable(mainBicep, 'exporterSettings');
/** What function-app.bicep writes on its own: endpoints of created resources, host and SDK settings. */
const appSettings = new Map([
  ...objectVariable(functionAppBicep, 'appSettings'),
  ...objectVariable(functionAppBicep, 'hostStorageQueueSettings'),
  ...objectVariable(functionAppBicep, 'hostStorageTableSettings'),
]);
const settingNames = [...exporterSettings.keys(), ...appSettings.keys()];

describe('the function app settings (exporterSettings in infra/main.bicep, appSettings in infra/app/function-app.bicep)', () => {
  it('are found by the extractor, once each', () => {
    expect(exporterSettings.size).toBeGreaterThan(5);
    expect(appSettings.size).toBeGreaterThan(5);
    expect(new Set(settingNames).size).toBe(settingNames.length);
  });

  it('set every setting the exporter requires', () => {
    const required = SETTINGS.filter((setting) => setting.required).map((setting) => setting.name);

    expect(required.length).toBeGreaterThan(0);
    expect(settingNames).toEqual(expect.arrayContaining(required));
  });

  it(
    'set what the deployment promises: schedule, tenant, client id, vault URI, secret name, ' +
      'container and lookback',
    () => {
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
    },
  );

  it(
    'set no setting outside the settings contract, the settings awaited from it and the ' +
      'identity-based storage settings',
    () => {
      const known = new Set<string>([
        ...SETTINGS.map((setting) => setting.name),
        ...PLATFORM_SETTINGS,
        ...AWAITED_SETTINGS,
      ]);

      const unknown = settingNames.filter((name) => !known.has(name) && !IDENTITY_STORAGE_SETTING.test(name));

      expect(unknown).toEqual([]);
    },
  );

  it('reach host and export storage with the managed identity, never with a connection string', () => {
    expect(settingNames).not.toContain('AzureWebJobsStorage');
    expect(settingNames).not.toContain('EXPORT_STORAGE');
    expect(settingNames).not.toContain('WEBSITE_RUN_FROM_PACKAGE');
    expect(appSettings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(appSettings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(appSettings.get('AzureWebJobsStorage__blobServiceUri')).toMatch(/primaryEndpoints\.blob/);
    expect(appSettings.get('EXPORT_STORAGE__blobServiceUri')).toMatch(
      /^exportStorage\.properties\.primaryEndpoints\.blob$/,
    );
  });

  it('let DefaultAzureCredential pick the user-assigned identity through AZURE_CLIENT_ID', () => {
    expect(appSettings.get('AZURE_CLIENT_ID')).toBe('identityClientId');
  });

  it('send telemetry to Application Insights with Entra authentication', () => {
    expect(appSettings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
  });

  it('leave FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION out, which Flex Consumption rejects', () => {
    expect(settingNames).not.toContain('FUNCTIONS_WORKER_RUNTIME');
    expect(settingNames).not.toContain('FUNCTIONS_EXTENSION_VERSION');
  });
});

describe('how the app settings are written', () => {
  const text = stripComments(functionAppBicep);
  const [site] = declarations('infra/app/function-app.bicep', functionAppBicep).filter((declaration) =>
    declaration.target.startsWith('br/public:avm/res/web/site:'),
  );

  it('never through siteConfig.appSettings, which replaces every setting on each deployment', () => {
    expect(propertyBlock(text, 'siteConfig')).toBeDefined();
    expect(propertyBlock(text, 'siteConfig')).not.toMatch(/\bappSettings\s*:/);
    expect(text).not.toMatch(/\bappSettingsKeyValuePairs\s*:/);
  });

  it(
    "through the site's appsettings config, merged over the settings already on the app so " +
      'that portal-added ones survive',
    () => {
      const configs = site === undefined ? '' : (propertyBlock(site.body, 'configs') ?? '');

      expect(configs).toMatch(/name\s*:\s*'appsettings'/);
      expect(configs).toMatch(/retainCurrentAppSettings\s*:\s*true/);
      expect(configs).toMatch(
        /properties\s*:\s*union\(givenExporterSettings, appSettings, hostStorageQueueSettings, hostStorageTableSettings\)/,
      );
    },
  );

  it('leave out a setting of the contract whose azd variable is empty, so that the value on the app is kept', () => {
    expect(text).toMatch(
      /var givenExporterSettings = toObject\(\s*filter\(items\(exporterSettings\), setting => !empty\(setting\.value\)\)/,
    );
  });
});

describe('the schedule setting', () => {
  it('is what the exportIncidents timer is scheduled by', () => {
    let timers: unknown[][] = [];
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const isolated = require('@azure/functions') as typeof import('@azure/functions');
      const timer = jest.spyOn(isolated.app, 'timer').mockImplementation(() => undefined);
      jest.spyOn(isolated.app, 'storageQueue').mockImplementation(() => undefined);
      jest.spyOn(isolated.app, 'http').mockImplementation(() => undefined);
      require('../../src/functions/index');
      /* eslint-enable @typescript-eslint/no-require-imports */
      timers = timer.mock.calls;
    });

    expect(timers).toContainEqual(['exportIncidents', expect.objectContaining({ schedule: '%EXPORT_SCHEDULE%' })]);
  });
});
