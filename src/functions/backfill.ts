import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { describeError } from '../common/errors';
import { BackfillJobStore, validateBackfillWindow } from '../export/backfillJob';
import { startBackfill } from '../export/runBackfill';
import { property } from '../common/jsonFields';
import { getRuntime, type ExporterRuntime } from '../runtime/exporterRuntime';
import { contextLogger } from './contextLogger';

/**
 * `POST /api/backfill` with `{"from": "...", "to": "..."}` starts (or returns) the backfill job of that
 * window and answers 202; the timer continues it on each run. `GET /api/backfill/{id}` reports a job.
 * Function-key protected. Input problems answer 400 with every problem and its fix.
 */
export function backfillHandlerFor(
  runtime: () => ExporterRuntime,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return (request, context) => handleBackfill(runtime(), request, context);
}

async function handleBackfill(
  { deps }: ExporterRuntime,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const logger = contextLogger(context);
  const store = new BackfillJobStore(deps.container);
  if (request.method === 'GET') {
    const id = request.params.id;
    if (!id)
      return {
        status: 400,
        jsonBody: { error: 'Give the job id: GET /api/backfill/{id} (the id is in the answer to the POST).' },
      };
    const found = await store.read(id);
    return found
      ? { status: 200, jsonBody: found.job }
      : { status: 404, jsonBody: { error: `No backfill job '${id}'.` } };
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch (error) {
    return {
      status: 400,
      jsonBody: {
        error: `The body is not JSON (${describeError(error)}): send {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}.`,
      },
    };
  }
  const from = property(body, 'from');
  const to = property(body, 'to');
  const problems: string[] = [];
  if (from !== undefined && typeof from !== 'string') problems.push("'from' must be a string (ISO 8601 time).");
  if (to !== undefined && typeof to !== 'string') problems.push("'to' must be a string (ISO 8601 time).");
  const window = validateBackfillWindow(
    typeof from === 'string' ? from : undefined,
    typeof to === 'string' ? to : undefined,
    deps.clock.now(),
  );
  problems.push(...window.problems);
  if (problems.length > 0 || !window.from || !window.to)
    return { status: 400, jsonBody: { error: 'Invalid backfill request.', problems } };
  const job = await startBackfill(deps, window.from, window.to, `http:${context.invocationId}`);
  logger.info('Backfill requested', { job: job.id, from: job.from, to: job.to, status: job.status });
  return {
    status: 202,
    jsonBody: {
      id: job.id,
      from: job.from,
      to: job.to,
      status: job.status,
      incidents: job.incidents,
      statusUrl: `/api/backfill/${job.id}`,
      note: 'Each run of exportIncidents continues pending backfills with the time its budget leaves.',
    },
  };
}

/** The registered handler: the instance's runtime, built from the app settings on first use. */
export const backfillHandler = backfillHandlerFor(() => getRuntime(process.env));

app.http('backfill', {
  methods: ['POST', 'GET'],
  authLevel: 'function',
  route: 'backfill/{id?}',
  handler: backfillHandler,
});
