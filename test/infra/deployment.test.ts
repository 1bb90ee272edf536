import { declarations, listRepoFiles, parameters, readRepoFile, stripComments } from './templateText';

const azureYaml = readRepoFile('azure.yaml');
const mainBicep = readRepoFile('infra/main.bicep');
const ciWorkflow = readRepoFile('.github/workflows/ci.yml');
const deployWorkflow = readRepoFile('.github/workflows/deploy.yml');

/** `key: value` of a YAML line, anywhere in the file (enough for these flat, hand-written files). */
function yamlValues(yaml: string, key: string): string[] {
  return [...yaml.matchAll(new RegExp(`^\\s*-?\\s*${key}\\s*:\\s*(.+?)\\s*(?:#.*)?$`, 'gm'))].map(
    (match) => match[1] ?? '',
  );
}

describe('azure.yaml', () => {
  it('deploys one function service from the project root as TypeScript, packaging the bundle', () => {
    expect(yamlValues(azureYaml, 'project')).toEqual(['.']);
    expect(yamlValues(azureYaml, 'language')).toEqual(['ts']);
    expect(yamlValues(azureYaml, 'host')).toEqual(['function']);
    expect(yamlValues(azureYaml, 'dist')).toEqual(['dist/bundle']);
  });

  it('does not ask Azure to rebuild the self-contained bundle', () => {
    expect(yamlValues(azureYaml, 'remoteBuild')).toEqual(['false']);
  });

  it(
    'runs no hook: azd already builds the bundle (npm run build), and a shell hook would fail ' +
      'where that shell is missing',
    () => {
      expect(yamlValues(azureYaml, 'hooks')).toEqual([]);
      expect(yamlValues(azureYaml, 'shell')).toEqual([]);
      expect(readRepoFile('package.json')).toMatch(/"build"\s*:\s*"[^"]*node scripts\/bundle\.js/);
    },
  );

  it('names its service as the function app is tagged, so azd finds the app to deploy to', () => {
    const service = /^services:\s*\n(?:\s*#.*\n)*\s{2}([\w-]+):/m.exec(azureYaml)?.[1];

    expect(service).toBeDefined();
    expect(stripComments(mainBicep)).toContain(`var serviceName = '${service ?? ''}'`);
    expect(stripComments(mainBicep)).toMatch(/'azd-service-name'\s*:\s*serviceName/);
  });
});

describe('the templates', () => {
  const bicepFiles = listRepoFiles('infra', ['.bicep']);
  const all = bicepFiles.flatMap((file) => declarations(file, readRepoFile(file)));

  it('pin every registry module to an exact version', () => {
    const registryModules = all.filter((declaration) => declaration.target.startsWith('br'));
    const unpinned = registryModules.filter(
      (declaration) => !/^br\/public:avm\/res\/[\w/-]+:\d+\.\d+\.\d+$/.test(declaration.target),
    );

    expect(registryModules.length).toBeGreaterThan(5);
    expect(unpinned.map((declaration) => declaration.target)).toEqual([]);
    expect(bicepFiles.filter((file) => readRepoFile(file).includes(':latest'))).toEqual([]);
  });

  it('give every resource an explicit API version', () => {
    const resources = all.filter(
      (declaration) =>
        declaration.target.includes('/') && !declaration.target.startsWith('br') && !declaration.target.startsWith('.'),
    );
    const unversioned = resources.filter((declaration) => !/@\d{4}-\d{2}-\d{2}(-preview)?$/.test(declaration.target));

    expect(resources.length).toBeGreaterThan(0);
    expect(unversioned.map((declaration) => declaration.target)).toEqual([]);
  });

  it('refer only to local modules that exist', () => {
    const local = all.filter((declaration) => declaration.target.startsWith('./'));
    const missing = local.filter(
      (declaration) => !listRepoFiles('infra', ['.bicep']).includes(`infra/${declaration.target.slice(2)}`),
    );

    expect(local.length).toBeGreaterThan(0);
    expect(missing.map((declaration) => declaration.target)).toEqual([]);
  });

  it('get every parameter without a default from main.parameters.json, and nothing else', () => {
    const declared = parameters(mainBicep);
    const parameterFile: unknown = JSON.parse(readRepoFile('infra/main.parameters.json'));
    const given =
      typeof parameterFile === 'object' &&
      parameterFile !== null &&
      'parameters' in parameterFile &&
      typeof parameterFile.parameters === 'object' &&
      parameterFile.parameters !== null
        ? Object.keys(parameterFile.parameters)
        : [];

    const withoutDefault = [...declared].filter(([, declaration]) => !declaration.hasDefault).map(([name]) => name);
    expect(given).toEqual(expect.arrayContaining(withoutDefault));
    expect(given.filter((name) => !declared.has(name))).toEqual([]);
  });

  it('output the names a user needs next: app, vault, storage and container', () => {
    const outputs = [...stripComments(mainBicep).matchAll(/^output\s+(\w+)\s/gm)].map((match) => match[1]);

    expect(outputs).toEqual(
      expect.arrayContaining([
        'AZURE_FUNCTION_APP_NAME',
        'AZURE_KEY_VAULT_NAME',
        'AZURE_EXPORT_STORAGE_ACCOUNT_NAME',
        'AZURE_EXPORT_CONTAINER_NAME',
      ]),
    );
  });
});

