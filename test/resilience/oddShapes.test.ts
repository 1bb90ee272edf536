import { Agent } from 'https';
import { ClientSecretCredential } from '@azure/identity';
import fetch from 'node-fetch';
import { loadConfig } from '../../src/config/loadConfig';
import { runExport } from '../../src/export/runExport';
import { buildDependencies } from '../../src/runtime/buildDependencies';
import { FAST_PACING } from '../support/exportChecks';
import { LeakLedger } from '../support/leakLedger';
import { RewritingApiProxy } from '../support/rewritingApiProxy';
import { startWorld, type World } from '../support/world';

/** The text of each incident in an export blob (the writer puts one incident per line). */
async function blobElements(world: World, names: readonly string[]): Promise<string[]> {
  const elements: string[] = [];
  for (const name of names) {
    const text = (await world.container.getBlockBlobClient(name).downloadToBuffer()).toString('utf8');
    const lines = text.split('\n');
    expect(lines[0]).toBe('[');
    expect(lines.slice(-2)).toEqual([']', '']);
    elements.push(...lines.slice(1, -2).map((line) => line.replace(/,$/, '')));
  }
  return elements;
}

/** Asks the simulated API for the incidents the way the exporter does and returns each element's exact text. */
async function apiElements(world: World, from: string): Promise<Map<string, string>> {
  const app = world.tenant.exporterApp;
  const credential = new ClientSecretCredential(world.tenant.tenantId, app.clientId, app.clientSecret, {
    authorityHost: world.tenant.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: world.tenant.caCertPem },
  });
  const token = await credential.getToken('https://api.security.microsoft.com/.default');
  const agent = new Agent({ ca: world.tenant.caCertPem });
  const elements = new Map<string, string>();
  for (let skip = 0; ; skip += 100) {
    const url =
      `${world.tenant.defenderUrl}/api/incidents?$filter=` +
      `${encodeURIComponent(`lastUpdateTime ge ${from}`)}&$top=100&$skip=${skip}`;
    const reply = await fetch(url, { headers: { Authorization: `Bearer ${token?.token ?? ''}` }, agent });
    const body = (await reply.json()) as { value: Record<string, unknown>[] };
    // The simulator writes replies with JSON.stringify, so re-stringifying a parsed element gives its exact text.
    for (const item of body.value) elements.set(String(item.incidentId), JSON.stringify(item));
    if (body.value.length < 100) return elements;
  }
}

/** Incidents in the shapes real tenants produce, kept exactly as the API sent them. */
describe('incidents in odd shapes', () => {
  const ledger = new LeakLedger();
  let world: World;
  afterEach(async () => {
    await ledger.recordBlobs('final', world.container);
    ledger.record('logs', world.logLines.join('\n'));
    const { findings } = ledger.findLeaks(world.tenant);
    await world.close();
    expect(findings).toEqual([]);
  });

  it('exports merged (redirected), alert-less, unknown-field and multi-megabyte incidents byte for byte', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0, realisticIncidents: true }, settings: FAST_PACING });
    const [source, target, bare, extra, huge, hugeArray] = world.tenant.incidents.seed(150, { spreadHours: 3 });
    if (!source || !target || !bare || !extra || !huge || !hugeArray) throw new Error('seed');
    world.tenant.incidents.merge(source.id, target.id);
    world.tenant.incidents.update(bare.id, { alerts: [], comments: [], tags: [] });
    world.tenant.incidents.setRaw(extra.id, {
      futureField: { nested: [1.5, 'x', null, true, { deeper: [] }] },
      'odd key: ünïcödé ✓': 'line\nbreak "quoted" \\ back\u0001slash 😀',
      emptyObject: {},
      zero: -0,
      small: 1e-7,
      big: 1e21,
    });
    world.tenant.incidents.update(extra.id);
    // Larger than a staged block (1 MB): staged as a block of its own.
    world.tenant.incidents.setRaw(huge.id, { evidenceDump: 'A'.repeat(5 * 1024 * 1024) });
    world.tenant.incidents.update(huge.id);
    world.tenant.incidents.setRaw(hugeArray.id, {
      rawEvents: Array.from({ length: 30_000 }, (_, i) => ({
        seq: i,
        host: `host-${i % 97}.contoso.local`,
        sha256: (i * 2654435761).toString(16).padStart(64, '0'),
      })),
    });
    world.tenant.incidents.update(hugeArray.id);

    const summary = await world.run();
    const api = await apiElements(world, summary.windowFrom);
    const exported = await blobElements(world, summary.blobs);

    expect(exported).toHaveLength(150);
    expect(exported.slice().sort()).toEqual([...api.values()].sort());
    const byId = new Map(
      exported.map((text) => [String((JSON.parse(text) as { incidentId: number }).incidentId), text]),
    );
    expect(JSON.parse(byId.get(String(source.id)) ?? '{}')).toMatchObject({
      status: 'Redirected',
      redirectIncidentId: target.id,
      alerts: [],
    });
    expect(JSON.parse(byId.get(String(bare.id)) ?? '{}')).toMatchObject({ alerts: [], comments: [] });
    expect(Buffer.byteLength(byId.get(String(huge.id)) ?? '')).toBeGreaterThan(5 * 1024 * 1024);
    expect(Buffer.byteLength(byId.get(String(hugeArray.id)) ?? '')).toBeGreaterThan(3 * 1024 * 1024);
    // Key order as sent: the documented fields first, unknown ones after.
    expect(Object.keys(JSON.parse(byId.get(String(extra.id)) ?? '{}') as object).slice(0, 3)).toEqual([
      'incidentId',
      'incidentUri',
      'redirectIncidentId',
    ]);
  });

  it('keeps JSON literals a JavaScript round trip would change (big integers, 1.50, exponents, escapes) verbatim', async () => {
    const literals = {
      __BIG__: '12345678901234567890123',
      __DECIMAL__: '1.50',
      __EXPONENT__: '6.02E+23',
      __ESCAPED__: '"caf\\u00e9 \\/ \\ud83d\\ude00"',
      __NEGZERO__: '-0.0',
    };
    world = await startWorld({ tenant: { seedIncidents: 0 }, settings: FAST_PACING });
    const proxy = await RewritingApiProxy.start(world.tenant.defenderUrl, literals);
    try {
      const [incident] = world.tenant.incidents.seed(3, { spreadHours: 1 });
      if (!incident) throw new Error('seed');
      world.tenant.incidents.setRaw(incident.id, {
        vendorCounters: {
          big: '__BIG__',
          decimal: '__DECIMAL__',
          exponent: '__EXPONENT__',
          negativeZero: '__NEGZERO__',
        },
        label: '__ESCAPED__',
      });
      world.tenant.incidents.update(incident.id);
      // The exporter talks to the API through the rewriting proxy (its only configured API host).
      const deps = buildDependencies(loadConfig({ ...world.env, DEFENDER_API_URL: proxy.origin }), {
        azureCredential: world.credential,
        tlsCa: world.tenant.caCertPem,
        retryBaseDelayMs: 5,
      });
      const summary = await runExport(deps, { trigger: 'test', logger: world.logger });
      const exported = (await blobElements(world, summary.blobs)).find((text) => text.includes('vendorCounters'));
      expect(exported).toContain(
        '"vendorCounters":{"big":12345678901234567890123,"decimal":1.50,"exponent":6.02E+23,"negativeZero":-0.0}',
      );
      expect(exported).toContain('"label":"caf\\u00e9 \\/ \\ud83d\\ude00"');
    } finally {
      await proxy.close();
    }
  });
});
