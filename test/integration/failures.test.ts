import type { BuildOptions } from '../../src/runtime/buildDependencies';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { STATE_BLOB } from '../../src/export/exportState';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, missing } from '../support/invariants';
import { SOURCES, startWorld, type SourceName, type SourceTraits, type World } from '../support/world';

async function watermarkOf(world: World): Promise<string | undefined> {
  const blob = world.container.getBlockBlobClient(STATE_BLOB);
  if (!(await blob.exists())) return undefined;
  return (JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as { watermark: string }).watermark;
}

/**
 * Runs once successfully, adds incidents, then expects the next run to fail as described, with no blob and the
 * watermark untouched; finally a clean run recovers everything.
 */
async function expectCleanFailure(
  world: World,
  breakIt: () => void,
  expected: { code: string; message: RegExp },
  repair: () => void = () => world.tenant.faults.clear(),
): Promise<void> {
  world.tenant.incidents.seed(20, { spreadHours: 1 });
  await world.run();
  const watermark = await watermarkOf(world);
  const blobs = await listBlobNames(world.container, 'incidents/');
  world.tenant.incidents.seed(150, { spreadHours: 0.1 });
  breakIt();
  await expect(world.run()).rejects.toMatchObject({
    code: expected.code,
    message: expect.stringMatching(expected.message) as unknown,
  });
  expect(await watermarkOf(world)).toBe(watermark);
  expect(await listBlobNames(world.container, 'incidents/')).toEqual(blobs);
  repair();
  await world.run();
  expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
}

