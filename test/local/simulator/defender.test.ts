import { SimulatedTenant } from '../../../src/local/simulator';
import { getJson, idsOf, manualClock, pick, SCOPES, tokenFor, valueOf, type JsonResponse } from './support';

describe('simulated Defender XDR list incidents API', () => {
  const clock = manualClock();
  let tenant: SimulatedTenant;
  let token: string;

  beforeAll(async () => {
    tenant = await SimulatedTenant.start({ clock: clock.now, rateLimits: [] });
    token = await tokenFor(tenant, SCOPES.defender);
  });

  afterAll(async () => {
    await tenant.close();
  });

  const list = (query = '', bearer: string | null = token): Promise<JsonResponse> =>
    getJson(tenant, `${tenant.defenderUrl}/api/incidents${query}`, bearer ?? undefined);
  const since = (timestamp: string): string => `?$filter=${encodeURIComponent(`lastUpdateTime ge ${timestamp}`)}`;

  it('returns incidents most recently updated first, in the documented shape', async () => {
    // Prepare
    const first = tenant.incidents.add({ lastUpdateTime: '2030-01-01T00:00:01.0000000Z' });
    const second = tenant.incidents.add({ lastUpdateTime: '2030-01-01T00:00:02.0000000Z' });

    // Act
    const reply = await list(since('2030-01-01T00:00:00Z'));

    // Assess
    expect(reply.status).toBe(200);
    expect(pick(reply.body, '@odata.context')).toBe(`${tenant.defenderUrl}/api/$metadata#Incidents`);
    expect(pick(reply.body, '@odata.nextLink')).toBeUndefined();
    expect(idsOf(reply.body, 'incidentId')).toEqual([second.id, first.id]);
    const incident = valueOf(reply.body)[0];
    expect(pick(incident, 'lastUpdateTime')).toBe('2030-01-01T00:00:02.0000000Z');
    expect(pick(incident, 'alerts', 0, 'incidentId')).toBe(second.id);
    expect(pick(incident, 'alerts', 0, 'entities', 0, 'entityType')).toEqual(expect.any(String));
  });

  it('compares timestamps at 100 ns precision, whatever the number of fraction digits', async () => {
    // Prepare
    const early = tenant.incidents.add({ lastUpdateTime: '2031-05-05T10:00:00.1234567Z' });
    const late = tenant.incidents.add({ lastUpdateTime: '2031-05-05T10:00:00.1234568Z' });
    const short = tenant.incidents.add({ lastUpdateTime: '2031-05-05T10:00:01Z' });

    // Act
    const afterEarly = await list(
      `?$filter=` +
        `${encodeURIComponent('lastUpdateTime gt 2031-05-05T10:00:00.1234567Z and lastUpdateTime lt 2031-05-06T00:00:00Z')}`,
    );
    const exact = await list(`?$filter=${encodeURIComponent('lastUpdateTime eq 2031-05-05T10:00:01.0Z')}`);
    const upTo = await list(
      `?$filter=` +
        `${encodeURIComponent('lastUpdateTime ge 2031-05-05T00:00:00Z and lastUpdateTime le 2031-05-05T10:00:00.12345675Z')}`,
    );

    // Assess
    expect(idsOf(afterEarly.body, 'incidentId')).toEqual([short.id, late.id]);
    expect(idsOf(exact.body, 'incidentId')).toEqual([short.id]);
    expect(upTo.status).toBe(400);
    expect(early.id).toBeLessThan(late.id);
  });

  it('filters on createdTime, status and assignedTo', async () => {
    // Prepare
    const window = '2032-02-02T00:00:00Z';
    const active = tenant.incidents.add({
      createdTime: '2032-02-02T01:00:00.0000000Z',
      lastUpdateTime: '2032-02-02T02:00:00.0000000Z',
      status: 'Active',
      assignedTo: 'secop123@contoso.com',
    });
    tenant.incidents.add({
      createdTime: '2032-02-02T01:00:00.0000000Z',
      lastUpdateTime: '2032-02-02T03:00:00.0000000Z',
      status: 'Resolved',
      assignedTo: null,
    });

    // Act
    const reply = await list(
      `?$filter=` +
        `${encodeURIComponent(`createdTime ge ${window} and status eq 'Active' and assignedTo eq 'secop123@contoso.com'`)}`,
    );

    // Assess
    expect(idsOf(reply.body, 'incidentId')).toEqual([active.id]);
  });

  it('breaks ties on lastUpdateTime by incidentId, highest first, and pages with $top and $skip', async () => {
    // Prepare
    const tied = tenant.incidents.addTied(5, { lastUpdateTime: '2033-03-03T03:03:03.3333333Z' });
    const ids = tied.map((incident) => incident.id).sort((a, b) => b - a);
    const filter = since('2033-03-03T00:00:00Z');

    // Act
    const page1 = await list(`${filter}&$top=2`);
    const page2 = await list(`${filter}&$top=2&$skip=2`);
    const page3 = await list(`${filter}&$top=2&$skip=4`);

    // Assess
    expect([
      ...idsOf(page1.body, 'incidentId'),
      ...idsOf(page2.body, 'incidentId'),
      ...idsOf(page3.body, 'incidentId'),
    ]).toEqual(ids);
  });

  it('emits a same-host nextLink only when asked, or a foreign one when configured', async () => {
    // Prepare
    tenant.incidents.addTied(3, { lastUpdateTime: '2034-04-04T04:04:04.0000000Z' });
    const query = `${since('2034-04-04T00:00:00Z')}&$top=2`;

    // Act
    tenant.defenderNextLink = true;
    const sameHost = await list(query);
    tenant.defenderNextLink = 'https://evil.example.com';
    const foreign = await list(query);
    tenant.defenderNextLink = false;

    // Assess
    const next = String(pick(sameHost.body, '@odata.nextLink'));
    expect(next.startsWith(`${tenant.defenderUrl}/api/incidents?`)).toBe(true);
    expect(new URL(next).searchParams.get('$skip')).toBe('2');
    expect(new URL(next).searchParams.get('$filter')).toBe('lastUpdateTime ge 2034-04-04T00:00:00Z');
    expect(String(pick(foreign.body, '@odata.nextLink')).startsWith('https://evil.example.com/api/incidents?')).toBe(
      true,
    );
    const followed = await list(next.slice(`${tenant.defenderUrl}/api/incidents`.length));
    expect(valueOf(followed.body)).toHaveLength(1);
  });

  it('rejects $top over 100 with 400 InvalidInput', async () => {
    // Act
    const reply = await list('?$top=101');

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error', 'code')).toBe('InvalidInput');
    expect(pick(reply.body, 'error', 'target')).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
  });

  it.each([
    ['an unknown property', 'lastModifiedTime ge 2030-01-01T00:00:00Z'],
    ['a malformed date', 'lastUpdateTime ge 2030-13-01T00:00:00Z'],
    ['a quoted date', "lastUpdateTime ge '2030-01-01T00:00:00Z'"],
    ['a dangling operator', 'lastUpdateTime ge'],
    ['an unknown operator', 'lastUpdateTime after 2030-01-01T00:00:00Z'],
  ])('rejects a $filter with %s with 400 ODataError', async (_case, filter) => {
    // Act
    const reply = await list(`?$filter=${encodeURIComponent(filter)}`);

    // Assess
    expect(reply.status).toBe(400);
    expect(pick(reply.body, 'error', 'code')).toBe('ODataError');
    expect(pick(reply.body, 'error', 'message')).toEqual(expect.any(String));
  });

  it('rejects the undocumented $orderby', async () => {
    // Act
    const reply = await list('?$orderby=lastUpdateTime%20asc');

    // Assess
    expect(reply.status).toBe(400);
  });

  it('hides an incident until it becomes visible, with its earlier lastUpdateTime', async () => {
    // Prepare
    const hidden = tenant.incidents.add({ lastUpdateTime: '2035-05-05T05:05:05.0000000Z' });
    tenant.incidents.setVisibleAfter(hidden.id, clock.now() + 60_000);
    const query = since('2035-05-05T00:00:00Z');

    // Act
    const before = await list(query);
    clock.advance(60_000);
    const after = await list(query);

    // Assess
    expect(valueOf(before.body)).toHaveLength(0);
    expect(idsOf(after.body, 'incidentId')).toEqual([hidden.id]);
    expect(pick(valueOf(after.body)[0], 'lastUpdateTime')).toBe('2035-05-05T05:05:05.0000000Z');
  });

  it('keeps a merged incident as Redirected with its redirectIncidentId', async () => {
    // Prepare
    const source = tenant.incidents.add();
    const target = tenant.incidents.add();

    // Act
    tenant.incidents.merge(source.id, target.id);
    const reply = await list(`?$filter=${encodeURIComponent(`status eq 'Redirected'`)}`);

    // Assess
    const merged = valueOf(reply.body).find((incident) => pick(incident, 'incidentId') === source.id);
    expect(pick(merged, 'redirectIncidentId')).toBe(target.id);
  });

  it('answers 401 without a token, with a tampered token, and with an expired one', async () => {
    // Prepare
    const tampered = `${token.slice(0, -4)}AAAA`;

    // Act
    const missing = await list('', null);
    const invalid = await list('', tampered);
    clock.advance(3600_000);
    const expired = await list('', token);
    token = await tokenFor(tenant, SCOPES.defender);

    // Assess
    for (const reply of [missing, invalid, expired]) {
      expect(reply.status).toBe(401);
      expect(pick(reply.body, 'error', 'code')).toBe('Unauthorized');
    }
  });

  it('answers 401 to a token for another audience and 403 to an app without Incident.Read.All', async () => {
    // Prepare
    const graphToken = await tokenFor(tenant, SCOPES.graph);
    const noRoles = {
      clientId: 'bbbbbbbb-0000-0000-0000-000000000002',
      clientSecret: 'no~roles',
      roles: ['SecurityIncident.Read.All'],
    };
    tenant.registerApp(noRoles);
    const noRolesToken = await tokenFor(tenant, SCOPES.defender, noRoles);

    // Act
    const wrongAudience = await list('', graphToken);
    const forbidden = await list('', noRolesToken);

    // Assess
    expect(wrongAudience.status).toBe(401);
    expect(forbidden.status).toBe(403);
    expect(pick(forbidden.body, 'error', 'code')).toBe('Forbidden');
  });
});

