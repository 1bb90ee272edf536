import { startCli } from '../support/childRun';
import { cliEnvironment, runCli, type CliResult } from '../support/cli';
import { divergentDuplicates, FAST_PACING, incompleteBlobs, notBefore, readState } from '../support/exportChecks';
import { listBlobNames, readExports } from '../support/exports';
import { currentVersions, missing } from '../support/invariants';
import { LeakLedger } from '../support/leakLedger';
import { SeededRandom } from '../support/seededRandom';
import { startWorld, type World } from '../support/world';

/** The run's own duration, from the summary line ("…, 1.4 s"). */
function reportedSeconds(result: CliResult): number {
  return Number(/, ([\d.]+) s(?:;|$)/m.exec(result.stdout)?.[1] ?? 'NaN');
}

/** Real `defender-export run` processes: two at once, and runs bounded by RUN_BUDGET_SECONDS. */
describe('run processes', () => {
  const ledger = new LeakLedger();
  let world: World;
  const worlds: World[] = [];
  const fresh = async (): Promise<World> => {
    world = await startWorld({ tenant: { seedIncidents: 0 }, settings: FAST_PACING });
    worlds.push(world);
    return world;
  };
  const record = (label: string, result: CliResult): void => ledger.record(label, `${result.stdout}\n${result.stderr}`);

  afterAll(async () => {
    for (const w of worlds) {
      await ledger.recordBlobs('final', w.container);
      ledger.record('logs', w.logLines.join('\n'));
    }
    const leaks = worlds.flatMap((w) => ledger.findLeaks(w.tenant).findings);
    for (const w of worlds) await w.close();
    expect(leaks).toEqual([]);
  });

  it('lets two processes started together lose nothing, round after round, never moving the watermark backwards', async () => {
    await fresh();
    const random = new SeededRandom(7);
    world.tenant.incidents.seed(300, { spreadHours: 30 });
    // Slow pages so the two processes really overlap.
    world.tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: 30, persistent: true });
    let watermark: string | undefined;
    let bothSucceeded = 0;
    for (let round = 0; round < 4; round += 1) {
      const ids = world.tenant.incidents.all().map((incident) => incident.id);
      for (let i = 0; i < 25; i += 1) world.tenant.incidents.update(random.pick(ids));
      world.tenant.incidents.addTied(random.int(5, 40));
      for (let i = 0; i < random.int(20, 120); i += 1) world.tenant.incidents.add();

      const [a, b] = await Promise.all([
        startCli(['run'], cliEnvironment(world)).done,
        startCli(['run'], cliEnvironment(world)).done,
      ]);
      record(`round ${round} a`, a);
      record(`round ${round} b`, b);
      // Both normally succeed (the second merges its state into the first's); if both picked the same
      // execution time, one fails loudly with BlobAlreadyExists and exports nothing.
      for (const result of [a, b]) if (result.code !== 0) expect(result.stderr).toMatch(/already exists/);
      expect([a.code, b.code]).toContain(0);
      if (a.code === 0 && b.code === 0) bothSucceeded += 1;

      const state = await readState(world.container);
      expect(notBefore(state?.watermark, watermark)).toBe(true);
      watermark = state?.watermark;
      expect(state?.pass).toBeUndefined();
      expect(await incompleteBlobs(world.container)).toEqual([]);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(divergentDuplicates(exported)).toEqual([]);
      const newest = exported.map((v) => v.lastUpdateTime).reduce((x, y) => (y > x ? y : x), '');
      expect(state?.watermark).toBe(newest);
    }
    expect(bothSucceeded).toBeGreaterThan(0);
  });

  it(
    'drains a backlog larger than the budget: each process ends inside RUN_BUDGET_SECONDS, ' +
      'makes progress and moves the pull cursor down',
    async () => {
      await fresh();
      world.tenant.incidents.seed(4000, { spreadHours: 40 });
      world.tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: 150, persistent: true });
      const env = cliEnvironment(world, { RUN_BUDGET_SECONDS: '2' });
      const cursors: string[] = [];
      let runs = 0;
      for (;;) {
        runs += 1;
        expect(runs).toBeLessThan(40);
        const blobsBefore = (await world.container.exists())
          ? (await listBlobNames(world.container, 'incidents/')).length
          : 0;
        const result = await runCli(['run'], env);
        record(`backlog run ${runs}`, result);
        expect(result.code).toBe(0);
        // The run's own clock: inside the budget plus one page in flight and the commit. Generous for a loaded
        // machine; a process ignoring its budget drains all 40 slow pages in one run, which the pass check below catches.
        expect(reportedSeconds(result)).toBeLessThanOrEqual(2 * 5);
        const state = await readState(world.container);
        if (state?.pass === undefined) break;
        expect(result.stderr).toMatch(/Run budget reached: stopping cleanly; the next run continues the pull/);
        expect((await listBlobNames(world.container, 'incidents/')).length).toBeGreaterThan(blobsBefore);
        const previous = cursors[cursors.length - 1];
        if (previous !== undefined) expect(state.pass.cursor < previous).toBe(true);
        cursors.push(state.pass.cursor);
      }
      expect(cursors.length).toBeGreaterThanOrEqual(2);
      const exported = await readExports(world.container);
      expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
      expect(divergentDuplicates(exported)).toEqual([]);
    },
  );

  it('stops cleanly with exit 0 when 429s outlast the budget, keeping what it has, and the next process continues', async () => {
    await fresh();
    world.tenant.incidents.seed(30, { spreadHours: 2 });
    expect((await runCli(['run'], cliEnvironment(world))).code).toBe(0);
    const before = await readState(world.container);
    world.tenant.incidents.seed(350, { spreadHours: 0.2 });
    // The first page is served; every later page is throttled for longer than the run may wait.
    world.tenant.faults.inject({
      server: 'defender',
      kind: '429',
      retryAfterSeconds: 1,
      persistent: true,
      match: (r) => (r.query.$filter ?? '').includes(' le '),
    });
    const env = cliEnvironment(world, { RUN_BUDGET_SECONDS: '3' });
    const stopped = await runCli(['run'], env);
    record('429 burst', stopped);
    expect(stopped.code).toBe(0);
    // Generous for a loaded machine: a process ignoring its budget would wait on the 429s without end.
    expect(reportedSeconds(stopped)).toBeLessThanOrEqual(3 * 5);
    expect(stopped.stderr).toMatch(/Run budget reached while waiting on the API; committing what this run has/);
    expect(stopped.stdout).toMatch(
      /^exported 9\d incidents to 1 blob .* \(unchanged\); 1 page, \d+ already exported, [1-9]\d* throttled waits?/,
    );
    const afterStop = await readState(world.container);
    expect(afterStop?.watermark).toBe(before?.watermark);
    expect(afterStop?.pass?.cursor).toBeDefined();

    world.tenant.faults.clear();
    const next = await runCli(['run'], env);
    record('after the burst', next);
    expect(next.code).toBe(0);
    expect(next.stderr).not.toMatch(/error:|Run budget reached/);
    expect((await readState(world.container))?.pass).toBeUndefined();
    const exported = await readExports(world.container);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(divergentDuplicates(exported)).toEqual([]);
  });

  // GAP (reported): the one-line summary on stdout reads like a complete run; only a stderr warning says
  // the budget stopped it. A script or operator reading stdout cannot tell that the pull is unfinished.
  it('says on its summary line that a budget-stopped run is incomplete', async () => {
    await fresh();
    world.tenant.incidents.seed(30, { spreadHours: 2 });
    world.tenant.faults.inject({ server: 'defender', kind: '429', retryAfterSeconds: 10, persistent: true });
    const stopped = await runCli(['run'], cliEnvironment(world, { RUN_BUDGET_SECONDS: '2' }));
    record('incomplete summary', stopped);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/incomplete/);
  });
});
