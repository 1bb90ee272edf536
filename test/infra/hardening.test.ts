import {
  declarations,
  listRepoFiles,
  objectVariable,
  propertyBlock,
  readRepoFile,
  stripComments,
  type Declaration,
} from './templateText';

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
    expect(storageAccounts.map((account) => account.symbol).sort()).toEqual([
      'exportStorageAccount',
      'hostStorageAccount',
    ]);
  });

  it.each([
    ['allowSharedKeyAccess', 'false'],
    ['minimumTlsVersion', "'TLS1_2'"],
    ['allowBlobPublicAccess', 'false'],
    ['supportsHttpsTrafficOnly', 'true'],
  ])('all set %s to %s', (property, expected) => {
    for (const account of storageAccounts) {
      expect({ account: account.symbol, [property]: valueOf(account, property) }).toEqual({
        account: account.symbol,
        [property]: expected,
      });
    }
  });

  const exportAccount = storageAccounts.find((account) => account.symbol === 'exportStorageAccount');
  const exportContainer = objectVariable(mainBicep, 'exportContainer');
  const stateContainer = objectVariable(mainBicep, 'stateContainer');

  it('create the export container and, when separate, the state container, both private', () => {
    expect(exportAccount?.body).toMatch(
      /containers\s*:\s*separateStateContainer \? \[exportContainer, stateContainer\] : \[exportContainer\]/,
    );
    expect(exportContainer.get('name')).toBe('exportContainerName');
    expect(exportContainer.get('publicAccess')).toBe("'None'");
    expect(stateContainer.get('name')).toBe('stateContainerName');
    expect(stateContainer.get('publicAccess')).toBe("'None'");
  });

  it('tier and delete only export blobs, never the exporter state', () => {
    const rules = ['coolRule', 'deleteRule', 'stateVersionsRule'].map((rule) => ({
      rule,
      text: [...objectVariable(mainBicep, rule).values()].join('\n'),
    }));
    const ruleBodies = ['coolRule', 'deleteRule', 'stateVersionsRule'].map((rule) => {
      const text = stripComments(mainBicep);
      const start = new RegExp(`^var ${rule} = \\{`, 'm').exec(text);
      return { rule, body: start === null ? '' : text.slice(start.index, text.indexOf('\n}', start.index)) };
    });
    const touchingBaseBlobs = ruleBodies.filter(({ body }) => /baseBlob\s*:/.test(body));

    expect(rules.every(({ text }) => text.length > 0)).toBe(true);
    expect(touchingBaseBlobs.map(({ rule }) => rule)).toEqual(['coolRule', 'deleteRule']);
    for (const { body } of touchingBaseBlobs) {
      expect(body).toMatch(/prefixMatch\s*:\s*\[exportBlobsPrefix\]/);
    }
    expect(stripComments(mainBicep)).toMatch(/var exportBlobsPrefix = '\$\{exportContainerName\}\/incidents\/'/);
  });

  it('deploy every lifecycle rule, disabled at 0 days, so that turning a rule off reaches Azure', () => {
    expect(exportAccount?.body).toMatch(/managementPolicyRules\s*:\s*\[coolRule, deleteRule, stateVersionsRule\]/);
    expect(objectVariable(mainBicep, 'coolRule').get('enabled')).toBe('exportCoolAfterDays > 0');
    expect(objectVariable(mainBicep, 'deleteRule').get('enabled')).toBe('exportDeleteAfterDays > 0');
  });
});

