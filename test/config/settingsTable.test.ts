import { ConfigError } from '../../src/common/errors';
import { loadConfig, loadStatusConfig, loadStorageConfig, readSettings } from '../../src/config/loadConfig';
import { SETTING_KEYS, SETTING_TABLE, SETTINGS } from '../../src/config/settings';
import { validSettings } from '../support/configFixtures';

function problemsOf(read: () => unknown): readonly string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the settings table', () => {
  it('documents every row it parses, each name once', () => {
    // Assess
    expect(SETTINGS.map((setting) => setting.name)).toEqual(SETTING_KEYS.map((key) => SETTING_TABLE[key].name));
    expect(new Set(SETTINGS.map((setting) => setting.name)).size).toBe(SETTINGS.length);
  });

  it('accepts the literal default of every row that has one', () => {
    // Prepare
    const literal = SETTING_KEYS.filter((key) => {
      const { defaultValue } = SETTING_TABLE[key];
      return defaultValue !== undefined && !/ /.test(defaultValue) && key !== 'storage';
    });

    // Act
    const settings = readSettings(
      {
        ...validSettings,
        ...Object.fromEntries(literal.map((key) => [SETTING_TABLE[key].name, SETTING_TABLE[key].defaultValue])),
      },
      literal,
    );

    // Assess
    expect(literal.length).toBeGreaterThan(10);
    expect(settings.value('statusMaxAgeMinutes')).toBe(60);
  });

  it('gives required rows no default', () => {
    for (const setting of SETTINGS.filter((s) => s.required)) expect(setting.defaultValue).toBeUndefined();
  });
});

describe('STATUS_MAX_AGE_MINUTES', () => {
  it('defaults to 60 minutes and reads a trimmed value', () => {
    expect(loadStatusConfig({}).statusMaxAgeMinutes).toBe(60);
    expect(loadStatusConfig({ STATUS_MAX_AGE_MINUTES: ' 5 ' }).statusMaxAgeMinutes).toBe(5);
  });

  it.each(['an hour', '0', '-5'])('refuses %s, naming the setting and the fix', (text) => {
    expect(problemsOf(() => loadStatusConfig({ STATUS_MAX_AGE_MINUTES: text }))).toEqual([
      `STATUS_MAX_AGE_MINUTES '${text}' is not a positive number of minutes: set it to e.g. 60 ` +
        `(above the schedule's interval), or remove it for the default.`,
    ]);
  });

  it('does not stop the function app when it is malformed', () => {
    expect(() => loadConfig({ ...validSettings, STATUS_MAX_AGE_MINUTES: 'an hour' })).not.toThrow();
  });
});

describe('the storage settings of the read-only commands', () => {
  it('keep the authority host undefined unless it is set explicitly', () => {
    expect(loadStorageConfig({ EXPORT_STORAGE: 'UseDevelopmentStorage=true' }).authorityHost).toBeUndefined();
    expect(
      loadStorageConfig({
        EXPORT_STORAGE: 'UseDevelopmentStorage=true',
        AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
      }).authorityHost,
    ).toBe('https://login.microsoftonline.us');
  });

  it('report only storage problems, all at once', () => {
    expect(
      problemsOf(() => loadStorageConfig({ EXPORT_CONTAINER: 'Bad_Name', DEFENDER_TENANT_ID: 'nonsense' })),
    ).toEqual([
      expect.stringMatching(/^EXPORT_CONTAINER 'Bad_Name' is not a valid container name/),
      expect.stringMatching(/^EXPORT_STORAGE is missing \(and so is AzureWebJobsStorage\)/),
    ]);
  });

  it('prefer the identity-based endpoint and report a malformed one once', () => {
    expect(
      loadStorageConfig({ EXPORT_STORAGE__blobServiceUri: 'https://acct.blob.core.windows.net/' }).storage,
    ).toEqual({ kind: 'identity', blobServiceUri: 'https://acct.blob.core.windows.net' });
    expect(
      problemsOf(() => loadStorageConfig({ EXPORT_STORAGE__blobServiceUri: 'http://acct.blob.core.windows.net' })),
    ).toEqual([
      expect.stringMatching(/^EXPORT_STORAGE__blobServiceUri 'http:\/\/acct\.blob\.core\.windows\.net' must use https/),
    ]);
  });
});

describe('hosts derived from DEFENDER_CLOUD', () => {
  it('follow the cloud unless set explicitly', () => {
    // Act
    const config = loadConfig({
      ...validSettings,
      DEFENDER_CLOUD: 'gcchigh',
      GRAPH_API_URL: 'https://graph.example.test/',
    });

    // Assess
    expect(config).toMatchObject({
      cloud: 'gcchigh',
      apiUrl: 'https://api-gov.security.microsoft.us',
      authorityHost: 'https://login.microsoftonline.us',
      graphApiUrl: 'https://graph.example.test',
    });
  });
});
