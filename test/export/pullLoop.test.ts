import { BudgetExceededError, ApiError } from '../../src/common/errors';
import { requireTimestamp, type Timestamp } from '../../src/common/timestamp';
import { pullIntoParts, type PullLoopOptions } from '../../src/export/pullLoop';
import {
  newSourceStats,
  type IncidentPage,
  type IncidentSource,
  type PullOptions,
  type PullPosition,
  type PullWindow,
  type RawIncident,
} from '../../src/sources/incident';

const ts = (text: string): Timestamp => requireTimestamp(text, 'test');
const incident = (id: string, time: string): RawIncident => ({
  id,
  lastUpdateTime: ts(time),
  json: Buffer.from(`{"incidentId":${id}}`),
});
const at = (cursor: string, skip = 0): PullPosition => ({ cursor: ts(cursor), skip });
const page = (incidents: RawIncident[], next: PullPosition | undefined): IncidentPage => ({
  incidents,
  requestUrl: 'https://api.example/incidents',
  next,
});
const window: PullWindow = { from: ts('2026-11-28T00:00:00Z') };

/**
 * A source that yields `steps` in order (an Error is thrown where it stands) and, like the keyset pager,
 * asks shouldContinue before each request.
 */
function fakeSource(steps: readonly (IncidentPage | Error)[]): IncidentSource & {
  readonly requests: { window: PullWindow; options: PullOptions | undefined }[];
  readonly pagesServed: () => number;
} {
  const requests: { window: PullWindow; options: PullOptions | undefined }[] = [];
  let served = 0;
  return {
    name: 'defender',
    stats: newSourceStats(),
    requests,
    pagesServed: () => served,
    async *pull(pullWindow: PullWindow, options?: PullOptions): AsyncIterable<IncidentPage> {
      requests.push({ window: pullWindow, options });
      for (const step of steps) {
        if (options?.shouldContinue?.() === false) return;
        await Promise.resolve();
        if (step instanceof Error) throw step;
        served += 1;
        yield step;
      }
    },
  };
}

/**
 * Everything the loop does, in order: `append <id>`, `advance <cursor|end>`, `checkpoint`. The writer's part
 * is full at `partSize` incidents; a checkpoint commits it (starts a new one) and answers `checkpointAnswer`.
 */
function harness(
  source: IncidentSource,
  options: { partSize?: number; checkpointAnswer?: boolean; overrides?: Partial<PullLoopOptions> } = {},
) {
  const events: string[] = [];
  let open = 0;
  const writer = {
    get partFull(): boolean {
      return open >= (options.partSize ?? 2);
    },
    append(json: Buffer): Promise<void> {
      open += 1;
      events.push(`append ${json.toString()}`);
      return Promise.resolve();
    },
  };
  const loopOptions: PullLoopOptions = {
    source,
    window,
    start: { cursor: undefined, skip: 0 },
    writer,
    accept: () => true,
    known: () => false,
    advance: (next) => events.push(`advance ${next?.cursor ?? 'end'}`),
    shouldContinue: () => true,
    checkpoint: () => {
      open = 0;
      events.push('checkpoint');
      return Promise.resolve(options.checkpointAnswer ?? true);
    },
    ...options.overrides,
  };
  return { events, loopOptions };
}

