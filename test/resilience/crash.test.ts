import { startCli, type ChildRun } from '../support/childRun';
import { cliEnvironment, runCli } from '../support/cli';
import { divergentDuplicates, FAST_PACING, incompleteBlobs, notBefore, readState } from '../support/exportChecks';
import { listBlobNames, readExports } from '../support/exports';
import { FaultyStorageProxy, storageRequests } from '../support/faultyStorageProxy';
import { currentVersions, missing } from '../support/invariants';
import { LeakLedger } from '../support/leakLedger';
import { SeededRandom, seedFromEnv } from '../support/seededRandom';
import { startWorld, type World } from '../support/world';

/**
 * A real `defender-export run` process killed with SIGKILL (no cleanup, no flush) at chosen points of
 * its write sequence (pull pages -> stage block -> commit block list -> write state), then at seeded
 * random moments. After every kill: no partial blob is visible and the state still parses; after a
 * normal rerun every current version is exported, and any duplicate is the very same version.
 */
describe('a run process killed with SIGKILL', () => {
  const ledger = new LeakLedger();
  let world: World;
  let proxy: FaultyStorageProxy;
  const env = (extra: Record<string, string> = {}): Record<string, string> =>
    cliEnvironment(world, { EXPORT_STORAGE: proxy.connectionString, ...extra });

  beforeAll(async () => {
    world = await startWorld({ tenant: { seedIncidents: 0 }, settings: FAST_PACING });
    proxy = await FaultyStorageProxy.start(world.azurite.connectionString);
    world.tenant.incidents.seed(200, { spreadHours: 20 });
    await world.run();
  });
  afterAll(async () => {
    await proxy.close();
    await world.close();
  });

  /** Updates some incidents and creates new ones: enough for two pages or more. */
  function mutate(random: SeededRandom): void {
    const ids = world.tenant.incidents.all().map((incident) => incident.id);
    for (let i = 0; i < 20; i += 1) world.tenant.incidents.update(random.pick(ids));
    for (let i = 0; i < random.int(110, 180); i += 1) world.tenant.incidents.add();
  }

  /** What must hold right after any kill. */
  async function expectIntactAfterKill(label: string, watermarkBefore: string | undefined): Promise<void> {
    expect(await incompleteBlobs(world.container)).toEqual([]);
    const state = await readState(world.container);
    expect(notBefore(state?.watermark, watermarkBefore)).toBe(true);
    await ledger.recordBlobs(label, world.container);
  }

  /** A normal rerun exports every current version; duplicates are the same version. */
  async function expectRerunRecovers(label: string): Promise<void> {
    const summary = await world.run();
    expect(summary.complete).toBe(true);
    const exported = await readExports(world.container);
    expect(missing(currentVersions(world.tenant), exported)).toEqual([]);
    expect(divergentDuplicates(exported)).toEqual([]);
    ledger.record(`${label}: logs`, world.logLines.join('\n'));
  }

  const points: {
    readonly name: string;
    readonly arm: (run: ChildRun) => void;
    readonly blobCommitted: boolean;
    readonly stateWritten: boolean;
  }[] = [
    {
      name: 'while pulling pages, before any blob write',
      arm: (run) => {
        let pages = 0;
        world.tenant.faults.onIncidentsPage = () => {
          pages += 1;
          if (pages === 2) run.kill();
        };
      },
      blobCommitted: false,
      stateWritten: false,
    },
    {
      name: 'while staging the blob block',
      arm: (run) => void proxy.inject({ match: storageRequests.stageBlock, fault: { kind: 'hold' } }).then(run.kill),
      blobCommitted: false,
      stateWritten: false,
    },
    {
      name: 'while committing the block list',
      arm: (run) =>
        void proxy.inject({ match: storageRequests.commitBlockList, fault: { kind: 'hold' } }).then(run.kill),
      blobCommitted: false,
      stateWritten: false,
    },
    {
      name: 'after the blob commit, before the state write',
      arm: (run) => void proxy.inject({ match: storageRequests.stateWrite, fault: { kind: 'hold' } }).then(run.kill),
      blobCommitted: true,
      stateWritten: false,
    },
    {
      name: 'after the state write, before the process exits',
      arm: (run) =>
        void proxy.inject({ match: storageRequests.stateWrite, fault: { kind: 'holdReply' } }).then(run.kill),
      blobCommitted: true,
      stateWritten: true,
    },
  ];

  it.each(points.map((point, index) => [point.name, index] as const))(
    'loses nothing when killed %s',
    async (name, index) => {
      const point = points[index];
      if (point === undefined) throw new Error(name);
      const random = new SeededRandom(100 + index);
      mutate(random);
      const before = await readState(world.container);
      const blobsBefore = await listBlobNames(world.container, 'incidents/');

      const run = startCli(['run'], env());
      point.arm(run);
      const result = await run.done;
      world.tenant.faults.onIncidentsPage = undefined;
      proxy.clear();
      ledger.record(`${name}: cli`, result.stdout + result.stderr);

      expect(result.signal).toBe('SIGKILL');
      await expectIntactAfterKill(name, before?.watermark);
      const after = await readState(world.container);
      const newBlobs = (await listBlobNames(world.container, 'incidents/')).filter(
        (blob) => !blobsBefore.includes(blob),
      );
      expect(newBlobs).toHaveLength(point.blobCommitted ? 1 : 0);
      if (point.stateWritten) expect(after?.watermark).not.toBe(before?.watermark);
      else expect(after?.watermark).toBe(before?.watermark);
      await expectRerunRecovers(name);
    },
  );

  it('loses nothing when killed at seeded random moments, several times in a row', async () => {
    const seed = seedFromEnv('CRASH_SEED', 4242);
    const random = new SeededRandom(seed);
    world.tenant.faults.inject({ server: 'defender', kind: 'slow', delayMs: 40, persistent: true });
    // Each kill picks an anchor event of the run at random, then a random delay after it; every storage
    // write is slowed by 150 ms so the delay lands before, inside or after that write.
    const anchors = ['start', 'page', 'stage', 'commit', 'state'] as const;
    const phases: Record<string, number> = {};
    for (let iteration = 0; iteration < 10; iteration += 1) {
      mutate(random);
      const before = await readState(world.container);
      const blobsBefore = await listBlobNames(world.container, 'incidents/');
      const storageBefore = proxy.requests.length;
      const pagesBefore = world.tenant.requests.filter((r) => r.server === 'defender').length;
      const anchor = random.pick(anchors);
      const delayMs =
        anchor === 'start' ? random.int(0, 1500) : anchor === 'page' ? random.int(0, 60) : random.int(0, 300);
      const run = startCli(['run'], env());
      const killSoon = (): void => void setTimeout(run.kill, delayMs);
      const match = {
        stage: storageRequests.stageBlock,
        commit: storageRequests.commitBlockList,
        state: storageRequests.stateWrite,
      };
      if (anchor === 'start') killSoon();
      else if (anchor === 'page') world.tenant.faults.onIncidentsPage = () => killSoon();
      else void proxy.inject({ match: match[anchor], fault: { kind: 'delay', delayMs: 150 } }).then(killSoon);
      void proxy.inject({ match: (r) => r.method === 'PUT', fault: { kind: 'delay', delayMs: 150 }, persistent: true });
      const result = await run.done;
      world.tenant.faults.onIncidentsPage = undefined;
      proxy.clear();
      ledger.record(`random kill ${iteration}: cli`, result.stdout + result.stderr);
      await expectIntactAfterKill(`random kill ${iteration}`, before?.watermark);

      const after = await readState(world.container);
      const committed = (await listBlobNames(world.container, 'incidents/')).length > blobsBefore.length;
      const storageWrites = proxy.requests.slice(storageBefore).filter((r) => r.method === 'PUT').length;
      const pages = world.tenant.requests.filter((r) => r.server === 'defender').length - pagesBefore;
      const phase =
        result.signal !== 'SIGKILL'
          ? 'finished first'
          : after?.watermark !== before?.watermark
            ? 'after the state write'
            : committed
              ? 'between commit and state write'
              : storageWrites > 0
                ? 'during the blob write'
                : pages > 0
                  ? 'mid-pull'
                  : 'before the pull';
      phases[phase] = (phases[phase] ?? 0) + 1;
      if (iteration % 3 === 2) await expectRerunRecovers(`random kill ${iteration}`);
    }
    world.tenant.faults.clear();
    await expectRerunRecovers('random kills');
    console.log(
      `crash: 10 random SIGKILLs (seed ${seed}): ${Object.entries(phases)
        .map(([phase, n]) => `${n} ${phase}`)
        .join(', ')}; 0 lost`,
    );
  });

  // BUG (reported): the very first run, killed between its blob commit and its first state write, leaves
  // exports without a state; every later run then stops with StateMissing until an operator resets the state.
  it('resumes after the very first run was killed between its blob commit and its first state write', async () => {
    const container = 'crash-first-run';
    const run = startCli(['run'], env({ EXPORT_CONTAINER: container }));
    void proxy.inject({ match: storageRequests.stateWrite, fault: { kind: 'hold' } }).then(run.kill);
    expect((await run.done).signal).toBe('SIGKILL');
    proxy.clear();
    const rerun = await runCli(['run'], env({ EXPORT_CONTAINER: container }));
    ledger.record('first-run crash: rerun', rerun.stdout + rerun.stderr);
    expect(rerun.stderr).not.toMatch(/^\S+Z error|^error:/m);
    expect(rerun.code).toBe(0);
  });

  it('never prints or stores the client secret or a token in any of the above', async () => {
    await ledger.recordBlobs('final', world.container);
    ledger.record('logs', world.logLines.join('\n'));
    const { findings, outputs, values } = ledger.findLeaks(world.tenant);
    expect(outputs).toBeGreaterThan(10);
    expect(values).toBeGreaterThan(3);
    expect(findings).toEqual([]);
  });
});