/** The text of one job of a workflow (from `  name:` to the next job or the end). */
function job(workflow: string, name: string): string {
  const start = new RegExp(`^  ${name}:\\s*$`, 'm').exec(workflow);
  if (start === null) {
    return '';
  }
  const rest = workflow.slice(start.index + start[0].length);
  const next = /^ {2}[\w-]+:\s*$/m.exec(rest);
  return next === null ? rest : rest.slice(0, next.index);
}

describe('the CI workflow', () => {
  it('installs, lints, builds and tests, in that order, on Node.js 22', () => {
    const buildAndTest = job(ciWorkflow, 'build-and-test');

    expect(yamlValues(buildAndTest, 'node-version')).toEqual(['22']);
    expect(yamlValues(buildAndTest, 'run')).toEqual(['npm ci', 'npm run lint', 'npm run build', 'npm test']);
  });

  it('compiles and lints infra/main.bicep with the Bicep CLI, which this machine lacks', () => {
    const bicep = job(ciWorkflow, 'bicep');

    expect(yamlValues(bicep, 'run')).toEqual([
      'az bicep install',
      'az bicep build --file infra/main.bicep --stdout > /dev/null',
      'az bicep lint --file infra/main.bicep',
    ]);
  });

  it('lints with the unused-parameter, unused-variable and secret rules as errors', () => {
    const config: unknown = JSON.parse(readRepoFile('infra/bicepconfig.json'));
    const text = JSON.stringify(config);

    for (const rule of [
      'no-unused-params',
      'no-unused-vars',
      'secure-secrets-in-params',
      'outputs-should-not-contain-secrets',
    ]) {
      expect(text).toContain(`"${rule}":{"level":"error"}`);
    }
  });
});

describe('the deploy workflow', () => {
  it('signs in to Azure with an OIDC federated credential, allowed by id-token: write', () => {
    expect(deployWorkflow).toMatch(/^\s*id-token\s*:\s*write\b/m);
    expect(deployWorkflow).toMatch(/azd auth login[\s\S]*--federated-credential-provider github/);
  });

  it('previews the provisioning, then provisions and deploys with azd up on Node.js 22, without prompting', () => {
    const steps = yamlValues(deployWorkflow, 'run');

    expect(yamlValues(deployWorkflow, 'node-version')).toEqual(['22']);
    expect(deployWorkflow).toMatch(/uses\s*:\s*Azure\/setup-azd@v\d+/);
    expect(steps.filter((step) => step.startsWith('azd') && !step.startsWith('azd auth'))).toEqual([
      'azd provision --preview --no-prompt',
      'azd up --no-prompt',
    ]);
  });

  it('runs one deployment at a time under a key that is never empty', () => {
    const [group] = yamlValues(deployWorkflow, 'group');

    expect(group).toBeDefined();
    expect(group).not.toMatch(/\$\{\{/);
    expect(yamlValues(deployWorkflow, 'cancel-in-progress')).toEqual(['false']);
  });

  it('pins every action to a version', () => {
    const actions = [...ciWorkflow.matchAll(/uses\s*:\s*(\S+)/g), ...deployWorkflow.matchAll(/uses\s*:\s*(\S+)/g)].map(
      (match) => match[1] ?? '',
    );

    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => !/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(action))).toEqual([]);
  });
});