describe('pullIntoParts', () => {
  it('checkpoints after each page that fills a part, once that page is counted, and leaves the last part open', async () => {
    const source = fakeSource([
      page([incident('5', '2026-11-28T11:00:00Z'), incident('4', '2026-11-28T10:00:00Z')], at('2026-11-28T10:00:00Z')),
      page([incident('3', '2026-11-28T09:00:00Z')], at('2026-11-28T09:00:00Z')),
      page([incident('2', '2026-11-28T08:00:00Z')], at('2026-11-28T08:00:00Z')),
      page([incident('1', '2026-11-28T07:00:00Z'), incident('0', '2026-11-28T06:00:00Z')], undefined),
    ]);
    const { events, loopOptions } = harness(source);

    const outcome = await pullIntoParts(loopOptions);

    expect(events).toEqual([
      'append {"incidentId":5}',
      'append {"incidentId":4}',
      'advance 2026-11-28T10:00:00.0000000Z',
      'checkpoint',
      'append {"incidentId":3}',
      'advance 2026-11-28T09:00:00.0000000Z',
      'append {"incidentId":2}',
      'advance 2026-11-28T08:00:00.0000000Z',
      'checkpoint',
      'append {"incidentId":1}',
      'append {"incidentId":0}',
      'advance end',
    ]);
    expect(outcome).toEqual({ complete: true, checkpointStop: false });
  });

  it('writes only the incidents the caller accepts', async () => {
    const source = fakeSource([
      page([incident('3', '2026-11-28T11:00:00Z'), incident('2', '2026-11-28T10:00:00Z')], undefined),
    ]);
    const { events, loopOptions } = harness(source, { overrides: { accept: (i) => i.id !== '3' } });

    await pullIntoParts(loopOptions);

    expect(events).toEqual(['append {"incidentId":2}', 'advance end']);
  });

  it('hands the window, the start, the known check, shouldContinue and the abort signal to the source', async () => {
    const source = fakeSource([page([], undefined)]);
    const start = at('2026-11-28T10:00:00Z', 3);
    const known = (): boolean => true;
    const shouldContinue = (): boolean => true;
    const abortSignal = new AbortController().signal;
    const { loopOptions } = harness(source, { overrides: { start, known, shouldContinue, abortSignal } });

    await pullIntoParts(loopOptions);

    expect(source.requests).toEqual([{ window, options: { start, known, shouldContinue, abortSignal } }]);
  });

  it('stops cleanly when shouldContinue turns false: not complete, nothing read after it', async () => {
    const source = fakeSource([
      page([incident('3', '2026-11-28T11:00:00Z')], at('2026-11-28T11:00:00Z')),
      page([incident('2', '2026-11-28T10:00:00Z')], undefined),
    ]);
    let requestsAllowed = 1;
    const { events, loopOptions } = harness(source, {
      overrides: { shouldContinue: () => requestsAllowed-- > 0 },
    });

    const outcome = await pullIntoParts(loopOptions);

    expect(outcome).toEqual({ complete: false, checkpointStop: false });
    expect(events).toEqual(['append {"incidentId":3}', 'advance 2026-11-28T11:00:00.0000000Z']);
  });

  it('stops when a checkpoint says another worker took over, without reading the next page', async () => {
    const source = fakeSource([
      page([incident('3', '2026-11-28T11:00:00Z')], at('2026-11-28T11:00:00Z')),
      page([incident('2', '2026-11-28T10:00:00Z')], undefined),
    ]);
    const { loopOptions } = harness(source, { partSize: 1, checkpointAnswer: false });

    const outcome = await pullIntoParts(loopOptions);

    expect(outcome).toEqual({ complete: false, checkpointStop: true });
    expect(source.pagesServed()).toBe(1);
  });

  it('ends a pull whose wait for the API would pass the budget as a budget stop, not a failure', async () => {
    const budget = new BudgetExceededError('Waiting 60 s for the API would pass the run budget.', {
      code: 'BudgetExceeded',
      retryable: true,
    });
    const source = fakeSource([page([incident('3', '2026-11-28T11:00:00Z')], at('2026-11-28T11:00:00Z')), budget]);
    const { events, loopOptions } = harness(source);

    const outcome = await pullIntoParts(loopOptions);

    expect(outcome).toEqual({ complete: false, budgetStop: budget, checkpointStop: false });
    expect(events).toEqual(['append {"incidentId":3}', 'advance 2026-11-28T11:00:00.0000000Z']);
  });

  it('lets a failing source fail the pull, after the checkpoint of the last full part and nothing more', async () => {
    const failure = new ApiError('The incidents API answered 500.', {
      code: 'ApiError',
      statusCode: 500,
      retryable: true,
    });
    const source = fakeSource([
      page([incident('3', '2026-11-28T11:00:00Z'), incident('2', '2026-11-28T10:00:00Z')], at('2026-11-28T10:00:00Z')),
      page([incident('1', '2026-11-28T09:00:00Z')], at('2026-11-28T09:00:00Z')),
      failure,
    ]);
    const { events, loopOptions } = harness(source);

    const pulling = pullIntoParts(loopOptions);

    await expect(pulling).rejects.toBe(failure);
    expect(events).toEqual([
      'append {"incidentId":3}',
      'append {"incidentId":2}',
      'advance 2026-11-28T10:00:00.0000000Z',
      'checkpoint',
      'append {"incidentId":1}',
      'advance 2026-11-28T09:00:00.0000000Z',
    ]);
  });

  it('lets a failing checkpoint fail the pull', async () => {
    const failure = new Error('commit failed');
    const source = fakeSource([
      page([incident('3', '2026-11-28T11:00:00Z')], at('2026-11-28T11:00:00Z')),
      page([incident('2', '2026-11-28T10:00:00Z')], undefined),
    ]);
    const { loopOptions } = harness(source, {
      partSize: 1,
      overrides: { checkpoint: () => Promise.reject(failure) },
    });

    await expect(pullIntoParts(loopOptions)).rejects.toBe(failure);
    expect(source.pagesServed()).toBe(1);
  });
});
