import type { Clock } from '../../src/common/clock';
import type { Logger } from '../../src/common/logger';
import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';
import { ExportCheckpoint } from '../../src/export/exportCheckpoint';
import { ExportLedger } from '../../src/export/exportLedger';
import { parseState, type ExportState } from '../../src/export/exportState';
import type { CommittedPart } from '../../src/export/partWriter';
import { planWindow } from '../../src/export/windowPlan';
import { newSourceStats, type IncidentSource, type RawIncident } from '../../src/sources/incident';

const ts = (text: string): Timestamp => requireTimestamp(text, 'test');
const incident = (id: string, time: string): RawIncident => ({
  id,
  lastUpdateTime: ts(time),
  json: Buffer.from(`{"incidentId":${id}}`),
});
const started = new Date('2026-11-28T12:00:00.000Z');
const overlapMs = 15 * 60_000;
const run = { runId: 'run-1', trigger: 'timer' };
const earlierSuccess = { runId: 'run-0', at: '2026-11-28T11:05:00.000Z', trigger: 'timer', incidents: 4 };
const previous: ExportState = parseState(
  JSON.stringify({
    schemaVersion: 1,
    watermark: '2026-11-28T11:00:00Z',
    exported: {},
    source: 'defender',
    updatedAt: earlierSuccess.at,
    lastRun: earlierSuccess,
    lastSuccess: earlierSuccess,
  }),
);

/** The part writer as the checkpoint uses it: incidents are "appended" by count, each commit makes a part. */
function fakeWriter() {
  const committed: CommittedPart[] = [];
  const metadata: Record<string, string>[] = [];
  let openIncidents = 0;
  let healthy = true;
  return {
    committed,
    metadata,
    get healthy(): boolean {
      return healthy;
    },
    appended(count: number): void {
      openIncidents += count;
    },
    uploadFailed(): void {
      healthy = false;
    },
    commitOpenPart(partMetadata: Record<string, string>): Promise<CommittedPart | undefined> {
      metadata.push(partMetadata);
      if (openIncidents === 0) return Promise.resolve(undefined);
      const part = { name: `export/part${committed.length + 1}.json`, incidents: openIncidents, bytes: 100 };
      openIncidents = 0;
      committed.push(part);
      return Promise.resolve(part);
    },
  };
}

/** The state file as the checkpoint uses it: every saved state, in order; optionally failing. */
function fakeStateFile(options: { failWith?: Error } = {}) {
  const saved: ExportState[] = [];
  return {
    saved,
    save(next: ExportState): Promise<ExportState> {
      if (options.failWith) return Promise.reject(options.failWith);
      saved.push(next);
      return Promise.resolve(next);
    },
  };
}

function fakeSource(alertsOmittedPages = 0): IncidentSource {
  return {
    name: 'defender',
    stats: { ...newSourceStats(), alertsOmittedPages },
    pull: () => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('not pulled in these tests')) }),
    }),
  };
}

const fixedClock = (at: string): Clock => ({ now: () => new Date(at), sleep: () => Promise.resolve() });

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, error: () => undefined, warn: (message) => warnings.push(message) };
}

/** A run resuming nothing: the window is the watermark minus the overlap. */
function checkpointFor(options: { stateFile?: ReturnType<typeof fakeStateFile>; alertsOmittedPages?: number } = {}) {
  const plan = planWindow(previous, started, { initialLookbackHours: 48, overlapMinutes: 15, sourceName: 'defender' });
  const ledger = new ExportLedger(previous, plan, overlapMs, started.toISOString());
  const writer = fakeWriter();
  const stateFile = options.stateFile ?? fakeStateFile();
  const checkpoint = new ExportCheckpoint(run, {
    plan,
    ledger,
    writer,
    stateFile,
    source: fakeSource(options.alertsOmittedPages),
    clock: fixedClock('2026-11-28T12:03:00.000Z'),
  });
  /** One page read: its incidents accepted and appended, the pull moved on to `cursor`. */
  const readPage = (incidents: RawIncident[], cursor: string): void => {
    writer.appended(incidents.filter((i) => ledger.accept(i)).length);
    ledger.advance({ cursor: ts(cursor), skip: 1 });
  };
  return { plan, ledger, writer, stateFile, checkpoint, readPage };
}

