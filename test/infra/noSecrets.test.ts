import { listRepoFiles, readRepoFile, stripComments } from './templateText';

/** Every deployment file: templates, parameters, azd project and workflows. */
const deploymentFiles = [
  ...listRepoFiles('infra', ['.bicep', '.json']),
  'azure.yaml',
  ...listRepoFiles('.github/workflows', ['.yml', '.yaml']),
];

/** Patterns that mean a key, a SAS or a connection string carrying a key. */
const KEY_PATTERNS: readonly RegExp[] = [
  /AccountKey\s*=/i,
  /listKeys\s*\(/i,
  /listAccountSas\s*\(|listServiceSas\s*\(/i,
  /SharedAccessSignature/i,
  /SharedAccessKey/i,
  /DefaultEndpointsProtocol\s*=/i,
  /primaryKey|secondaryKey/i,
  /\.keys\s*\[/i,
];

describe('the deployment files', () => {
  it('are all found', () => {
    expect(deploymentFiles).toEqual(
      expect.arrayContaining([
        'infra/main.bicep',
        'infra/main.parameters.json',
        'infra/app/function-app.bicep',
        'infra/app/rbac.bicep',
        'infra/app/key-vault-rbac.bicep',
        'infra/app/alerts.bicep',
        'azure.yaml',
        '.github/workflows/ci.yml',
        '.github/workflows/deploy.yml',
      ]),
    );
  });

  it.each(KEY_PATTERNS.map((pattern) => [pattern.source, pattern] as const))('never contain %s', (_source, pattern) => {
    const offending = deploymentFiles.filter((file) => pattern.test(readRepoFile(file)));

    expect(offending).toEqual([]);
  });

  it('name a connection string only for Application Insights, whose key cannot ingest while local auth is off', () => {
    const offending = deploymentFiles.flatMap((file) =>
      stripComments(readRepoFile(file))
        .split('\n')
        .filter((line) => /connectionstring/i.test(line) && !/applicationInsights/i.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );

    expect(offending).toEqual([]);
  });

  it('take no secure parameter, so no secret can be passed into a deployment', () => {
    const offending = listRepoFiles('infra', ['.bicep']).filter((file) => /@secure\(\)/.test(readRepoFile(file)));

    expect(offending).toEqual([]);
  });

  it('keep the client secret out of the templates, azd parameters and workflows', () => {
    const offending = deploymentFiles.filter((file) =>
      /CLIENT_SECRET(?!_NAME)|clientSecret(?!Name)/.test(readRepoFile(file)),
    );

    expect(offending).toEqual([]);
  });

  it('store no Azure credential in GitHub: the workflows use no secrets at all', () => {
    const workflows = listRepoFiles('.github/workflows', ['.yml', '.yaml']);
    const offending = workflows.filter((file) => /\$\{\{\s*secrets\.|creds\s*:/.test(readRepoFile(file)));

    expect(offending).toEqual([]);
  });
});
