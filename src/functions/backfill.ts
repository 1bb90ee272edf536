import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { describeError, ExporterError } from '../common/errors';
import type { ExportDependencies } from '../export/exportDependencies';
import { normalizeTenantId, tenantIdProblem } from '../tenants/registry';
import { singleTenantExporter } from '../tenants/singleTenant';
import { tenantRunnerFor } from '../tenants/tenantRunner';
import { BackfillJobStore, validateBackfillWindow } from '../export/backfillJob';
import { startBackfill } from '../export/runBackfill';
import { property } from '../common/jsonFields';
import { getRuntime, type ExporterRuntime } from '../runtime/exporterRuntime';
import { contextLogger } from './contextLogger';

/**
 * `POST /api/backfill` with `{"from": "...", "to": "..."}` (and `"tenantId"` when the deployment has a tenant
 * registry) starts (or returns) the backfill job of that window and answers 202; the tenant's next runs continue
 * it. `GET /api/backfill/{id}` (`?tenantId=` with a registry) reports a job.
 * Function-key protected. Input problems answer 400 with every problem and its fix.
 */
export function backfillHandlerFor(
  runtime: () => ExporterRuntime,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return (request, context) => handleBackfill(runtime(), request, context);
}

/**
 * The exporter a request means: `tenantId` (body of a POST, query of a GET) names a registered tenant; without it,
 * the single-tenant exporter, which a deployment with a tenant registry does not have (400: give the tenant).
 */
async function exporterFor(
  runtime: ExporterRuntime,
  tenantId: unknown,
): Promise<{ deps: ExportDependencies } | { error: HttpResponseInit }> {
  const runner = tenantRunnerFor(runtime);
  if (tenantId === undefined || tenantId === null || tenantId === '') {
    const tenants = await runner.enabledTenants();
    // Neither a registry nor DEFENDER_TENANT_ID: the invocation fails with one line naming both fixes.
    if (tenants === undefined) return { deps: singleTenantExporter(runtime) };
    return {
      error: {
        status: 400,
        jsonBody: {
          error:
            `This deployment exports the tenants of its registry: name one with "tenantId" (one of ` +
            `${tenants.map((tenant) => tenant.tenantId).join(', ') || 'none enabled'}).`,
        },
      },
    };
  }
  if (typeof tenantId !== 'string')
    return { error: { status: 400, jsonBody: { error: "'tenantId' must be a string." } } };
  const problem = tenantIdProblem(normalizeTenantId(tenantId));
  if (problem !== undefined) return { error: { status: 400, jsonBody: { error: problem } } };
  try {
    return { deps: (await runner.exporterOf(tenantId)).deps };
  } catch (error) {
    if (error instanceof ExporterError && error.code === 'TenantUnknown')
      return { error: { status: 404, jsonBody: { error: error.message } } };
    throw error;
  }
}

async function handleBackfill(
  runtime: ExporterRuntime,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const logger = contextLogger(context);
  if (request.method === 'GET') {
    const target = await exporterFor(runtime, request.query.get('tenantId') ?? undefined);
    if ('error' in target) return target.error;
    const store = new BackfillJobStore(target.deps.stateContainer, target.deps.layout);
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
        error:
          `The body is not JSON (${describeError(error)}): send {"from": "2026-11-01T00:00:00Z", ` +
          `"to": "2026-11-02T00:00:00Z"}.`,
      },
    };
  }
  const target = await exporterFor(runtime, property(body, 'tenantId'));
  if ('error' in target) return target.error;
  const { deps } = target;
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
      ...(deps.layout.tenantId === undefined ? {} : { tenantId: deps.layout.tenantId }),
      statusUrl:
        `/api/backfill/${job.id}` +
        `${deps.layout.tenantId === undefined ? '' : `?tenantId=${encodeURIComponent(deps.layout.tenantId)}`}`,
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
