import { checkTenant, parseRegistry, tenantIdProblem } from '../../src/tenants/registry';

const GUID = '6f1c2a9e-3b4d-4c5e-8f7a-9b0c1d2e3f4a';

describe('a tenant entry', () => {
  it.each([GUID, GUID.toUpperCase(), 'contoso.onmicrosoft.com', 'fabrikam.com'])('accepts the tenant id %s', (id) => {
    expect(tenantIdProblem(id.toLowerCase())).toBeUndefined();
  });

  it.each(['', 'contoso', 'not a tenant', '6f1c2a9e-3b4d-4c5e-8f7a', '../other', 'tenants/x'])(
    'refuses the tenant id %p with the fix',
    (id) => {
      expect(tenantIdProblem(id)).toMatch(/neither a GUID nor a domain: use the customer's Directory \(tenant\) ID/);
    },
  );

  it('is stored lower case, enabled by default, with only the fields given', () => {
    expect(checkTenant({ tenantId: ` ${GUID.toUpperCase()} `, name: ' Contoso ' })).toEqual({
      entry: { tenantId: GUID, name: 'Contoso', enabled: true },
      problems: [],
    });
  });

  it('keeps a client id, a secret name and an API of its own', () => {
    expect(
      checkTenant({
        tenantId: GUID,
        clientId: GUID.toUpperCase(),
        secretName: 'contoso-secret',
        incidentsApi: 'graph',
      }),
    ).toMatchObject({ entry: { clientId: GUID, secretName: 'contoso-secret', incidentsApi: 'graph' } });
  });

  it('lists every problem at once, each with its fix', () => {
    const checked = checkTenant({
      tenantId: 'nope',
      clientId: 'app',
      secretName: 'bad_name!',
      incidentsApi: 'splunk',
      name: '',
    });

    expect('problems' in checked && checked.problems).toEqual([
      expect.stringMatching(/^tenant id 'nope' is neither a GUID nor a domain/),
      expect.stringMatching(/^name must be/),
      expect.stringMatching(/^client id 'app' is not a GUID: use the Application \(client\) ID/),
      expect.stringMatching(/^secret name 'bad_name!' is not a valid Key Vault secret name: use 1-127 letters/),
      "incidents API 'splunk' is not defender or graph.",
    ]);
  });
});

describe('the registry blob', () => {
  const parse = (body: unknown): unknown => parseRegistry(JSON.stringify(body), 'state');

  it('reads the tenants with their fields', () => {
    expect(
      parse({ schemaVersion: 1, tenants: [{ tenantId: GUID, name: 'A', enabled: false, incidentsApi: 'defender' }] }),
    ).toEqual({ schemaVersion: 1, tenants: [{ tenantId: GUID, name: 'A', enabled: false, incidentsApi: 'defender' }] });
  });

  it.each([
    ['not JSON', '{', 'it is not valid JSON'],
    ['an array', '[]', 'it is not a JSON object'],
    ['another schema', '{"schemaVersion":2,"tenants":[]}', 'schemaVersion is 2, expected 1'],
    ['no tenants list', '{"schemaVersion":1}', "'tenants' is not an array"],
    ['a tenant without enabled', `{"schemaVersion":1,"tenants":[{"tenantId":"${GUID}"}]}`, 'tenants[0].enabled'],
    [
      'a number as name',
      `{"schemaVersion":1,"tenants":[{"tenantId":"${GUID}","name":5,"enabled":true}]}`,
      'tenants[0].name is not a string',
    ],
    [
      'a bad client id',
      `{"schemaVersion":1,"tenants":[{"tenantId":"${GUID}","clientId":"x","enabled":true}]}`,
      "client id 'x' is not a GUID",
    ],
    [
      'a duplicate, whatever the case',
      `{"schemaVersion":1,"tenants":[{"tenantId":"${GUID}","enabled":true},{"tenantId":"` +
        `${GUID.toUpperCase()}","enabled":true}]}`,
      `tenant ${GUID} is listed twice`,
    ],
  ])('holding %s is one loud error naming the blob, the problem and the fix', (_what, text, problem) => {
    expect(() => parseRegistry(text, 'state')).toThrow(
      expect.objectContaining({ code: 'TenantRegistryCorrupted' }) as Error,
    );
    expect(() => parseRegistry(text, 'state')).toThrow(problem);
    expect(() => parseRegistry(text, 'state')).toThrow(
      /config\/tenants\.json in container 'state' is corrupted .*no tenant is exported until it is fixed.*defender-export tenants list/,
    );
  });
});