describe('ExportCheckpoint.commit', () => {
  it('at a budget stop records a pass in progress at the cursor, keeping the watermark', async () => {
    const { checkpoint, stateFile, readPage, plan } = checkpointFor();
    readPage([incident('3', '2026-11-28T11:58:00Z'), incident('2', '2026-11-28T11:56:00Z')], '2026-11-28T11:56:00Z');

    await checkpoint.commit(false);

    const [state] = stateFile.saved;
    expect(state?.watermark).toBe('2026-11-28T11:00:00.0000000Z');
    expect(state?.pass).toEqual({
      from: plan.from,
      newest: '2026-11-28T11:58:00.0000000Z',
      cursor: '2026-11-28T11:56:00.0000000Z',
      skip: 1,
      startedAt: started.toISOString(),
    });
    expect(state?.lastSuccess).toMatchObject({ runId: 'run-1', blobs: ['export/part1.json'], incidents: 2 });
    expect(state?.updatedAt).toBe('2026-11-28T12:03:00.000Z');
  });

  it('commits the open part, labelled with the window the run read, and names it in the state it saves', async () => {
    const { checkpoint, writer, stateFile, readPage, plan } = checkpointFor();
    readPage([incident('3', '2026-11-28T11:58:00Z')], '2026-11-28T11:58:00Z');

    await checkpoint.commit(false);

    expect(writer.committed).toHaveLength(1);
    expect(writer.metadata).toEqual([
      {
        kind: 'export',
        windowfrom: plan.from,
        windowto: '2026-11-28T11:58:00.0000000Z',
        source: 'defender',
        runid: 'run-1',
        trigger: 'timer',
      },
    ]);
    expect(stateFile.saved[0]?.lastRun?.blobs).toEqual(['export/part1.json']);
  });

  it('marks the parts of a run that read some pages without their alerts', async () => {
    const { checkpoint, writer, readPage } = checkpointFor({ alertsOmittedPages: 1 });
    readPage([incident('3', '2026-11-28T11:58:00Z')], '2026-11-28T11:58:00Z');

    await checkpoint.commit(false);

    expect(writer.metadata[0]).toMatchObject({ alerts: 'omitted-on-some-pages' });
  });

  it('once the pull reached the window start, moves the watermark to the newest incident and ends the pass', async () => {
    const { checkpoint, stateFile, readPage, ledger } = checkpointFor();
    readPage([incident('3', '2026-11-28T11:58:00Z')], '2026-11-28T11:58:00Z');
    ledger.advance(undefined);

    await checkpoint.commit(true);

    const [state] = stateFile.saved;
    expect(state?.watermark).toBe('2026-11-28T11:58:00.0000000Z');
    expect(state?.pass).toBeUndefined();
  });
});

describe('ExportCheckpoint.keepAfterFailure', () => {
  it('keeps the parts committed before the failure and the pages read since, without moving the watermark', async () => {
    const { checkpoint, stateFile, writer, readPage } = checkpointFor();
    readPage([incident('3', '2026-11-28T11:58:00Z'), incident('2', '2026-11-28T11:56:00Z')], '2026-11-28T11:56:00Z');
    await checkpoint.commit(false);
    readPage([incident('1', '2026-11-28T11:50:00Z')], '2026-11-28T11:50:00Z');
    const log = recordingLogger();

    await checkpoint.keepAfterFailure(log);

    const kept = stateFile.saved.at(-1);
    expect(writer.committed.map((part) => part.name)).toEqual(['export/part1.json', 'export/part2.json']);
    expect(kept?.watermark).toBe('2026-11-28T11:00:00.0000000Z');
    expect(kept?.pass).toMatchObject({
      cursor: '2026-11-28T11:50:00.0000000Z',
      newest: '2026-11-28T11:58:00.0000000Z',
    });
    expect(kept?.lastRun).toMatchObject({ runId: 'run-1', blobs: ['export/part1.json', 'export/part2.json'] });
    expect(kept?.exported).toMatchObject({
      '1': '2026-11-28T11:50:00.0000000Z',
      '2': '2026-11-28T11:56:00.0000000Z',
      '3': '2026-11-28T11:58:00.0000000Z',
    });
    expect(log.warnings).toEqual([]);
  });

  it('does not count the failed run as a success', async () => {
    const { checkpoint, stateFile, readPage } = checkpointFor();
    readPage([incident('1', '2026-11-28T11:50:00Z')], '2026-11-28T11:50:00Z');

    await checkpoint.keepAfterFailure(recordingLogger());

    expect(stateFile.saved.at(-1)?.lastSuccess).toEqual(earlierSuccess);
  });

  it('records nothing after a failed upload, since what was appended may be lost', async () => {
    const { checkpoint, stateFile, writer, readPage } = checkpointFor();
    readPage([incident('1', '2026-11-28T11:50:00Z')], '2026-11-28T11:50:00Z');
    writer.uploadFailed();

    await checkpoint.keepAfterFailure(recordingLogger());

    expect(writer.committed).toEqual([]);
    expect(stateFile.saved).toEqual([]);
  });

  it('records nothing when the pull failed before it got past where it started', async () => {
    const { checkpoint, stateFile, writer } = checkpointFor();

    await checkpoint.keepAfterFailure(recordingLogger());

    expect(writer.metadata).toEqual([]);
    expect(stateFile.saved).toEqual([]);
  });

  it('only warns when the state cannot be written: the pull failure is what the caller reports', async () => {
    const stateFile = fakeStateFile({ failWith: new Error('state blob unavailable') });
    const { checkpoint, readPage } = checkpointFor({ stateFile });
    readPage([incident('1', '2026-11-28T11:50:00Z')], '2026-11-28T11:50:00Z');
    const log = recordingLogger();

    await checkpoint.keepAfterFailure(log);

    expect(log.warnings).toHaveLength(1);
  });
});

describe('ExportCheckpoint.reportStop', () => {
  it('warns that the budget stopped the pull, and says nothing once the pull is complete', () => {
    const { checkpoint } = checkpointFor();
    const log = recordingLogger();

    checkpoint.reportStop({ complete: true, checkpointStop: false }, 60_000, log);
    const afterComplete = [...log.warnings];
    checkpoint.reportStop({ complete: false, checkpointStop: false }, 60_000, log);

    expect(afterComplete).toEqual([]);
    expect(log.warnings).toHaveLength(1);
  });
});
