import { SimulatedTenant } from '../../../src/local/simulator';
import { credentialFor, pick, postTokenForm, SCOPES, getJson } from './support';

function claimsOf(token: string): unknown {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

describe('simulated Entra ID login server', () => {
  let tenant: SimulatedTenant;

  beforeAll(async () => {
    tenant = await SimulatedTenant.start();
  });

  afterAll(async () => {
    await tenant.close();
  });

  it('issues a Defender token to ClientSecretCredential with audience, tenant, app id and roles', async () => {
    // Prepare
    const credential = credentialFor(tenant, tenant.exporterApp);

    // Act
    const token = await credential.getToken(SCOPES.defender);

    // Assess
    const claims = claimsOf(token.token);
    expect(pick(claims, 'aud')).toBe('https://api.security.microsoft.com');
    expect(pick(claims, 'tid')).toBe(tenant.tenantId);
    expect(pick(claims, 'appid')).toBe(tenant.exporterApp.clientId);
    expect(pick(claims, 'roles')).toEqual(['Incident.Read.All']);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3_000_000);
  });

  it('puts only the Graph role into a Graph token', async () => {
    // Act
    const token = await credentialFor(tenant, tenant.exporterApp).getToken(SCOPES.graph);

    // Assess
    expect(pick(claimsOf(token.token), 'aud')).toBe('https://graph.microsoft.com');
    expect(pick(claimsOf(token.token), 'roles')).toEqual(['SecurityIncident.Read.All']);
  });

  it('serves the OpenID configuration the credential reads, then the token, all on loopback', async () => {
    // Prepare
    const before = tenant.requests.length;

    // Act
    await credentialFor(tenant, tenant.vaultReader).getToken(SCOPES.vault);

    // Assess
    const seen = tenant.requests.slice(before).map((request) => `${request.method} ${request.path} ${request.status}`);
    expect(seen).toEqual([
      `GET /${tenant.tenantId}/v2.0/.well-known/openid-configuration 200`,
      `POST /${tenant.tenantId}/oauth2/v2.0/token 200`,
    ]);
    const config = await getJson(
      tenant,
      `${tenant.authorityHost}/${tenant.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    expect(pick(config.body, 'issuer')).toBe(`${tenant.authorityHost}/${tenant.tenantId}/v2.0`);
    expect(pick(config.body, 'token_endpoint')).toBe(`${tenant.authorityHost}/${tenant.tenantId}/oauth2/v2.0/token`);
  });

  it('rejects a wrong client secret with 401 invalid_client and AADSTS7000215', async () => {
    // Act
    const reply = await postTokenForm(tenant, {
      grant_type: 'client_credentials',
      client_id: tenant.exporterApp.clientId,
      client_secret: 'wrong',
      scope: SCOPES.defender,
    });

    // Assess
    expect(reply.status).toBe(401);
    expect(pick(reply.body, 'error')).toBe('invalid_client');
    expect(pick(reply.body, 'error_codes')).toEqual([7000215]);
    expect(String(pick(reply.body, 'error_description'))).toMatch(/^AADSTS7000215: Invalid client secret provided\./);
    expect(pick(reply.body, 'trace_id')).toEqual(expect.any(String));
    expect(pick(reply.body, 'correlation_id')).toEqual(expect.any(String));
    expect(pick(reply.body, 'timestamp')).toEqual(expect.any(String));
  });

  it('makes ClientSecretCredential fail with the AADSTS code when the secret is wrong', async () => {
    // Prepare
    const credential = credentialFor(tenant, { clientId: tenant.exporterApp.clientId, clientSecret: 'wrong' });

    // Act
    const attempt = credential.getToken(SCOPES.defender);

    // Assess
    await expect(attempt).rejects.toThrow(/AADSTS7000215/);
  });

  it('rejects an unknown client with 400 unauthorized_client and AADSTS700016', async () => {
    // Act
    const reply = await postTokenForm(tenant, {
      grant_type: 'client_credentials',
      client_id: '99999999-9999-9999-9999-999999999999',
      client_secret: 'x',
      scope: SCOPES.defender,
    });

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error')).toBe('unauthorized_client');
    expect(pick(reply.body, 'error_codes')).toEqual([700016]);
  });

  it('rejects an unknown tenant path with 400 and AADSTS90002', async () => {
    // Act
    const reply = await postTokenForm(
      tenant,
      {
        grant_type: 'client_credentials',
        client_id: tenant.exporterApp.clientId,
        client_secret: tenant.exporterApp.clientSecret,
        scope: SCOPES.defender,
      },
      'contoso.onmicrosoft.com',
    );
    const viaCredential = credentialFor(tenant, tenant.exporterApp, '99999999-0000-0000-0000-000000000000').getToken(
      SCOPES.defender,
    );

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error')).toBe('invalid_request');
    expect(pick(reply.body, 'error_codes')).toEqual([90002]);
    await expect(viaCredential).rejects.toThrow();
  });

  it('rejects a scope without /.default with 400 invalid_scope and AADSTS70011', async () => {
    // Act
    const reply = await postTokenForm(tenant, {
      grant_type: 'client_credentials',
      client_id: tenant.exporterApp.clientId,
      client_secret: tenant.exporterApp.clientSecret,
      scope: 'https://api.security.microsoft.com/Incident.Read.All',
    });

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error')).toBe('invalid_scope');
    expect(pick(reply.body, 'error_codes')).toEqual([70011]);
  });

  it('rejects an unknown resource with 400 invalid_resource and AADSTS500011', async () => {
    // Act
    const reply = await postTokenForm(tenant, {
      grant_type: 'client_credentials',
      client_id: tenant.exporterApp.clientId,
      client_secret: tenant.exporterApp.clientSecret,
      scope: 'https://example.com/.default',
    });

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error')).toBe('invalid_resource');
    expect(pick(reply.body, 'error_codes')).toEqual([500011]);
  });

  it('rejects grants other than client_credentials with unsupported_grant_type', async () => {
    // Act
    const reply = await postTokenForm(tenant, { grant_type: 'password', client_id: tenant.exporterApp.clientId });

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error')).toBe('unsupported_grant_type');
  });

  it('accepts a registered app with its own roles', async () => {
    // Prepare
    const app = {
      clientId: 'aaaaaaaa-0000-0000-0000-000000000001',
      clientSecret: 'another~secret',
      roles: ['Incident.Read.All'],
    };
    tenant.registerApp(app);

    // Act
    const defender = await credentialFor(tenant, app).getToken(SCOPES.defender);
    const graph = await credentialFor(tenant, app).getToken(SCOPES.graph);

    // Assess
    expect(pick(claimsOf(defender.token), 'roles')).toEqual(['Incident.Read.All']);
    expect(pick(claimsOf(graph.token), 'roles')).toBeUndefined();
  });
});
