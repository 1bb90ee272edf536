import {
  declarations,
  listRepoFiles,
  readRepoFile,
  roleAssignments,
  roleIdVariables,
  stripComments,
  type RoleAssignment,
} from './templateText';

/** Built-in role ids, checked against Microsoft's list of Azure built-in roles. They are the same in every tenant. */
const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
};

/** Broad management roles that would let the app change or read far more than it needs. */
const BROAD_ROLES: readonly string[] = [
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', // Owner
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', // User Access Administrator
  '17d1049b-9a84-46fb-8f53-869881c3d3ab', // Storage Account Contributor
  '00482a5a-887f-4fb3-b363-3b7fe8e74483', // Key Vault Administrator
];

const bicepFiles = listRepoFiles('infra', ['.bicep']);
const texts = new Map(bicepFiles.map((file) => [file, readRepoFile(file)]));
const roleVariables = [...texts].flatMap(([file, text]) => roleIdVariables(file, text));
const assignments = [...texts].flatMap(([file, text]) => roleAssignments(file, text));

function roleNameOf(assignment: RoleAssignment): string {
  const variable = roleVariables.find(
    (candidate) => candidate.file === assignment.file && candidate.variable === assignment.roleVariable,
  );
  return variable?.commentedName ?? `<no commented role id variable '${assignment.roleVariable}'>`;
}

const appIdentityGrants = assignments
  .filter((assignment) => assignment.principal === 'managedIdentityPrincipalId')
  .map((assignment) => `${roleNameOf(assignment)} on ${assignment.scope}`)
  .sort();

describe('the role assignments', () => {
  it('are found by the extractor', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(6);
  });

  it('take their role ids from variables whose comment names the built-in role with exactly that id', () => {
    const mismatched = roleVariables
      .filter((variable) => BUILT_IN_ROLES[variable.commentedName] !== variable.roleId)
      .map((variable) => `${variable.file}: ${variable.variable} = '${variable.roleId}' // ${variable.commentedName}`);

    expect(roleVariables.length).toBeGreaterThan(0);
    expect(mismatched).toEqual([]);
  });

  it('each refer to a commented role id variable of their own file', () => {
    const unresolved = assignments
      .filter((assignment) => roleNameOf(assignment).startsWith('<'))
      .map((assignment) => assignment.symbol);

    expect(unresolved).toEqual([]);
  });

  it('have deterministic names built with guid() from the scope, the principal and the role', () => {
    for (const assignment of assignments) {
      expect(assignment.nameExpression).toBe(
        `guid(${assignment.scope}.id, ${assignment.principal}, ${assignment.roleVariable})`,
      );
    }
  });

  it('give the app identity exactly its data roles, each on the narrowest scope that works', () => {
    expect(appIdentityGrants).toEqual(
      [
        'Key Vault Secrets User on keyVault',
        'Monitoring Metrics Publisher on applicationInsights',
        'Storage Blob Data Contributor on exportContainer',
        'Storage Blob Data Contributor on stateContainer',
        'Storage Blob Data Owner on hostStorage',
        'Storage Queue Data Contributor on hostStorage',
        'Storage Table Data Contributor on hostStorage',
      ].sort(),
    );
  });

  it('give the app identity the export data through the export container only', () => {
    const onExportStorage = assignments.filter((assignment) => assignment.scope === 'exportStorage');

    expect(onExportStorage).toEqual([]);
    const scopeOfContainer =
      /resource\s+exportContainer\s+'Microsoft\.Storage\/storageAccounts\/blobServices\/containers@/;
    expect(stripComments(texts.get('infra/app/rbac.bicep') ?? '')).toMatch(scopeOfContainer);
  });

  it('let the operator read exports and manage the secret only when an operator is given', () => {
    const operatorGrants = assignments.filter((assignment) => assignment.principal === 'operatorPrincipalId');

    expect(operatorGrants.map((assignment) => `${roleNameOf(assignment)} on ${assignment.scope}`).sort()).toEqual([
      'Key Vault Secrets Officer on keyVault',
      'Storage Blob Data Reader on exportContainer',
      'Storage Blob Data Reader on stateContainer',
    ]);
    expect(operatorGrants.every((assignment) => assignment.conditional)).toBe(true);
  });

  it('grant on the state container only when the state has a container of its own', () => {
    const onStateContainer = assignments.filter((assignment) => assignment.scope === 'stateContainer');

    expect(onStateContainer.length).toBe(2);
    for (const assignment of onStateContainer) {
      const [declaration] = declarations(assignment.file, texts.get(assignment.file) ?? '').filter(
        (candidate) => candidate.symbol === assignment.symbol,
      );
      expect(declaration?.condition).toMatch(/separateStateContainer/);
    }
  });

  it(
    'state the principal type of every assignment: the app identity is a service principal, ' +
      'the operator a User unless told otherwise',
    () => {
      const principalTypes = [...texts].flatMap(([file, text]) =>
        declarations(file, text)
          .filter((declaration) => declaration.target.startsWith('Microsoft.Authorization/roleAssignments@'))
          .map((declaration) => ({
            principal: /principalId\s*:\s*(\w+)/.exec(declaration.body)?.[1],
            principalType: /principalType\s*:\s*(\S+)/.exec(declaration.body)?.[1],
          })),
      );

      expect(principalTypes.length).toBe(assignments.length);
      expect(
        principalTypes
          .filter((assignment) => assignment.principal === 'managedIdentityPrincipalId')
          .every((assignment) => assignment.principalType === "'ServicePrincipal'"),
      ).toBe(true);
      expect(
        principalTypes
          .filter((assignment) => assignment.principal === 'operatorPrincipalId')
          .map((assignment) => assignment.principalType),
      ).toEqual(Array.from({ length: 3 }, () => 'operatorPrincipalType'));
      for (const text of [
        texts.get('infra/main.bicep') ?? '',
        texts.get('infra/app/rbac.bicep') ?? '',
        texts.get('infra/app/key-vault-rbac.bicep') ?? '',
      ]) {
        expect(stripComments(text)).toMatch(/param operatorPrincipalType string = 'User'/);
      }
      expect(readRepoFile('infra/main.parameters.json')).toContain('"${OPERATOR_PRINCIPAL_TYPE=User}"');
    },
  );

  it('never grant a broad management role', () => {
    const allText = [...texts.values()].join('\n').toLowerCase();

    for (const roleId of BROAD_ROLES) {
      expect(allText).not.toContain(roleId);
    }
  });
});