/** Text as a regular expression matching it literally. */
const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each([SOURCES.defender, SOURCES.graph])('a failing run on the $name source', (source: SourceTraits) => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ source: source.name });
  });
  afterEach(async () => {
    await world.close();
  });

  it('names the missing Key Vault secret and how to create it', async () => {
    const secret = world.tenant.exporterApp.clientSecret;
    await expectCleanFailure(
      world,
      () => world.tenant.deleteSecret('defender-client-secret'),
      {
        code: 'SecretNotFound',
        message:
          /secret 'defender-client-secret' was not found in https:\/\/127\.0\.0\.1:\d+\/: create it with 'az keyvault secret set/,
      },
      () => world.tenant.setSecret('defender-client-secret', secret),
    );
  });

  it('names a refused token (wrong secret in the vault) with the AADSTS code and the fix', async () => {
    const secret = world.tenant.exporterApp.clientSecret;
    await expectCleanFailure(
      world,
      () => world.tenant.setSecret('defender-client-secret', 'not-the-right-secret-value'),
      { code: 'AADSTS7000215', message: /client secret is wrong/ },
      () => world.tenant.setSecret('defender-client-secret', secret),
    );
  });

  it('fails fast on a 4xx with the API error code in the message', async () => {
    await expectCleanFailure(
      world,
      () =>
        world.tenant.faults.inject({
          server: source.server,
          kind: 'status',
          status: 403,
          code: 'Forbidden',
          persistent: true,
        }),
      source.name === 'graph'
        ? {
            // Graph's 403 is a missing permission: one line naming it and the consent link, the API code kept.
            code: 'GraphNotPermitted',
            message:
              /^Microsoft Graph refused app .* \(403 Forbidden\): grant SecurityIncident\.Read\.All \(application\) with admin consent: https:\/\/.*\/adminconsent\?client_id=/,
          }
        : {
            code: 'Forbidden',
            message: new RegExp(`${source.apiName} refused GET ${literally(source.listPath)}.* with 403 Forbidden`),
          },
    );
    expect(world.tenant.requests.filter((r) => r.server === source.server && r.status === 403)).toHaveLength(1);
  });

  it('retries transient 5xx, resets and truncated JSON, then succeeds', async () => {
    world.tenant.incidents.seed(250, { spreadHours: 1 });
    world.tenant.faults.inject({ server: source.server, kind: '500' });
    world.tenant.faults.inject({ server: source.server, kind: 'reset' });
    world.tenant.faults.inject({ server: source.server, kind: 'truncate' });
    world.tenant.faults.inject({ server: source.server, kind: '503' });
    const summary = await world.run();
    expect(summary.retries).toBe(4);
    expect(summary.incidents).toBe(250);
  });

  it('gives up on a persistently malformed reply with one clear message', async () => {
    await expectCleanFailure(
      world,
      () => world.tenant.faults.inject({ server: source.server, kind: 'malformed', persistent: true }),
      { code: 'MalformedResponse', message: /malformed incidents page: the reply has no 'value' array/ },
    );
  });

  it('gives up after the retries on a persistent 500, naming the request, watermark unchanged', async () => {
    await expectCleanFailure(
      world,
      () => world.tenant.faults.inject({ server: source.server, kind: '500', persistent: true }),
      {
        code: 'InternalServerError',
        message: new RegExp(
          `gave up on GET ${literally(source.listPath)}\\?\\$filter=${source.updateField} ge .* ` +
            `after 6 attempts.*watermark is unchanged`,
        ),
      },
    );
  });

  it('gives up on replies slower than the request timeout', async () => {
    world = await restartWith(world, source.name, { requestTimeoutMs: 200 });
    await expectCleanFailure(
      world,
      () => world.tenant.faults.inject({ server: source.server, kind: 'slow', delayMs: 1000, persistent: true }),
      { code: 'ApiUnavailable', message: /no complete reply within 200 ms/ },
    );
  });

  it('honours Retry-After on a 429 and the wait given only in the body', async () => {
    // The run's clock is injected: its waits are recorded and pass at once, no real sleeping.
    const waits: number[] = [];
    let offsetMs = 0;
    const clock = {
      now: () => new Date(Date.now() + offsetMs),
      sleep: (ms: number): Promise<void> => {
        waits.push(ms);
        offsetMs += ms;
        return Promise.resolve();
      },
    };
    world = await restartWith(world, source.name, { clock });
    world.tenant.incidents.seed(120, { spreadHours: 1 });
    world.tenant.faults.inject({ server: source.server, kind: '429', retryAfterSeconds: 7 });
    world.tenant.faults.inject({ server: source.server, kind: '429-body-only', retryAfterSeconds: 9 });
    const summary = await world.run();
    expect(summary.throttledWaits).toBe(2);
    expect(waits.filter((ms) => ms >= 1000).sort()).toEqual([7000, 9000]);
    expect(summary.incidents).toBe(120);
  });

  it('stops cleanly when throttling outlasts the run budget, and the next run continues', async () => {
    world = await restartWith(world, source.name, { runBudgetMs: 1500 });
    world.tenant.incidents.seed(20, { spreadHours: 1 });
    await world.run();
    const watermark = await watermarkOf(world);
    world.tenant.incidents.seed(150, { spreadHours: 0.1 });
    world.tenant.faults.inject({ server: source.server, kind: '429', retryAfterSeconds: 5, persistent: true });
    const stopped = await world.run();
    expect(stopped).toMatchObject({ complete: false, incidents: 0, blobs: [] });
    expect(world.logLines.join('\n')).toMatch(/Run budget reached while waiting on the API/);
    expect(await watermarkOf(world)).toBe(watermark);
    world.tenant.faults.clear();
    const next = await world.run();
    expect(next.complete).toBe(true);
    expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
  });

  it('renews an expired or revoked token once mid-run and carries on', async () => {
    world.tenant.incidents.seed(350, { spreadHours: 1 });
    world.tenant.faults.onIncidentsPage = ({ requestIndex }) => {
      if (requestIndex === 1) world.tenant.revokeTokens();
    };
    const summary = await world.run();
    expect(summary.incidents).toBe(350);
    expect(world.tenant.requests.filter((r) => r.server === source.server && r.status === 401)).toHaveLength(1);
  });

  it('picks up a secret rotated in Key Vault between runs', async () => {
    world.tenant.incidents.seed(10, { spreadHours: 1 });
    await world.run();
    world.tenant.setSecret('defender-client-secret', 'rotated-secret-value-123456', { rotateApp: true });
    world.tenant.incidents.seed(10, { spreadHours: 0.01 });
    const summary = await world.run();
    expect(summary.incidents).toBe(10);
  });

  it('refuses to restart from the initial lookback when the state blob is lost, naming the recovery command', async () => {
    world.tenant.incidents.seed(10, { spreadHours: 1 });
    await world.run();
    await world.container.getBlockBlobClient(STATE_BLOB).delete();
    await expect(world.run()).rejects.toMatchObject({
      code: 'StateMissing',
      message: expect.stringMatching(/defender-export state reset --watermark/) as unknown,
    });
  });

  it('refuses a corrupted state blob loudly', async () => {
    world.tenant.incidents.seed(10, { spreadHours: 1 });
    await world.run();
    await world.container.getBlockBlobClient(STATE_BLOB).upload('{"schemaVersion":1,"watermark":"garbage"}', 40);
    await expect(world.run()).rejects.toMatchObject({ code: 'StateCorrupted' });
  });

  it('never writes the client secret or a token into logs, errors or blobs', async () => {
    world.tenant.incidents.seed(120, { spreadHours: 1 });
    world.tenant.faults.onIncidentsPage = ({ requestIndex }) => {
      if (requestIndex === 0) world.tenant.revokeTokens();
    };
    await world.run();
    world.tenant.setSecret('defender-client-secret', 'wrong-secret-value-abcdef');
    const failure = await world.run().catch((error: unknown) => error);
    const tokens = world.tenant.requests
      .map((r) => r.authorization?.replace(/^Bearer /, ''))
      .filter((t): t is string => t !== undefined);
    expect(tokens.length).toBeGreaterThan(0);
    const exported = JSON.stringify(await readExports(world.container));
    const haystack = [world.logLines.join('\n'), String(failure), JSON.stringify(failure), exported].join('\n');
    for (const value of [
      world.tenant.exporterApp.clientSecret,
      'wrong-secret-value-abcdef',
      world.tenant.vaultReader.clientSecret,
      ...tokens,
    ]) {
      expect(haystack).not.toContain(value);
    }
  });
});

