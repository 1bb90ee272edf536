import { SimulatedTenant } from '../../../src/local/simulator';
import { getJson, pick, SCOPES, tokenFor } from './support';

describe('the simulated Defender API at its end, and Graph without the permission', () => {
  let tenant: SimulatedTenant;
  beforeEach(async () => {
    tenant = await SimulatedTenant.start({ rateLimits: [], seedIncidents: 3 });
  });
  afterEach(async () => {
    await tenant.close();
  });

  it(
    'answers normally before the retirement time, then 410 Gone naming the retirement, with ' +
      'the Defender error body',
    async () => {
      // Prepare
      const token = await tokenFor(tenant, SCOPES.defender);
      tenant.defenderRetirement = { at: Date.now() + 60_000, reply: '410' };
      const before = await getJson(tenant, `${tenant.defenderUrl}/api/incidents`, token);
      tenant.defenderRetirement = { at: Date.now() - 1, reply: '410' };

      // Act
      const after = await getJson(tenant, `${tenant.defenderUrl}/api/incidents`, token);

      // Assess
      expect(before.status).toBe(200);
      expect(after.status).toBe(410);
      expect(pick(after.body, 'error', 'code')).toBe('Gone');
      expect(pick(after.body, 'error', 'message')).toMatch(/retired \(MC1220762\)/);
      expect(typeof pick(after.body, 'error', 'target')).toBe('string');
    },
  );

  it('answers a plain 404 NotFound on the list path when configured so, even without a token', async () => {
    tenant.defenderRetirement = { at: 0, reply: '404' };

    const reply = await getJson(tenant, `${tenant.defenderUrl}/api/incidents?$top=1`);

    expect(reply.status).toBe(404);
    expect(pick(reply.body, 'error', 'code')).toBe('NotFound');
  });

  it(
    'withholds the Graph permission per app: 403 Forbidden "Missing application roles" until ' +
      'granted, for new tokens',
    async () => {
      // Prepare
      tenant.setGraphPermission(false);
      const withheld = await tokenFor(tenant, SCOPES.graph);

      // Act
      const refused = await getJson(tenant, `${tenant.graphUrl}/v1.0/security/incidents?$top=1`, withheld);
      tenant.setGraphPermission(true);
      const stillRefused = await getJson(tenant, `${tenant.graphUrl}/v1.0/security/incidents?$top=1`, withheld);
      const granted = await getJson(
        tenant,
        `${tenant.graphUrl}/v1.0/security/incidents?$top=1`,
        await tokenFor(tenant, SCOPES.graph),
      );

      // Assess
      expect(refused.status).toBe(403);
      expect(pick(refused.body, 'error', 'code')).toBe('Forbidden');
      expect(pick(refused.body, 'error', 'message')).toBe(
        'Missing application roles. API required roles: ' +
          'SecurityIncident.Read.All,SecurityIncident.ReadWrite.All, application roles: .',
      );
      expect(typeof pick(refused.body, 'error', 'innerError', 'request-id')).toBe('string');
      expect(stillRefused.status).toBe(403);
      expect(granted.status).toBe(200);
    },
  );
});
