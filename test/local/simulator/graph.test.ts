import { SimulatedTenant } from '../../../src/local/simulator';
import { getJson, idsOf, pick, SCOPES, tokenFor, valueOf, type JsonResponse } from './support';

describe('simulated Microsoft Graph security incidents API', () => {
  let tenant: SimulatedTenant;
  let token: string;
  const window = encodeURIComponent(
    'lastUpdateDateTime ge 2040-01-01T00:00:00Z and lastUpdateDateTime lt 2041-01-01T00:00:00Z',
  );

  beforeAll(async () => {
    tenant = await SimulatedTenant.start({ rateLimits: [] });
    token = await tokenFor(tenant, SCOPES.graph);
    for (let index = 0; index < 60; index++)
      tenant.incidents.add({ lastUpdateTime: `2040-01-01T00:${String(index).padStart(2, '0')}:00.0000001Z` });
  });

  afterAll(async () => {
    await tenant.close();
  });

  const list = (query: string, bearer = token): Promise<JsonResponse> =>
    getJson(tenant, `${tenant.graphUrl}/v1.0/security/incidents${query}`, bearer);

  it('renders the same incident as Defender does, with the id as a string and the same 7-digit timestamp', async () => {
    // Prepare
    const incident = tenant.incidents.add({
      lastUpdateTime: '2041-01-01T00:00:00.1234567Z',
      status: 'InProgress',
      severity: 'High',
    });

    // Act
    const reply = await list(`?$filter=${encodeURIComponent('lastUpdateDateTime eq 2041-01-01T00:00:00.1234567Z')}`);

    // Assess
    const [rendered] = valueOf(reply.body);
    expect(pick(rendered, 'id')).toBe(String(incident.id));
    expect(pick(rendered, 'lastUpdateDateTime')).toBe('2041-01-01T00:00:00.1234567Z');
    expect(pick(rendered, 'status')).toBe('inProgress');
    expect(pick(rendered, 'severity')).toBe('high');
    expect(pick(rendered, '@odata.type')).toBe('#microsoft.graph.security.incident');
    expect(pick(rendered, 'alerts')).toBeUndefined();
    expect(pick(reply.body, '@odata.context')).toBe(`${tenant.graphUrl}/v1.0/$metadata#security/incidents`);
  });

  it('pages 50 at a time with a same-host nextLink until the results run out', async () => {
    // Act
    const first = await list(`?$filter=${window}`);
    const next = String(pick(first.body, '@odata.nextLink'));
    const second = await getJson(tenant, next, token);

    // Assess
    expect(valueOf(first.body)).toHaveLength(50);
    expect(new URL(next).origin).toBe(tenant.graphUrl);
    expect(valueOf(second.body)).toHaveLength(10);
    expect(pick(second.body, '@odata.nextLink')).toBeUndefined();
    expect(new Set([...idsOf(first.body, 'id'), ...idsOf(second.body, 'id')]).size).toBe(60);
  });

  it('rejects $top over 50 with the documented BadRequest body', async () => {
    // Act
    const reply = await list('?$top=100');

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error', 'code')).toBe('BadRequest');
    expect(pick(reply.body, 'error', 'message')).toBe(
      "The limit of '50' for Top query has been exceeded. The value from the incoming request is '100'.",
    );
    expect(pick(reply.body, 'error', 'innerError', 'request-id')).toEqual(expect.any(String));
    expect(pick(reply.body, 'error', 'innerError', 'date')).toEqual(expect.any(String));
  });

  it('orders by lastUpdateDateTime descending by default and ascending on request', async () => {
    // Act
    const descending = await list(`?$filter=${window}&$top=3`);
    const ascending = await list(`?$filter=${window}&$top=3&$orderby=${encodeURIComponent('lastUpdateDateTime asc')}`);

    // Assess
    const stamps = (reply: JsonResponse): unknown[] =>
      valueOf(reply.body).map((incident) => pick(incident, 'lastUpdateDateTime'));
    expect(stamps(descending)).toEqual([
      '2040-01-01T00:59:00.0000001Z',
      '2040-01-01T00:58:00.0000001Z',
      '2040-01-01T00:57:00.0000001Z',
    ]);
    expect(stamps(ascending)).toEqual([
      '2040-01-01T00:00:00.0000001Z',
      '2040-01-01T00:01:00.0000001Z',
      '2040-01-01T00:02:00.0000001Z',
    ]);
  });

  it('includes alerts with evidence only with $expand=alerts', async () => {
    // Act
    const reply = await list(`?$filter=${window}&$top=1&$expand=alerts`);

    // Assess
    const [incident] = valueOf(reply.body);
    expect(pick(incident, 'alerts', 0, '@odata.type')).toBe('#microsoft.graph.security.alert');
    expect(pick(incident, 'alerts', 0, 'incidentId')).toBe(pick(incident, 'id'));
    expect(Array.isArray(pick(incident, 'alerts', 0, 'evidence'))).toBe(true);
  });

  it('skips with $skip and counts with $count', async () => {
    // Act
    const reply = await list(`?$filter=${window}&$top=5&$skip=55&$count=true`);

    // Assess
    expect(valueOf(reply.body)).toHaveLength(5);
    expect(pick(reply.body, '@odata.count')).toBe(60);
  });

  it('answers 401 InvalidAuthenticationToken to a Defender token and 403 to an app without SecurityIncident.Read.All', async () => {
    // Prepare
    const defenderToken = await tokenFor(tenant, SCOPES.defender);
    const app = {
      clientId: 'dddddddd-0000-0000-0000-000000000004',
      clientSecret: 'defender~only',
      roles: ['Incident.Read.All'],
    };
    tenant.registerApp(app);
    const roleless = await tokenFor(tenant, SCOPES.graph, app);

    // Act
    const wrongAudience = await list('', defenderToken);
    const forbidden = await list('', roleless);

    // Assess
    expect(wrongAudience.status).toBe(401);
    expect(pick(wrongAudience.body, 'error', 'code')).toBe('InvalidAuthenticationToken');
    expect(forbidden.status).toBe(403);
  });

  it('rejects an unknown filter property with 400 BadRequest', async () => {
    // Act
    const reply = await list(`?$filter=${encodeURIComponent('lastUpdateTime ge 2040-01-01T00:00:00Z')}`);

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error', 'code')).toBe('BadRequest');
  });
});

describe('simulated Microsoft Graph rate limits', () => {
  it('answers 429 with Retry-After in the Graph error shape once the quota is used', async () => {
    // Prepare
    const tenant = await SimulatedTenant.start({
      rateLimits: [{ windowMs: 60_000, maxCalls: 1 }],
      seedIncidents: 3,
      realisticIncidents: true,
    });
    const token = await tokenFor(tenant, SCOPES.graph);
    const url = `${tenant.graphUrl}/v1.0/security/incidents`;

    // Act
    const allowed = await getJson(tenant, url, token);
    const throttled = await getJson(tenant, url, token);
    await tenant.close();
    await tenant.close();

    // Assess
    expect(valueOf(allowed.body)).toHaveLength(3);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(pick(throttled.body, 'error', 'code')).toBe('TooManyRequests');
    expect(pick(throttled.body, 'error', 'innerError', 'request-id')).toEqual(expect.any(String));
  });
});
