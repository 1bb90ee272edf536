import { SETTINGS } from '../../src/config/settings';
import { AWAITED_SETTINGS } from './awaitedFromTheCore';
import { declarations, objectVariable, parameters, readRepoFile, stripComments } from './templateText';

/** Settings of the contract the template sets from the resources it creates, not from an azd variable. */
const DERIVED_FROM_CREATED_RESOURCES: Readonly<Record<string, string>> = {
  KEY_VAULT_URI: 'the vault the template creates, or EXISTING_KEY_VAULT_NAME',
  EXPORT_STORAGE__blobServiceUri: 'the export storage account the template creates',
};

/** Settings of the contract the template must never set. */
const NEVER_SET: Readonly<Record<string, string>> = {
  EXPORT_STORAGE: 'a connection string carries the account key; the app reaches storage with its identity instead',
};

const mainBicep = readRepoFile('infra/main.bicep');
const declaredParameters = parameters(mainBicep);
const exporterSettings = objectVariable(mainBicep, 'exporterSettings');
const functionAppSettings = objectVariable(readRepoFile('infra/app/function-app.bicep'), 'appSettings');
const parameterFile: unknown = JSON.parse(readRepoFile('infra/main.parameters.json'));

/** `parameter name → value` of main.parameters.json, e.g. `incidentsApi → ${INCIDENTS_API=}`. */
function parameterValues(file: unknown): Map<string, string> {
  const found = new Map<string, string>();
  if (
    typeof file !== 'object' ||
    file === null ||
    !('parameters' in file) ||
    typeof file.parameters !== 'object' ||
    file.parameters === null
  ) {
    return found;
  }
  for (const [name, entry] of Object.entries(file.parameters as Record<string, unknown>)) {
    const value: unknown = typeof entry === 'object' && entry !== null && 'value' in entry ? entry.value : undefined;
    if (typeof value === 'string') {
      found.set(name, value);
    }
  }
  return found;
}

const azdValues = parameterValues(parameterFile);

/** `var name = expression` of main.bicep, the expression running to the next line that starts a statement. */
const variables = new Map(
  [...stripComments(mainBicep).matchAll(/^var\s+(\w+)\s*=\s*([\s\S]*?)(?=\n\S|(?![\s\S]))/gm)].map(
    (match) => [match[1] ?? '', match[2] ?? ''] as const,
  ),
);

/** The parameters of main.bicep an expression reads, directly or through variables. */
function parametersIn(expression: string, seen: ReadonlySet<string> = new Set()): string[] {
  const words = [...expression.matchAll(/\b[a-zA-Z_]\w*\b/g)].map((match) => match[0]);
  const throughVariables = words
    .filter((word) => variables.has(word) && !seen.has(word))
    .flatMap((word) => parametersIn(variables.get(word) ?? '', new Set([...seen, word])));
  return [...words.filter((word) => declaredParameters.has(word)), ...throughVariables];
}

/** The azd variable a parameter is fed from: `${NAME}` or `${NAME=default}`. */
function azdVariableOf(parameter: string): string | undefined {
  return /^\$\{(\w+)(=[^}]*)?\}$/.exec(azdValues.get(parameter) ?? '')?.[1];
}

const contractNames = SETTINGS.map((setting) => setting.name);
const fromAzd = [...contractNames, ...AWAITED_SETTINGS].filter(
  (name) => !(name in DERIVED_FROM_CREATED_RESOURCES) && !(name in NEVER_SET),
);

describe('every setting of the contract (src/config/settings.ts)', () => {
  it('is read from the contract, which the extractor finds in main.bicep', () => {
    expect(contractNames.length).toBeGreaterThan(20);
    expect(exporterSettings.size).toBeGreaterThan(20);
  });

  it.each(fromAzd)('%s is a template parameter fed from the azd variable of the same name', (name) => {
    const expression = exporterSettings.get(name);
    const fedBy = parametersIn(expression ?? '').map((parameter) => ({
      parameter,
      azdVariable: azdVariableOf(parameter),
    }));

    expect(expression).toBeDefined();
    expect(fedBy).toContainEqual(expect.objectContaining({ azdVariable: name }));
  });

  it.each(Object.entries(DERIVED_FROM_CREATED_RESOURCES))('%s is set by the template from %s', (name) => {
    expect(exporterSettings.has(name) || functionAppSettings.has(name)).toBe(true);
  });

  it.each(Object.entries(NEVER_SET))('%s is never set: %s', (name) => {
    expect(exporterSettings.has(name) || functionAppSettings.has(name)).toBe(false);
  });

  it('reaches the function app, all of it', () => {
    const [functionApp] = declarations('infra/main.bicep', mainBicep).filter(
      (declaration) => declaration.target === './app/function-app.bicep',
    );

    expect(functionApp?.body).toMatch(/^\s*exporterSettings\s*:\s*exporterSettings\s*$/m);
  });

  it('is known to the contract or awaited from it: the template sets nothing the exporter would ignore for good', () => {
    const known = new Set([...contractNames, ...AWAITED_SETTINGS]);

    expect([...exporterSettings.keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});

describe('the settings awaited from the contract', () => {
  it('are not declared by the contract yet (remove each from awaitedFromTheCore.ts once it is)', () => {
    expect(AWAITED_SETTINGS.filter((name) => contractNames.includes(name))).toEqual([]);
  });
});

describe('INCIDENTS_API in the templates', () => {
  it(
    'defaults to auto in main.bicep and main.parameters.json, so a deployment moves to Graph ' +
      'by itself when Defender ends',
    () => {
      const declaration =
        /^@allowed\(\[([^\]]*)\]\)\s*\n(?:@description\([^\n]*\)\s*\n)?param incidentsApi string = '(\w*)'/m.exec(
          stripComments(mainBicep),
        );

      expect(declaration?.[2]).toBe('auto');
      expect(declaration?.[1]).toContain("'auto'");
      expect(azdValues.get('incidentsApi')).toBe('${INCIDENTS_API=auto}');
      expect(SETTINGS.find((setting) => setting.name === 'INCIDENTS_API')?.defaultValue).toBe('auto');
    },
  );
});

describe('DEFENDER_TENANT_ID in the templates', () => {
  const declared = stripComments(mainBicep);

  it('is the given tenant, else the subscription tenant, else (TENANT_REGISTRY_ONLY) empty, which is not written', () => {
    expect(exporterSettings.get('DEFENDER_TENANT_ID')).toBe(
      "!empty(defenderTenantId) ? defenderTenantId : (tenantRegistryOnly ? '' : tenant().tenantId)",
    );
    expect(declared).toMatch(/^param defenderTenantId string = ''$/m);
    expect(declared).toMatch(/^param tenantRegistryOnly bool = false$/m);
    expect(azdValues.get('defenderTenantId')).toBe('${DEFENDER_TENANT_ID=}');
    expect(azdValues.get('tenantRegistryOnly')).toBe('${TENANT_REGISTRY_ONLY=false}');
  });

  it('is optional in the contract, which a registry-only deployment relies on', () => {
    expect(SETTINGS.find((setting) => setting.name === 'DEFENDER_TENANT_ID')?.required).toBe(false);
  });
});
