import { InvocationContext, HttpRequest } from '@azure/functions';
import { fromDate, minusMs, type Timestamp } from '../../src/common/timestamp';
import { STATE_BLOB } from '../../src/export/exportState';
import { continueBackfills } from '../../src/export/continueBackfills';
import { runBackfill, startBackfill } from '../../src/export/runBackfill';
import { listBlobNames, readExports } from '../support/exports';
import { keyOf } from '../support/invariants';
import { startWorld, type World } from '../support/world';

const hoursAgo = (hours: number): Timestamp => minusMs(fromDate(new Date()), hours * 3_600_000);

describe('backfill', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('re-exports exactly the window into backfill/ blobs without touching the watermark', async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 } });
    world.tenant.incidents.seed(300, { spreadHours: 40 });
    await world.run();
    const state = (await world.container.getBlockBlobClient(STATE_BLOB).downloadToBuffer()).toString('utf8');
    const from = hoursAgo(30);
    const to = hoursAgo(10);
    const job = await startBackfill(world.deps, from, to, 'test');
    const result = await runBackfill(world.deps, job.id, { trigger: 'test', logger: world.logger });
    expect(result.job.status).toBe('complete');
    const expected = world.tenant.incidents
      .all()
      .filter((i) => i.lastUpdateTime >= from && i.lastUpdateTime < to)
      .map((i) => keyOf(i.id, i.lastUpdateTime))
      .sort();
    const exported = (await readExports(world.container, 'backfill/')).map((v) => keyOf(v.id, v.lastUpdateTime)).sort();
    expect(exported).toEqual(expected);
    expect(result.job.incidents).toBe(expected.length);
    expect((await world.container.getBlockBlobClient(STATE_BLOB).downloadToBuffer()).toString('utf8')).toBe(state);
    const properties = await world.container.getBlockBlobClient(result.blobs[0] ?? '').getProperties();
    expect(properties.metadata).toMatchObject({
      kind: 'backfill',
      windowfrom: from,
      windowto: to,
      backfilljob: job.id,
    });
  });

  it('resumes an interrupted backfill exactly where it stopped', async () => {
    world = await startWorld({
      tenant: { seedIncidents: 0, realisticIncidents: true },
      settings: { EXPORT_MAX_BLOB_MB: '1' },
    });
    world.tenant.incidents.seed(600, { spreadHours: 20 });
    const job = await startBackfill(world.deps, hoursAgo(24), hoursAgo(0), 'test');
    let pages = 0;
    const first = await runBackfill(world.deps, job.id, {
      trigger: 'test',
      logger: world.logger,
      shouldContinue: () => pages < 3,
      onProgress: () => (pages += 1),
    });
    expect(first.job.status).toBe('running');
    expect(first.stoppedBecause).toBe('interrupted');
    const second = await runBackfill(world.deps, job.id, { trigger: 'test', logger: world.logger });
    expect(second.job.status).toBe('complete');
    const exported = await readExports(world.container, 'backfill/');
    expect(new Set(exported.map((v) => keyOf(v.id, v.lastUpdateTime))).size).toBe(600);
    expect(exported).toHaveLength(600);
  });

  it(
    'answers 400 with every problem for bad HTTP requests, 202 with the job for a good one, ' +
      'and the timer finishes it',
    async () => {
      world = await startWorld({ tenant: { seedIncidents: 0 } });
      world.tenant.incidents.seed(120, { spreadHours: 5 });
      const { app } = await import('@azure/functions');
      jest.spyOn(app, 'http').mockImplementation(() => undefined);
      jest.spyOn(app, 'timer').mockImplementation(() => undefined);
      const { backfillHandlerFor } = await import('../../src/functions/backfill');
      const backfillHandler = backfillHandlerFor(() => world.runtime);
      const context = new InvocationContext({ functionName: 'backfill', logHandler: () => undefined });
      const post = (body: string): HttpRequest =>
        new HttpRequest({ url: 'https://app/api/backfill', method: 'POST', body: { string: body } });
      try {
        const notJson = await backfillHandler(post('nope'), context);
        expect(notJson.status).toBe(400);
        const bad = await backfillHandler(post(JSON.stringify({ from: 'yesterday', to: 5 })), context);
        expect(bad.status).toBe(400);
        expect(JSON.stringify(bad.jsonBody)).toMatch(/'to' must be a string.*'from' is not an ISO 8601 time/);
        const backwards = await backfillHandler(post(JSON.stringify({ from: hoursAgo(1), to: hoursAgo(2) })), context);
        expect(JSON.stringify(backwards.jsonBody)).toMatch(/must be before 'to'/);
        const tooOld = await backfillHandler(post(JSON.stringify({ from: hoursAgo(181 * 24) })), context);
        expect(JSON.stringify(tooOld.jsonBody)).toMatch(/beyond the API's 180-day retention/);
        const started = await backfillHandler(post(JSON.stringify({ from: hoursAgo(6), to: hoursAgo(0) })), context);
        expect(started.status).toBe(202);
        const id = String((started.jsonBody as { id: string }).id);
        const { results } = await continueBackfills(world.deps, world.logger, Date.now(), 'timer');
        expect(results.map((r) => r.job.status)).toEqual(['complete']);
        const status = await backfillHandler(
          new HttpRequest({ url: `https://app/api/backfill/${id}`, method: 'GET', params: { id } }),
          context,
        );
        expect(status.status).toBe(200);
        expect(status.jsonBody).toMatchObject({ id, status: 'complete', incidents: 120 });
        const unknown = await backfillHandler(
          new HttpRequest({ url: 'https://app/api/backfill/x', method: 'GET', params: { id: 'x' } }),
          context,
        );
        expect(unknown.status).toBe(404);
        expect(await listBlobNames(world.container, 'backfill/')).toHaveLength(1);
      } finally {
        jest.restoreAllMocks();
      }
    },
  );
});