describe('a Defender pull that meets a nextLink (the Defender API documents none; followed only on its host)', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ source: 'defender' });
  });
  afterEach(async () => {
    await world.close();
  });

  it('refuses a nextLink to another host and never sends the token there', async () => {
    const seen: string[] = [];
    const other = await recordingServer(seen);
    try {
      const { port } = other.address() as AddressInfo;
      world.tenant.defenderNextLink = `http://127.0.0.1:${port}`;
      world.tenant.incidents.seed(150, { spreadHours: 1 });
      await expect(world.run()).rejects.toMatchObject({ code: 'ForeignHost' });
      expect(seen).toEqual([]);
      // The page read before the foreign link is kept, complete, as a pull in progress; nothing else.
      const exported = await readExports(world.container);
      expect(exported).toHaveLength(100);
    } finally {
      other.close();
    }
  });

  it('follows a nextLink on the same host', async () => {
    world.tenant.defenderNextLink = true;
    world.tenant.incidents.seed(230, { spreadHours: 1 });
    const summary = await world.run();
    expect(summary.incidents).toBe(230);
  });
});

describe('a Graph pull, where every full page carries a nextLink', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ source: 'graph' });
  });
  afterEach(async () => {
    await world.close();
  });

  it('continues by time instead, so $skip only ever counts ties and never grows deep', async () => {
    world.tenant.incidents.seed(230, { spreadHours: 1 });
    const summary = await world.run();
    expect(summary.incidents).toBe(230);
    const lists = world.tenant.requests.filter((r) => r.server === 'graph');
    expect(lists.length).toBe(Math.floor(230 / 50) + 1);
    expect(lists.every((r) => Number(r.query.$skip ?? '0') < 50)).toBe(true);
    expect(
      lists.every(
        (r) => r.query.$top === '50' && r.query.$orderby === 'lastUpdateDateTime desc' && r.query.$expand === 'alerts',
      ),
    ).toBe(true);
  });
});

async function restartWith(world: World, source: SourceName, build: BuildOptions): Promise<World> {
  await world.close();
  return startWorld({ source, build });
}

/** A second local server that records whatever reaches it. */
async function recordingServer(seen: string[]): Promise<Server> {
  const server = createServer((request, response) => {
    seen.push(`${request.method ?? ''} ${request.url ?? ''} ${request.headers.authorization ?? ''}`);
    response.end('{"value":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
