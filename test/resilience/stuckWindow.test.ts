import type { FaultRequest } from '../../src/local/simulator';
import { FAST_PACING, incompleteBlobs, readState } from '../support/exportChecks';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, missing } from '../support/invariants';
import { LeakLedger } from '../support/leakLedger';
import { startWorld, type World } from '../support/world';

/**
 * One window of the pull that always fails (a persistent 500 on exactly one page request). The design
 * choice: the run fails with one message naming the stuck request ($filter, $skip), keeps the watermark,
 * and every later run fails the same way until the API recovers; it never skips the window silently.
 */
describe('a page that always fails', () => {
  const ledger = new LeakLedger();
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 }, settings: FAST_PACING });
  });
  afterAll(async () => {
    await ledger.recordBlobs('final', world.container);
    ledger.record('logs', world.logLines.join('\n'));
    const { findings } = ledger.findLeaks(world.tenant);
    await world.close();
    expect(findings).toEqual([]);
  });

  it(
    'fails every run loudly, naming exactly the stuck window, keeps the watermark and the ' +
      'pages above it, and recovers once the page is served',
    async () => {
      world.tenant.incidents.seed(40, { spreadHours: 2 });
      await world.run();
      const before = await readState(world.container);
      const blobsBefore = await listBlobNames(world.container, 'incidents/');
      world.tenant.incidents.seed(350, { spreadHours: 0.1 });

      // The third page of the pull (the second keyset cursor) fails with 500 every time it is asked for.
      const cursors: string[] = [];
      const stuck = (request: FaultRequest): boolean => {
        const cursor = / and lastUpdateTime le (\S+)$/.exec(request.query.$filter ?? '')?.[1];
        if (cursor === undefined) return false;
        if (!cursors.includes(cursor)) cursors.push(cursor);
        return cursor === cursors[1];
      };
      world.tenant.faults.inject({ server: 'defender', kind: '500', persistent: true, match: stuck });

      const windows: string[] = [];
      for (let run = 0; run < 3; run += 1) {
        const requestsBefore = world.tenant.requests.length;
        const failure = await world.run().then(
          () => undefined,
          (error: unknown) => error,
        );
        ledger.recordError(`stuck run ${run}`, failure);
        const stuckCursor = cursors[1] ?? 'none';
        expect(failure).toMatchObject({ code: 'InternalServerError', retryable: true });
        const message = failure instanceof Error ? failure.message : '';
        const window =
          /gave up on (GET \/api\/incidents\?\$filter=lastUpdateTime ge \S+ and lastUpdateTime le (\S+)&\$top=100(?:&\$skip=\d+)?) after 6 attempts/.exec(
            message,
          );
        expect(window?.[2]).toBe(stuckCursor);
        windows.push(window?.[1] ?? '');
        expect(message).toMatch(/The watermark is unchanged; the next run retries\.$/);
        // Every attempt went to the stuck window (no silent skip past it); nothing below it was asked for.
        const requests = world.tenant.requests.slice(requestsBefore).filter((r) => r.server === 'defender');
        const failed = requests.filter((r) => r.status === 500);
        expect(failed).toHaveLength(6);
        expect(failed.every((r) => (r.query.$filter ?? '').endsWith(`le ${stuckCursor}`))).toBe(true);
        // The pages above the stuck one are kept as a pull in progress: later runs go straight back to the stuck page.
        if (run > 0) expect(requests.filter((r) => r.status === 200)).toEqual([]);
        // The state keeps the watermark and records the failure (for `defender-export status`).
        const state = await readState(world.container);
        expect(state?.watermark).toBe(before?.watermark);
        expect(state?.pass?.cursor).toBe(stuckCursor);
        expect(state?.lastError?.message).toContain(`lastUpdateTime le ${stuckCursor}`);
        expect((await listBlobNames(world.container, 'incidents/')).length).toBe(blobsBefore.length + 1);
        expect(await incompleteBlobs(world.container)).toEqual([]);
      }
      expect(new Set(windows).size).toBe(1);

      world.tenant.faults.clear();
      const recovered = await world.run();
      expect(recovered.complete).toBe(true);
      expect(missing(currentVersions(world.tenant), await readExports(world.container))).toEqual([]);
    },
  );
});