describe('immutable exports', () => {
  const text = stripComments(mainBicep);
  const exportContainer = objectVariable(mainBicep, 'exportContainer');
  const [exportAccount] = modulesOf('avm/res/storage/storage-account').filter(
    (account) => account.symbol === 'exportStorageAccount',
  );

  it('are off by default and switched on by exportImmutabilityDays (EXPORT_IMMUTABILITY_DAYS)', () => {
    expect(text).toMatch(/param exportImmutabilityDays int = 0/);
    expect(text).toMatch(/var exportImmutable = exportImmutabilityDays > 0/);
    expect(readRepoFile('infra/main.parameters.json')).toContain('"${EXPORT_IMMUTABILITY_DAYS=0}"');
  });

  it('keep each export blob version for that many days with version-level immutability, on a versioned account', () => {
    const policy =
      propertyBlock(text.slice(text.indexOf('var exportContainer =')), 'immutabilityPolicyProperties') ?? '';

    expect(exportContainer.get('immutableStorageWithVersioningEnabled')).toBe('exportImmutable');
    expect(policy).toMatch(/immutabilityPeriodSinceCreationInDays\s*:\s*exportImmutabilityDays/);
    expect(policy).toMatch(/allowProtectedAppendWrites\s*:\s*false/);
    expect(exportAccount?.body).toMatch(/isVersioningEnabled\s*:\s*exportImmutable/);
  });

  it('move the state, which is rewritten, to a container of its own', () => {
    expect(text).toMatch(/exportImmutable \? '\$\{exportContainerName\}-state' : exportContainerName/);
    expect(text).toMatch(/var separateStateContainer = stateContainerName != exportContainerName/);
    expect(objectVariable(mainBicep, 'exporterSettings').get('EXPORT_STATE_CONTAINER')).toBe(
      "separateStateContainer ? stateContainerName : ''",
    );
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
    expect(
      allDeclarations.filter((declaration) => declaration.target.startsWith('Microsoft.KeyVault/vaults/secrets')),
    ).toEqual([]);
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

  it('sets no ftpsState, which Flex Consumption rejects (FTP is off through the publishing credentials policy)', () => {
    expect(text).not.toMatch(/ftpsState/i);
  });

  it('is created only after its roles are granted, so the first deployment does not race them', () => {
    const [functionApp] = allDeclarations.filter(
      (declaration) => declaration.symbol === 'functionApp' && declaration.file === 'infra/main.bicep',
    );
    const dependsOn = functionApp === undefined ? '' : (propertyBlock(functionApp.body, 'dependsOn') ?? '');

    expect(
      dependsOn
        .split(/\s+/)
        .filter((word) => word.length > 0)
        .sort(),
    ).toEqual(['keyVaultRbac', 'rbac']);
  });

  it('allows the portal origin so that Test/Run works', () => {
    const cors = propertyBlock(text, 'cors') ?? '';

    expect(cors).toContain("'https://portal.azure.com'");
    expect(cors).not.toContain("'*'");
  });

  it('serves HTTPS only with TLS 1.2 and no FTP or basic publishing credentials', () => {
    expect(text).toMatch(/httpsOnly\s*:\s*true/);
    expect(text).toMatch(/minTlsVersion\s*:\s*'1\.2'/);
    const publishing = propertyBlock(text, 'basicPublishingCredentialsPolicies') ?? '';
    expect([...publishing.matchAll(/allow\s*:\s*false/g)]).toHaveLength(2);
  });
});

describe('monitoring', () => {
  it('accepts Application Insights telemetry only with Entra authentication', () => {
    const [component] = modulesOf('avm/res/insights/component');

    expect(component === undefined ? undefined : valueOf(component, 'disableLocalAuth')).toBe('true');
  });

  it('alerts when exportIncidents or exportTenant fails and when neither has succeeded for a while', () => {
    const text = stripComments(alertsBicep);
    const queries = [...text.matchAll(/query\s*:\s*'([^']+)'/g)].map((match) => match[1]);

    expect(stripComments(mainBicep)).toMatch(/var functionName = 'exportIncidents'/);
    expect(stripComments(mainBicep)).toMatch(/var tenantFunctionName = 'exportTenant'/);
    expect(queries.slice(0, 2)).toEqual([
      'requests | where operation_Name in ("${functionName}", "${tenantFunctionName}") and success == false',
      'requests | where operation_Name in ("${functionName}", "${tenantFunctionName}") and success == true',
    ]);
    expect(text).toMatch(/operator\s*:\s*'GreaterThan'\s*threshold\s*:\s*0/);
    expect(text).toMatch(/operator\s*:\s*'LessThan'\s*threshold\s*:\s*1/);
  });

  it('sends the alerts to an action group whose e-mail address is a parameter', () => {
    const text = stripComments(alertsBicep);

    const rules = allDeclarations.filter((declaration) =>
      declaration.target.startsWith('Microsoft.Insights/scheduledQueryRules@'),
    );

    expect(text).toMatch(/emailAddress\s*:\s*alertEmailAddress/);
    expect(rules.length).toBe(6);
    expect(
      rules
        .filter((rule) => !/actionGroups\s*:\s*\[\s*actionGroup\.id\s*\]/.test(rule.body))
        .map((rule) => rule.symbol),
    ).toEqual([]);
  });

  it('name the tenant in the per-tenant alerts (tenantId dimension), on unless turned off', () => {
    const tenantRules = allDeclarations.filter((declaration) => declaration.symbol.startsWith('tenant'));

    expect(tenantRules.map((rule) => rule.symbol).sort()).toEqual([
      'tenantFailedRunAlert',
      'tenantNoSuccessAlert',
      'tenantPoisonedAlert',
    ]);
    expect(stripComments(mainBicep)).toMatch(/param tenantAlertsEnabled bool = true/);
    expect(readRepoFile('infra/main.parameters.json')).toContain('"${TENANT_ALERTS_ENABLED=true}"');
    for (const rule of tenantRules) {
      expect(rule.condition).toBe('(tenantAlertsEnabled)');
      expect(propertyBlock(rule.body, 'dimensions')).toMatch(
        /name\s*:\s*'tenantId'\s*operator\s*:\s*'Include'\s*values\s*:\s*\['\*'\]/,
      );
      expect(rule.body).toMatch(/query\s*:\s*'\$\{summaries\}[^']*\btenantId\b/);
    }
  });

  it('alert, naming the tenant, when a run message fails its last delivery (host.json maxDequeueCount)', () => {
    const [poisoned] = allDeclarations.filter((declaration) => declaration.symbol === 'tenantPoisonedAlert');
    const hostJson = JSON.parse(readRepoFile('host.json')) as { extensions: { queues: { maxDequeueCount: number } } };

    expect(hostJson.extensions.queues.maxDequeueCount).toBeGreaterThan(1);
    expect(stripComments(alertsBicep)).toMatch(
      /^var maxDequeueCount = loadJsonContent\('\.\.\/\.\.\/host\.json'\)\.extensions\.queues\.maxDequeueCount$/m,
    );
    expect(poisoned?.body).toMatch(
      /tostring\(s\.outcome\) == "failed" and toint\(s\.attempt\) >= \$\{maxDequeueCount\}/,
    );
  });

  it('alert on any message put on the poison queue, unless turned off (poisonQueueAlertEnabled)', () => {
    const [poison] = allDeclarations.filter((declaration) => declaration.symbol === 'poisonQueueAlert');
    const [logs] = allDeclarations.filter((declaration) => declaration.symbol === 'hostQueueWriteLogs');

    expect(poison?.condition).toBe('(poisonQueueAlertEnabled)');
    expect(logs?.condition).toBe('(poisonQueueAlertEnabled)');
    expect(poison?.body).toMatch(/OperationName == "PutMessage"/);
    expect(poison?.body).toMatch(/== "\$\{poisonQueueName\}"/);
    expect(logs?.body).toMatch(/category\s*:\s*'StorageWrite'/);
    expect(stripComments(mainBicep)).toMatch(/param poisonQueueAlertEnabled bool = true/);
    expect(stripComments(mainBicep)).toMatch(/^var poisonQueueName = '\$\{exportQueueName\}-poison'$/m);
  });
});
