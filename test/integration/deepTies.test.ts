import { systemClock } from '../../src/common/clock';
import { fromDate, minusMs } from '../../src/common/timestamp';
import { runBackfill, startBackfill } from '../../src/export/runBackfill';
import { runExport } from '../../src/export/runExport';
import { readExports } from '../support/exports';
import { currentVersions, duplicates, keyOf, missing } from '../support/invariants';
import { SOURCES, startWorld, type World } from '../support/world';

const ago = (ms: number): string => minusMs(fromDate(new Date()), ms);

/**
 * A bulk change (e.g. closing many incidents at once) gives hundreds of incidents one lastUpdateTime.
 * Microsoft Graph refuses $skip above 500, so such a tie cannot be paged with $skip alone: it is read in
 * creation-time slices (sources/pullPosition.ts). The simulated Graph refuses $skip=501 as documented.
 */
describe.each([SOURCES.defender, SOURCES.graph])('a tie deeper than $skip 500 ($name source)', (source) => {
  let world: World;
  let deepestSkip: number;
  beforeEach(async () => {
    // Pacing is measured by the bench; here the exporter may call as fast as the simulated API answers.
    world = await startWorld({
      source: source.name,
      tenant: { seedIncidents: 0 },
      settings: { API_CALLS_PER_MINUTE: '100000', API_CALLS_PER_HOUR: '1000000' },
    });
    deepestSkip = 0;
  });
  afterEach(async () => {
    await world.close();
  });

  /** `count` incidents created at different times over `spreadMs`, all updated at one instant. */
  const bulkUpdate = (count: number, spreadMs: number): string => {
    const instant = world.tenant.incidents.issueTimestamp();
    for (let index = 0; index < count; index += 1)
      world.tenant.incidents.add({
        createdTime: ago(1000 + Math.floor((spreadMs * index) / count)),
        lastUpdateTime: instant,
      });
    return instant;
  };
  /** Every expected version is in the blobs under `prefix`, none twice, and no request went past $skip 500. */
  const expectEachVersionOnce = async (prefix: string, expected: readonly string[]): Promise<void> => {
    const exported = await readExports(world.container, prefix);
    expect(duplicates(exported)).toEqual([]);
    expect(missing(expected, exported)).toEqual([]);
    expect(deepestSkip).toBeLessThanOrEqual(500);
  };
  /** During the pull: every third page, a new incident is created above the cursor. */
  const createWhilePaging = (): void => {
    world.tenant.faults.onIncidentsPage = ({ requestIndex, skip }) => {
      deepestSkip = Math.max(deepestSkip, skip);
      if (requestIndex % 3 === 0) world.tenant.incidents.add();
    };
  };

  it.each([
    [600, 30 * 86_400_000],
    [1500, 2 * 3_600_000],
    [600, 1500],
  ])(
    'exports %i incidents updated at one instant (created over %i ms), the older ones and the new ones exactly once',
    async (count, spreadMs) => {
      world.tenant.incidents.seed(120, { spreadHours: 24 });
      bulkUpdate(count, spreadMs);
      createWhilePaging();

      const first = await world.run();
      world.tenant.faults.onIncidentsPage = ({ skip }) => void (deepestSkip = Math.max(deepestSkip, skip));
      world.tenant.incidents.add();
      const second = await world.run();

      expect(first.complete).toBe(true);
      expect(second.complete).toBe(true);
      await expectEachVersionOnce('incidents/', currentVersions(world.tenant));
    },
  );

  it('resumes a deep tie that a run budget cut in the middle, with nothing lost or twice', async () => {
    world.tenant.incidents.seed(60, { spreadHours: 24 });
    bulkUpdate(900, 6 * 3_600_000);
    let pages = 0;
    world.tenant.faults.onIncidentsPage = ({ skip }) => {
      deepestSkip = Math.max(deepestSkip, skip);
      pages += 1;
    };
    // Each run may read a few pages only: its budget runs out (by the injected clock) after four pages.
    let runs = 0;
    for (; runs < 60; runs += 1) {
      const budgetStart = pages;
      const limited = {
        ...world.deps,
        clock: { ...systemClock, now: () => new Date(Date.now() + (pages - budgetStart >= 4 ? 3_600_000 : 0)) },
      };
      const summary = await runExport(limited, { trigger: 'test', logger: world.logger });
      if (summary.complete) break;
    }

    expect(runs).toBeGreaterThan(2);
    await expectEachVersionOnce('incidents/', currentVersions(world.tenant));
  });

  it('loses nothing when incidents of the tie already read are updated while the tie is paged', async () => {
    // The tie two hours back, newer incidents above it: the next run's overlap does not read the tie again.
    const instant = ago(2 * 3_600_000);
    const tieIds = Array.from(
      { length: 700 },
      (_, index) =>
        world.tenant.incidents.add({ createdTime: ago(3 * 3_600_000 + index * 60_000), lastUpdateTime: instant }).id,
    );
    world.tenant.incidents.seed(60, { spreadHours: 1 });
    let requests = 0;
    let updated = 0;
    // From the third page on, every page: three incidents of the tie (read or not) are updated, leaving it.
    world.tenant.faults.onIncidentsPage = ({ skip }) => {
      deepestSkip = Math.max(deepestSkip, skip);
      if ((requests += 1) < 3) return;
      for (let k = 0; k < 3 && updated < tieIds.length; k += 1)
        world.tenant.incidents.update(tieIds[(updated++ * 97) % tieIds.length] ?? 0);
    };

    const first = await world.run();
    world.tenant.faults.onIncidentsPage = undefined;
    const second = await world.run();

    expect(first.complete && second.complete).toBe(true);
    expect(updated).toBeGreaterThan(30);
    await expectEachVersionOnce('incidents/', currentVersions(world.tenant));
  });

  it('backfills a window holding a deep tie exactly once', async () => {
    world.tenant.incidents.seed(100, { spreadHours: 20 });
    bulkUpdate(700, 12 * 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const to = fromDate(new Date());
    // Incidents created while the backfill pages are newer than its window: the timer's export takes them.
    createWhilePaging();
    const job = await startBackfill(world.deps, minusMs(to, 24 * 3_600_000), to, 'test');

    const result = await runBackfill(world.deps, job.id, { trigger: 'test', logger: world.logger });

    expect(result.job.status).toBe('complete');
    const expected = world.tenant.incidents
      .all()
      .filter((i) => i.lastUpdateTime < result.job.to)
      .map((i) => keyOf(i.id, i.lastUpdateTime));
    await expectEachVersionOnce('backfill/', expected);
  });
});
