import { declarations, listRepoFiles, propertyBlock, readRepoFile, stripComments, type Declaration } from './templateText';

const mainBicep = readRepoFile('infra/main.bicep');
const functionAppBicep = readRepoFile('infra/app/function-app.bicep');
const alertsBicep = readRepoFile('infra/app/alerts.bicep');
const allDeclarations = listRepoFiles('infra', ['.bicep']).flatMap((file) => declarations(file, readRepoFile(file)));

function modulesOf(registryModule: string): Declaration[] {
  return allDeclarations.filter((declaration) => declaration.target.startsWith(`br/public:${registryModule}:`));
}

/** A `property: value` line of a declaration's body, value as written. */
function valueOf(declaration: Declaration, property: string): string | undefined {
  return new RegExp(`^\\s*${property}\\s*:\\s*(.+?)\\s*$`, 'm').exec(declaration.body)?.[1];
}

describe('the storage accounts', () => {
  const storageAccounts = modulesOf('avm/res/storage/storage-account');

  it('are two: host storage for the Functions runtime and export storage for the incidents', () => {
    expect(storageAccounts.map((account) => account.symbol).sort()).toEqual(['exportStorageAccount', 'hostStorageAccount']);
  });

  it.each([
    ['allowSharedKeyAccess', 'false'],
    ['minimumTlsVersion', "'TLS1_2'"],
    ['allowBlobPublicAccess', 'false'],
    ['supportsHttpsTrafficOnly', 'true'],
  ])('all set %s to %s', (property, expected) => {
    for (const account of storageAccounts) {
      expect({ account: account.symbol, [property]: valueOf(account, property) }).toEqual({ account: account.symbol, [property]: expected });
    }
  });

  it('create the export container, private', () => {
    const exportAccount = storageAccounts.find((account) => account.symbol === 'exportStorageAccount');
    const containers = exportAccount === undefined ? '' : (propertyBlock(exportAccount.body, 'containers') ?? '');

    expect(containers).toMatch(/name\s*:\s*exportContainerName/);
    expect(containers).toMatch(/publicAccess\s*:\s*'None'/);
  });

  it('tier and delete only export blobs, never the exporter state', () => {
    const text = stripComments(mainBicep);
    const prefixes = [...text.matchAll(/prefixMatch\s*:\s*\[([^\]]*)\]/g)].map((match) => match[1]?.trim());

    expect(prefixes.length).toBeGreaterThan(0);
    expect(new Set(prefixes)).toEqual(new Set(['exportBlobsPrefix']));
    expect(text).toMatch(/var exportBlobsPrefix = '\$\{exportContainerName\}\/incidents\/'/);
  });
});

describe('the key vault', () => {
  const vaults = modulesOf('avm/res/key-vault/vault');

  it('is created unless an existing vault is named', () => {
    expect(vaults).toHaveLength(1);
    expect(vaults[0]?.condition).toBe('(createKeyVault)');
  });

  it.each([
    ['enableRbacAuthorization', 'true'],
    ['enableSoftDelete', 'true'],
    ['enablePurgeProtection', 'true'],
  ])('sets %s to %s', (property, expected) => {
    const [vault] = vaults;

    expect(vault === undefined ? undefined : valueOf(vault, property)).toBe(expected);
  });

  it('keeps deleted secrets for the longest soft-delete retention', () => {
    const [vault] = vaults;

    expect(vault === undefined ? undefined : valueOf(vault, 'softDeleteRetentionInDays')).toBe('90');
  });

  it('holds no secret: the client secret is set by the operator, outside the template', () => {
    const [vault] = vaults;

    expect(vault?.body).not.toMatch(/\bsecrets\s*:/);
    expect(allDeclarations.filter((declaration) => declaration.target.startsWith('Microsoft.KeyVault/vaults/secrets'))).toEqual([]);
  });
});

describe('the function app', () => {
  const text = stripComments(functionAppBicep);

  it('runs on a Flex Consumption plan on Linux', () => {
    const [plan] = modulesOf('avm/res/web/serverfarm');

    expect(plan === undefined ? undefined : valueOf(plan, 'skuName')).toBe("'FC1'");
    expect(plan === undefined ? undefined : valueOf(plan, 'reserved')).toBe('true');
    expect(text).toMatch(/kind\s*:\s*'functionapp,linux'/);
  });

  it('runs Node.js 22', () => {
    const runtime = propertyBlock(text, 'runtime') ?? '';

    expect(runtime).toMatch(/name\s*:\s*'node'/);
    expect(runtime).toMatch(/version\s*:\s*'22'/);
  });

  it('is deployed from a blob container read with the user-assigned identity', () => {
    const deployment = propertyBlock(text, 'deployment') ?? '';

    expect(deployment).toMatch(/type\s*:\s*'blobContainer'/);
    expect(deployment).toMatch(/type\s*:\s*'UserAssignedIdentity'/);
  });

  it('runs as the user-assigned identity only', () => {
    const identities = propertyBlock(text, 'managedIdentities') ?? '';

    expect(identities).toMatch(/userAssignedResourceIds/);
    expect(identities).not.toMatch(/systemAssigned\s*:\s*true/);
  });

  it('allows the portal origin so that Test/Run works', () => {
    const cors = propertyBlock(text, 'cors') ?? '';

    expect(cors).toContain("'https://portal.azure.com'");
    expect(cors).not.toContain("'*'");
  });

  it('serves HTTPS only with TLS 1.2 and no FTP or basic publishing credentials', () => {
    expect(text).toMatch(/httpsOnly\s*:\s*true/);
    expect(text).toMatch(/minTlsVersion\s*:\s*'1\.2'/);
    expect(text).toMatch(/ftpsState\s*:\s*'Disabled'/);
    const publishing = propertyBlock(text, 'basicPublishingCredentialsPolicies') ?? '';
    expect([...publishing.matchAll(/allow\s*:\s*false/g)]).toHaveLength(2);
  });
});

describe('monitoring', () => {
  it('accepts Application Insights telemetry only with Entra authentication', () => {
    const [component] = modulesOf('avm/res/insights/component');

    expect(component === undefined ? undefined : valueOf(component, 'disableLocalAuth')).toBe('true');
  });

  it('alerts when exportIncidents fails and when it has not succeeded for a while', () => {
    const text = stripComments(alertsBicep);
    const queries = [...text.matchAll(/query\s*:\s*'([^']+)'/g)].map((match) => match[1]);

    expect(stripComments(mainBicep)).toMatch(/var functionName = 'exportIncidents'/);
    expect(queries).toEqual([
      'requests | where operation_Name == "${functionName}" and success == false',
      'requests | where operation_Name == "${functionName}" and success == true',
    ]);
    expect(text).toMatch(/operator\s*:\s*'GreaterThan'\s*threshold\s*:\s*0/);
    expect(text).toMatch(/operator\s*:\s*'LessThan'\s*threshold\s*:\s*1/);
  });

  it('sends the alerts to an action group whose e-mail address is a parameter', () => {
    const text = stripComments(alertsBicep);

    expect(text).toMatch(/emailAddress\s*:\s*alertEmailAddress/);
    expect([...text.matchAll(/actionGroup\.id/g)]).toHaveLength(2);
  });
});