describe('simulated Defender XDR rate limits', () => {
  const clock = manualClock();
  let tenant: SimulatedTenant;

  beforeAll(async () => {
    tenant = await SimulatedTenant.start({ clock: clock.now, rateLimits: [{ windowMs: 60_000, maxCalls: 3 }] });
  });

  afterAll(async () => {
    await tenant.close();
  });

  it(
    'answers 429 with Retry-After and the wait in the body once an app exceeds its quota, per ' +
      'app, until the window passes',
    async () => {
      // Prepare
      const token = await tokenFor(tenant, SCOPES.defender);
      const other = {
        clientId: 'cccccccc-0000-0000-0000-000000000003',
        clientSecret: 'other~app',
        roles: ['Incident.Read.All'],
      };
      tenant.registerApp(other);
      const otherToken = await tokenFor(tenant, SCOPES.defender, other);
      const url = `${tenant.defenderUrl}/api/incidents`;
      for (let call = 0; call < 3; call++) {
        clock.advance(10_000);
        expect((await getJson(tenant, url, token)).status).toBe(200);
      }

      // Act
      const throttled = await getJson(tenant, url, token);
      const otherApp = await getJson(tenant, url, otherToken);
      clock.advance(40_000);
      const afterWindow = await getJson(tenant, url, token);

      // Assess
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('40');
      expect(pick(throttled.body, 'error', 'code')).toBe('TooManyRequests');
      expect(pick(throttled.body, 'error', 'message')).toBe('Rate limit is exceeded. Try again in 40 seconds.');
      expect(otherApp.status).toBe(200);
      expect(afterWindow.status).toBe(200);
    },
  );

  it('applies the documented 50 per minute quota by default', async () => {
    // Prepare
    const defaults = await SimulatedTenant.start({ clock: clock.now });
    const token = await tokenFor(defaults, SCOPES.defender);
    const statuses: number[] = [];

    // Act
    try {
      for (let call = 0; call < 51; call++)
        statuses.push((await getJson(defaults, `${defaults.defenderUrl}/api/incidents?$top=1`, token)).status);
    } finally {
      await defaults.close();
    }

    // Assess
    expect(statuses.filter((status) => status === 200)).toHaveLength(50);
    expect(statuses[50]).toBe(429);
  });
});
