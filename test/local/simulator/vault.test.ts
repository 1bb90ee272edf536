import { SecretClient } from '@azure/keyvault-secrets';
import { SimulatedTenant } from '../../../src/local/simulator';
import { credentialFor, getJson, pick, tokenFor, SCOPES } from './support';

describe('simulated Key Vault', () => {
  let tenant: SimulatedTenant;

  beforeAll(async () => {
    tenant = await SimulatedTenant.start();
  });

  afterAll(async () => {
    await tenant.close();
  });

  function secretClient(app: { clientId: string; clientSecret: string }): SecretClient {
    return new SecretClient(tenant.vaultUrl, credentialFor(tenant, app), {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: tenant.caCertPem },
      retryOptions: { maxRetries: 0 },
    });
  }

  it(
    'answers the first unauthenticated request with the documented bearer challenge, then ' +
      'serves the secret to the vault reader',
    async () => {
      // Prepare
      const before = tenant.requests.length;

      // Act
      const secret = await secretClient(tenant.vaultReader).getSecret('defender-client-secret');

      // Assess
      expect(secret.value).toBe(tenant.exporterApp.clientSecret);
      expect(secret.properties.id).toMatch(
        new RegExp(`^${tenant.vaultUrl}secrets/defender-client-secret/[0-9a-f]{32}$`),
      );
      const vaultCalls = tenant.requests.slice(before).filter((request) => request.server === 'vault');
      expect(vaultCalls.map((request) => request.status)).toEqual([401, 200]);
      expect(vaultCalls[0]?.authorization).toBeUndefined();
      expect(vaultCalls[1]?.authorization).toMatch(/^Bearer /);
      const challenge = await getJson(tenant, `${tenant.vaultUrl}secrets/defender-client-secret/?api-version=7.5`);
      expect(challenge.headers.get('www-authenticate')).toBe(
        `Bearer authorization="${tenant.authorityHost}/${tenant.tenantId}", resource="https://vault.azure.net"`,
      );
    },
  );

  it('returns 404 SecretNotFound for an unknown secret', async () => {
    // Act
    const attempt = secretClient(tenant.vaultReader).getSecret('no-such-secret');

    // Assess
    await expect(attempt).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
  });

  it('returns 403 ForbiddenByRbac to an identity without a role on the vault', async () => {
    // Act
    const attempt = secretClient(tenant.exporterApp).getSecret('defender-client-secret');

    // Assess
    await expect(attempt).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    const token = await tokenFor(tenant, SCOPES.vault, tenant.exporterApp);
    const reply = await getJson(tenant, `${tenant.vaultUrl}secrets/defender-client-secret/?api-version=7.5`, token);
    expect(pick(reply.body, 'error', 'innererror', 'code')).toBe('ForbiddenByRbac');
  });

  it('refuses a token for another audience with 401', async () => {
    // Prepare
    const token = await tokenFor(tenant, SCOPES.defender, tenant.vaultReader);

    // Act
    const reply = await getJson(tenant, `${tenant.vaultUrl}secrets/defender-client-secret/?api-version=7.5`, token);

    // Assess
    expect(reply.status).toBe(401);
    expect(pick(reply.body, 'error', 'code')).toBe('Unauthorized');
  });

  it('serves the new version after a rotation, and the app then accepts only the new secret', async () => {
    // Prepare
    const oldSecret = tenant.exporterApp.clientSecret;

    // Act
    tenant.setSecret('defender-client-secret', 'rotated~value', { rotateApp: true });

    // Assess
    const secret = await secretClient(tenant.vaultReader).getSecret('defender-client-secret');
    expect(secret.value).toBe('rotated~value');
    expect(tenant.exporterApp.clientSecret).toBe('rotated~value');
    await expect(
      credentialFor(tenant, { clientId: tenant.exporterApp.clientId, clientSecret: oldSecret }).getToken(
        SCOPES.defender,
      ),
    ).rejects.toThrow(/AADSTS7000215/);
    await expect(credentialFor(tenant, tenant.exporterApp).getToken(SCOPES.defender)).resolves.toBeTruthy();
  });

  it('serves an older version by its id and forgets a deleted secret', async () => {
    // Prepare
    tenant.setSecret('temp', 'one');
    const first = await secretClient(tenant.vaultReader).getSecret('temp');
    tenant.setSecret('temp', 'two');

    // Act
    const old = await secretClient(tenant.vaultReader).getSecret('temp', { version: first.properties.version ?? '' });
    tenant.deleteSecret('temp');
    const attempt = secretClient(tenant.vaultReader).getSecret('temp');

    // Assess
    expect(old.value).toBe('one');
    await expect(attempt).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses every token issued before revokeTokens with 401', async () => {
    // Prepare
    const token = await tokenFor(tenant, SCOPES.vault, tenant.vaultReader);

    // Act
    tenant.revokeTokens();
    const reply = await getJson(tenant, `${tenant.vaultUrl}secrets/defender-client-secret/?api-version=7.5`, token);

    // Assess
    expect(reply.status).toBe(401);
  });
});
