import { SimulatedTenant, type TenantHandle } from '../../../src/local/simulator';
import { credentialFor, getJson, idsOf, manualClock, pick, postTokenForm, SCOPES, valueOf } from './support';

function claimsOf(token: string): unknown {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

type App = { clientId: string; clientSecret: string };

async function tokenIn(sim: SimulatedTenant, tenantId: string, scope: string, app: App = sim.exporterApp) {
  return (await credentialFor(sim, app, tenantId).getToken(scope)).token;
}

function tokenForm(app: App, scope: string = SCOPES.defender): Record<string, string> {
  return { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope };
}

describe('simulated tenant serving many Entra tenants', () => {
  const clock = manualClock();
  let sim: SimulatedTenant;
  let home: TenantHandle;
  let customer: TenantHandle;

  beforeAll(async () => {
    sim = await SimulatedTenant.start({ clock: clock.now, rateLimits: [], tenants: 2 });
    [home, customer] = sim.tenants as [TenantHandle, TenantHandle];
  });

  afterAll(async () => {
    await sim.close();
  });

  it('issues the multi-tenant exporter app a token whose tid and issuer are the tenant of the token endpoint', async () => {
    // Act
    const homeToken = await tokenIn(sim, home.tenantId, SCOPES.defender);
    const customerToken = await tokenIn(sim, customer.tenantId, SCOPES.graph);

    // Assess
    expect(home.tenantId).toBe(sim.tenantId);
    expect(customer.tenantId).not.toBe(sim.tenantId);
    expect(pick(claimsOf(homeToken), 'tid')).toBe(home.tenantId);
    expect(pick(claimsOf(customerToken), 'tid')).toBe(customer.tenantId);
    expect(pick(claimsOf(customerToken), 'iss')).toBe(`https://sts.windows.net/${customer.tenantId}/`);
    expect(pick(claimsOf(customerToken), 'appid')).toBe(sim.exporterApp.clientId);
    expect(pick(claimsOf(customerToken), 'roles')).toEqual(['SecurityIncident.Read.All']);
  });

  it('accepts a verified domain in place of the tenant id and answers with the GUID, as Entra does', async () => {
    // Prepare
    const [domain] = customer.domains;

    // Act
    const token = await tokenIn(sim, domain ?? 'missing', SCOPES.defender);
    const config = await getJson(sim, `${sim.authorityHost}/${domain ?? ''}/v2.0/.well-known/openid-configuration`);

    // Assess
    expect(domain).toBe('tenant-1.onmicrosoft.com');
    expect(sim.tenant(domain ?? '')).toBe(customer);
    expect(pick(claimsOf(token), 'tid')).toBe(customer.tenantId);
    expect(pick(config.body, 'issuer')).toBe(`${sim.authorityHost}/${customer.tenantId}/v2.0`);
    expect(pick(config.body, 'token_endpoint')).toBe(`${sim.authorityHost}/${customer.tenantId}/oauth2/v2.0/token`);
  });

  it.each([['99999999-0000-0000-0000-000000000000'], ['fabrikam.onmicrosoft.com']])(
    'answers a token request for an unknown tenant %s with 400 and AADSTS90002',
    async (unknown) => {
      // Act
      const reply = await postTokenForm(sim, tokenForm(sim.exporterApp), unknown);

      // Assess
      expect(reply.status).toBe(400);
      expect(pick(reply.body, 'error')).toBe('invalid_request');
      expect(pick(reply.body, 'error_codes')).toEqual([90002]);
      expect(String(pick(reply.body, 'error_description'))).toMatch(
        new RegExp(`^AADSTS90002: Tenant '${unknown.replace(/\./g, '\\.')}' not found\\.`),
      );
    },
  );

  it(
    'refuses the app in a tenant where it is not consented (AADSTS700016), then serves it once ' +
      'consented, and refuses it again once revoked',
    async () => {
      // Prepare
      const other = sim.addTenant({ consentExporterApp: false });

      // Act
      const before = await postTokenForm(sim, tokenForm(sim.exporterApp), other.tenantId);
      sim.consent(sim.exporterApp.clientId, other.tenantId);
      const consented = await postTokenForm(sim, tokenForm(sim.exporterApp), other.tenantId);
      other.revokeConsent(sim.exporterApp.clientId);
      const revoked = await postTokenForm(sim, tokenForm(sim.exporterApp), other.tenantId);

      // Assess
      for (const reply of [before, revoked]) {
        expect(reply.status).toBe(400);
        expect(pick(reply.body, 'error')).toBe('unauthorized_client');
        expect(pick(reply.body, 'error_codes')).toEqual([700016]);
        expect(String(pick(reply.body, 'error_description'))).toContain(
          `Application with identifier '${sim.exporterApp.clientId}' was not found in the directory '${other.tenantId}'`,
        );
      }
      expect(consented.status).toBe(200);
      expect(pick(claimsOf(String(pick(consented.body, 'access_token'))), 'tid')).toBe(other.tenantId);
    },
  );

  it(
    'puts only the permissions granted in a tenant into its tokens, so an API whose permission ' +
      'was not granted answers 403',
    async () => {
      // Prepare
      const partial = sim.addTenant({ consentExporterApp: false });
      partial.consent(sim.exporterApp.clientId, { roles: ['SecurityIncident.Read.All'] });
      const defenderToken = await tokenIn(sim, partial.tenantId, SCOPES.defender);
      const graphToken = await tokenIn(sim, partial.tenantId, SCOPES.graph);

      // Act
      const defender = await getJson(sim, `${sim.defenderUrl}/api/incidents`, defenderToken);
      const graph = await getJson(sim, `${sim.graphUrl}/v1.0/security/incidents`, graphToken);

      // Assess
      expect(pick(claimsOf(defenderToken), 'roles')).toBeUndefined();
      expect(defender.status).toBe(403);
      expect(pick(claimsOf(graphToken), 'roles')).toEqual(['SecurityIncident.Read.All']);
      expect(graph.status).toBe(200);
    },
  );

  it('lets a tenant have its own app registration, which gets tokens there and nowhere else', async () => {
    // Prepare
    const own = { clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 'own~secret' };
    customer.registerApp({ ...own, roles: ['Incident.Read.All'] });

    // Act
    const there = await postTokenForm(sim, tokenForm(own), customer.tenantId);
    const atHome = await postTokenForm(sim, tokenForm(own), home.tenantId);

    // Assess
    expect(there.status).toBe(200);
    expect(pick(claimsOf(String(pick(there.body, 'access_token'))), 'tid')).toBe(customer.tenantId);
    expect(atHome.status).toBe(400);
    expect(pick(atHome.body, 'error_codes')).toEqual([700016]);
  });

  it('serves each token only its own tenant’s incidents, even when both tenants use the same incident ids', async () => {
    // Prepare
    home.incidents.add({ id: 7, name: 'home incident 7' });
    customer.incidents.add({ id: 7, name: 'customer incident 7' });
    customer.incidents.add({ id: 8, name: 'customer incident 8' });
    const homeToken = await tokenIn(sim, home.tenantId, SCOPES.defender);
    const customerToken = await tokenIn(sim, customer.tenantId, SCOPES.defender);
    const customerGraphToken = await tokenIn(sim, customer.tenantId, SCOPES.graph);

    // Act
    const homeList = await getJson(sim, `${sim.defenderUrl}/api/incidents`, homeToken);
    const customerList = await getJson(sim, `${sim.defenderUrl}/api/incidents`, customerToken);
    const customerGraph = await getJson(sim, `${sim.graphUrl}/v1.0/security/incidents`, customerGraphToken);

    // Assess
    expect(idsOf(homeList.body, 'incidentId')).toEqual([7]);
    expect(pick(valueOf(homeList.body)[0], 'incidentName')).toBe('home incident 7');
    expect(pick(valueOf(homeList.body)[0], 'incidentUri')).toContain(`tid=${home.tenantId}`);
    expect(idsOf(customerList.body, 'incidentId')).toEqual([8, 7]);
    expect(pick(valueOf(customerList.body)[1], 'incidentName')).toBe('customer incident 7');
    expect(idsOf(customerGraph.body, 'id')).toEqual(['8', '7']);
    expect(valueOf(customerGraph.body).map((incident) => pick(incident, 'tenantId'))).toEqual([
      customer.tenantId,
      customer.tenantId,
    ]);
    expect(pick(valueOf(customerGraph.body)[1], 'displayName')).toBe('customer incident 7');
  });

  it('refuses a token issued for another audience (401), whatever its tenant', async () => {
    // Prepare
    const graphToken = await tokenIn(sim, customer.tenantId, SCOPES.graph);
    const defenderToken = await tokenIn(sim, customer.tenantId, SCOPES.defender);

    // Act
    const atDefender = await getJson(sim, `${sim.defenderUrl}/api/incidents`, graphToken);
    const atGraph = await getJson(sim, `${sim.graphUrl}/v1.0/security/incidents`, defenderToken);

    // Assess
    expect(atDefender.status).toBe(401);
    expect(String(pick(atDefender.body, 'error', 'message'))).toContain('Invalid audience');
    expect(atGraph.status).toBe(401);
    expect(pick(atGraph.body, 'error', 'code')).toBe('InvalidAuthenticationToken');
  });

  it('keeps the vault to home-tenant tokens: a customer-tenant token is refused with AKV10032', async () => {
    // Prepare
    sim.consent(sim.vaultReader.clientId, customer.tenantId);
    const homeToken = await tokenIn(sim, home.tenantId, SCOPES.vault, sim.vaultReader);
    const customerToken = await tokenIn(sim, customer.tenantId, SCOPES.vault, sim.vaultReader);
    const url = `${sim.vaultUrl}secrets/defender-client-secret?api-version=7.5`;

    // Act
    const fromHome = await getJson(sim, url, homeToken);
    const fromCustomer = await getJson(sim, url, customerToken);

    // Assess
    expect(fromHome.status).toBe(200);
    expect(fromCustomer.status).toBe(401);
    expect(String(pick(fromCustomer.body, 'error', 'message'))).toMatch(/^AKV10032: Invalid issuer\./);
    expect(fromCustomer.text).not.toContain(sim.exporterApp.clientSecret);
  });

  it('applies a tenant’s own faults only to requests for that tenant, and records the tenant of each request', async () => {
    // Prepare
    const homeToken = await tokenIn(sim, home.tenantId, SCOPES.defender);
    const customerToken = await tokenIn(sim, customer.tenantId, SCOPES.defender);
    customer.faults.inject({ server: 'defender', kind: '503', persistent: true });
    const pages: string[] = [];
    home.faults.onIncidentsPage = (info) => void pages.push(info.tenantId);
    const before = sim.requests.length;

    // Act
    const homeReply = await getJson(sim, `${sim.defenderUrl}/api/incidents`, homeToken);
    const customerReply = await getJson(sim, `${sim.defenderUrl}/api/incidents`, customerToken);
    customer.faults.clear();
    home.faults.onIncidentsPage = undefined;

    // Assess
    expect(homeReply.status).toBe(200);
    expect(customerReply.status).toBe(503);
    expect(pages).toEqual([home.tenantId]);
    expect(sim.requests.slice(before).map((request) => [request.tenantId, request.status])).toEqual([
      [home.tenantId, 200],
      [customer.tenantId, 503],
    ]);
  });
});

describe('per-tenant quota', () => {
  const clock = manualClock();
  let sim: SimulatedTenant;

  beforeAll(async () => {
    sim = await SimulatedTenant.start({ clock: clock.now, tenants: 2, rateLimits: [{ windowMs: 5_000, maxCalls: 2 }] });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('throttles an app in one tenant without throttling the same app in another tenant', async () => {
    // Prepare
    const [a, b] = sim.tenantIds as [string, string];
    const tokenA = await tokenIn(sim, a, SCOPES.defender);
    const tokenB = await tokenIn(sim, b, SCOPES.defender);
    const list = (token: string) => getJson(sim, `${sim.defenderUrl}/api/incidents`, token);

    // Act
    const inA = [await list(tokenA), await list(tokenA), await list(tokenA)].map((reply) => reply.status);
    const inB = [await list(tokenB), await list(tokenB)].map((reply) => reply.status);
    const thirdInB = await list(tokenB);
    clock.advance(5_000);
    const afterWindow = await list(tokenA);

    // Assess
    expect(inA).toEqual([200, 200, 429]);
    expect(inB).toEqual([200, 200]);
    expect(thirdInB.status).toBe(429);
    expect(thirdInB.headers.get('retry-after')).toBe('5');
    expect(afterWindow.status).toBe(200);
  });

  it('lets a tenant have its own quota', async () => {
    // Prepare
    const roomy = sim.addTenant({ rateLimits: [] });
    const token = await tokenIn(sim, roomy.tenantId, SCOPES.graph);

    // Act
    const statuses: number[] = [];
    for (let call = 0; call < 4; call += 1)
      statuses.push((await getJson(sim, `${sim.graphUrl}/v1.0/security/incidents`, token)).status);

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200]);
  });
});

describe('tenants at start (LOCAL_TENANTS)', () => {
  it(
    'creates n tenants with ids derived from the seed, each with its own seeded incidents and ' +
      'the exporter app consented',
    async () => {
      // Prepare
      const clock = manualClock();
      const start = () => SimulatedTenant.start({ clock: clock.now, tenants: 3, seedIncidents: 4, seed: 9 });
      const first = await start();
      const second = await start();
      try {
        // Act
        const ids = first.tenantIds;
        const tokens = await Promise.all(ids.map((id) => tokenIn(first, id, SCOPES.defender)));

        // Assess
        expect(ids).toHaveLength(3);
        expect(new Set(ids).size).toBe(3);
        expect(ids[0]).toBe(first.tenantId);
        expect(second.tenantIds).toEqual(ids);
        expect(first.tenants.map((tenant) => tenant.incidents.count)).toEqual([4, 4, 4]);
        expect(first.tenants.map((tenant) => tenant.domains)).toEqual([
          [],
          ['tenant-1.onmicrosoft.com'],
          ['tenant-2.onmicrosoft.com'],
        ]);
        expect(JSON.stringify(first.tenants[1]?.incidents.all())).not.toBe(
          JSON.stringify(first.tenants[2]?.incidents.all()),
        );
        expect(JSON.stringify(second.tenants[2]?.incidents.all())).toBe(
          JSON.stringify(first.tenants[2]?.incidents.all()),
        );
        expect(tokens.map((token) => pick(claimsOf(token), 'tid'))).toEqual(ids);
      } finally {
        await first.close();
        await second.close();
      }
    },
  );
});
