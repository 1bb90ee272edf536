import { Agent } from 'node:https';
import fetch from 'node-fetch';
import { SimulatedTenant } from '../../../src/local/simulator';
import { getJson, idsOf, pick, SCOPES, tokenFor, valueOf } from './support';

describe('simulated tenant fault injection', () => {
  let tenant: SimulatedTenant;
  let defenderToken: string;
  let graphToken: string;

  beforeAll(async () => {
    tenant = await SimulatedTenant.start({ rateLimits: [], seedIncidents: 5 });
    defenderToken = await tokenFor(tenant, SCOPES.defender);
    graphToken = await tokenFor(tenant, SCOPES.graph);
  });

  afterEach(() => {
    tenant.faults.clear();
    tenant.faults.onIncidentsPage = undefined;
  });

  afterAll(async () => {
    await tenant.close();
  });

  const defender = (query = ''): ReturnType<typeof getJson> =>
    getJson(tenant, `${tenant.defenderUrl}/api/incidents${query}`, defenderToken);
  const graph = (query = ''): ReturnType<typeof getJson> =>
    getJson(tenant, `${tenant.graphUrl}/v1.0/security/incidents${query}`, graphToken);

  it('answers 429 with Retry-After once, then serves normally', async () => {
    // Prepare
    tenant.faults.inject({ server: 'defender', kind: '429', retryAfterSeconds: 7 });

    // Act
    const throttled = await defender();
    const next = await defender();

    // Assess
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(pick(throttled.body, 'error', 'message')).toBe('Rate limit is exceeded. Try again in 7 seconds.');
    expect(next.status).toBe(200);
  });

  it('answers 429 with the wait only in the body for 429-body-only', async () => {
    // Prepare
    tenant.faults.inject({ server: 'defender', kind: '429-body-only', retryAfterSeconds: 12 });

    // Act
    const reply = await defender();

    // Assess
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBeNull();
    expect(pick(reply.body, 'error', 'message')).toBe('Rate limit is exceeded. Try again in 12 seconds.');
  });

  it('fails the given number of times with 500 and 503', async () => {
    // Prepare
    tenant.faults.inject({ server: 'graph', kind: '500', times: 2 });
    tenant.faults.inject({ server: 'graph', kind: '503', retryAfterSeconds: 3 });

    // Act
    const statuses = [];
    for (let call = 0; call < 4; call++) statuses.push((await graph()).status);

    // Assess
    expect(statuses).toEqual([500, 500, 503, 200]);
  });

  it('answers any status and code with the server error shape', async () => {
    // Prepare
    tenant.faults.inject({ server: 'defender', kind: 'status', status: 403, code: 'DisabledFeature' });

    // Act
    const reply = await defender();

    // Assess
    expect(reply.status).toBe(403);
    expect(pick(reply.body, 'error', 'code')).toBe('DisabledFeature');
    expect(pick(reply.body, 'error', 'target')).toEqual(expect.any(String));
  });

  it('returns valid JSON without value for malformed', async () => {
    // Prepare
    tenant.faults.inject({ server: 'defender', kind: 'malformed' });

    // Act
    const reply = await defender();

    // Assess
    expect(reply.status).toBe(200);
    expect(pick(reply.body, 'value')).toBeUndefined();
  });

  it('cuts the JSON in the middle of a complete 200 for truncate', async () => {
    // Prepare
    tenant.faults.inject({ server: 'defender', kind: 'truncate' });

    // Act
    const reply = await defender();

    // Assess
    expect(reply.status).toBe(200);
    expect(() => JSON.parse(reply.text) as unknown).toThrow(SyntaxError);
  });

  it('destroys a chunked reply after part of the body for reset, which node-fetch reports as a premature close', async () => {
    // Prepare
    tenant.faults.inject({ server: 'defender', kind: 'reset' });
    const agent = new Agent({ ca: tenant.caCertPem });

    // Act
    const attempt = fetch(`${tenant.defenderUrl}/api/incidents`, {
      agent,
      headers: { authorization: `Bearer ${defenderToken}` },
    }).then((response) => response.text());

    // Assess
    await expect(attempt).rejects.toThrow(/Premature close/);
    agent.destroy();
  });

  it(
    'destroys a reply that announced its full length for reset with content-length framing (a ' +
      'client needs a timeout)',
    async () => {
      // Prepare
      tenant.faults.inject({ server: 'defender', kind: 'reset', framing: 'content-length' });
      const agent = new Agent({ ca: tenant.caCertPem });

      // Act
      const response = await fetch(`${tenant.defenderUrl}/api/incidents`, {
        agent,
        timeout: 1000,
        headers: { authorization: `Bearer ${defenderToken}` },
      });
      const attempt = response.text();

      // Assess
      expect(response.headers.get('content-length')).not.toBeNull();
      await expect(attempt).rejects.toThrow();
      agent.destroy();
    },
  );

  it('delays the reply for slow', async () => {
    // Prepare
    tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: 300 });
    const started = Date.now();

    // Act
    const reply = await defender();

    // Assess
    expect(reply.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('keeps a persistent fault that matches only $expand=alerts until cleared', async () => {
    // Prepare
    tenant.faults.inject({
      server: 'graph',
      kind: '500',
      persistent: true,
      match: (request) => request.query.$expand === 'alerts',
    });

    // Act
    const expanded = [(await graph('?$expand=alerts')).status, (await graph('?$expand=alerts')).status];
    const plain = (await graph()).status;
    tenant.faults.clear();
    const afterClear = (await graph('?$expand=alerts')).status;

    // Assess
    expect(expanded).toEqual([500, 500]);
    expect(plain).toBe(200);
    expect(afterClear).toBe(200);
  });

  it(
    'lets the page hook update an incident mid-pull, so it jumps to the top and the next page ' +
      'repeats one and misses it',
    async () => {
      // Prepare
      const before = idsOf((await defender()).body, 'incidentId');
      const oldest = before[before.length - 1];
      const pages: { server: string; skip: number; top: number }[] = [];
      tenant.faults.onIncidentsPage = ({ server, skip, top }) => {
        pages.push({ server, skip, top });
        if (pages.length === 2 && typeof oldest === 'number') tenant.incidents.update(oldest, { status: 'Resolved' });
      };

      // Act
      const first = await defender('?$top=2');
      const second = await defender('?$top=2&$skip=2');

      // Assess
      expect(pages).toEqual([
        { server: 'defender', skip: 0, top: 2 },
        { server: 'defender', skip: 2, top: 2 },
      ]);
      expect(idsOf(first.body, 'incidentId')).toEqual(before.slice(0, 2));
      expect(idsOf(second.body, 'incidentId')).toEqual([before[1], before[2]]);
      expect(idsOf((await defender('?$top=1')).body, 'incidentId')).toEqual([oldest]);
    },
  );

  it('records every request with its status and the Authorization header it carried', async () => {
    // Prepare
    const before = tenant.requests.length;

    // Act
    await defender('?$top=1');

    // Assess
    const [recorded] = tenant.requests.slice(before);
    expect(recorded).toMatchObject({
      server: 'defender',
      method: 'GET',
      path: '/api/incidents',
      query: { $top: '1' },
      status: 200,
      authorization: `Bearer ${defenderToken}`,
    });
    expect(valueOf((await defender('?$top=1')).body)).toHaveLength(1);
  });

  it('applies login faults to the token endpoint in the Entra error shape', async () => {
    // Prepare
    tenant.faults.inject({ server: 'login', kind: '503', match: (request) => request.path.endsWith('/token') });
    const agent = new Agent({ ca: tenant.caCertPem });

    // Act
    const response = await fetch(`${tenant.authorityHost}/${tenant.tenantId}/oauth2/v2.0/token`, {
      agent,
      method: 'POST',
      body: 'grant_type=client_credentials',
    });
    const body: unknown = await response.json();
    agent.destroy();

    // Assess
    expect(response.status).toBe(503);
    expect(pick(body, 'error')).toBe('temporarily_unavailable');
  });
});
