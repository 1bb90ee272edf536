import { CLOUD_NAMES, CLOUDS, findCloud } from '../../src/config/clouds';
import { loadConfig, type Environment } from '../../src/config/loadConfig';

const valid: Environment = {
  DEFENDER_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  DEFENDER_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
  KEY_VAULT_URI: 'https://contoso-kv.vault.usgovcloudapi.net',
  EXPORT_STORAGE: 'UseDevelopmentStorage=true',
};

describe('DEFENDER_CLOUD', () => {
  it.each([
    [
      'public',
      'https://api.security.microsoft.com',
      'https://api.security.microsoft.com/.default',
      'https://graph.microsoft.com',
      'https://graph.microsoft.com/.default',
      'https://login.microsoftonline.com',
    ],
    [
      'gcc',
      'https://api-gcc.security.microsoft.us',
      'https://api-gcc.security.microsoft.us/.default',
      'https://graph.microsoft.com',
      'https://graph.microsoft.com/.default',
      'https://login.microsoftonline.com',
    ],
    [
      'gcchigh',
      'https://api-gov.security.microsoft.us',
      'https://api-gov.security.microsoft.us/.default',
      'https://graph.microsoft.us',
      'https://graph.microsoft.us/.default',
      'https://login.microsoftonline.us',
    ],
    [
      'dod',
      'https://api-gov.security.microsoft.us',
      'https://api-gov.security.microsoft.us/.default',
      'https://dod-graph.microsoft.us',
      'https://dod-graph.microsoft.us/.default',
      'https://login.microsoftonline.us',
    ],
  ])(
    '%s resolves the documented Defender and Graph hosts, scopes and login authority',
    (cloud, apiUrl, defenderScope, graphApiUrl, graphScope, authorityHost) => {
      // Act
      const config = loadConfig({ ...valid, DEFENDER_CLOUD: cloud });

      // Assess
      expect(config).toMatchObject({ cloud, apiUrl, defenderScope, graphApiUrl, graphScope, authorityHost });
    },
  );

  it('defaults to the public cloud', () => {
    expect(loadConfig(valid)).toMatchObject({
      cloud: 'public',
      apiUrl: CLOUDS.public.defenderApiUrl,
      graphApiUrl: CLOUDS.public.graphApiUrl,
      authorityHost: CLOUDS.public.authorityHost,
    });
  });

  it(
    'lets explicit DEFENDER_API_URL, GRAPH_API_URL and AZURE_AUTHORITY_HOST win over the ' +
      "cloud, keeping the cloud's scopes",
    () => {
      // Act
      const config = loadConfig({
        ...valid,
        DEFENDER_CLOUD: 'gcchigh',
        DEFENDER_API_URL: 'https://api-us.security.microsoft.com/',
        GRAPH_API_URL: 'https://127.0.0.1:8443',
        AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9443',
      });

      // Assess
      expect(config).toMatchObject({
        apiUrl: 'https://api-us.security.microsoft.com',
        graphApiUrl: 'https://127.0.0.1:8443',
        authorityHost: 'https://127.0.0.1:9443',
        defenderScope: 'https://api-gov.security.microsoft.us/.default',
        graphScope: 'https://graph.microsoft.us/.default',
      });
    },
  );

  it('accepts the cloud name in any case and with spaces around it', () => {
    expect(findCloud(' GCCHigh ')?.name).toBe('gcchigh');
    expect(findCloud('usgov')).toBeUndefined();
  });

  it('knows a cloud for every name it accepts, with https endpoints and .default scopes', () => {
    for (const name of CLOUD_NAMES) {
      const cloud = CLOUDS[name];
      expect(cloud.name).toBe(name);
      for (const url of [cloud.defenderApiUrl, cloud.graphApiUrl, cloud.authorityHost])
        expect(new URL(url).protocol).toBe('https:');
      expect(cloud.defenderScope).toBe(`${cloud.defenderApiUrl}/.default`);
      expect(cloud.graphScope).toBe(`${cloud.graphApiUrl}/.default`);
    }
  });
});
