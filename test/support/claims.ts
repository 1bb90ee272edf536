import type { Logger } from '../../src/common/logger';
import type { ExportState } from '../../src/export/exportState';
import type { ClaimOptions } from '../../src/export/runClaim';
import { stateFileOf } from '../../src/export/runExport';
import type { StateFile } from '../../src/export/stateFile';
import { StateConflictError, StateStore } from '../../src/export/stateStore';
import { genesisState } from '../../src/export/windowPlan';
import type { ProcessTenantRunner } from '../../src/tenants/tenantRunner';

/** Another run (another process) that claims the tenant's state and holds it, renewing, until released. */
export async function claimTenant(
  runner: ProcessTenantRunner,
  tenantId: string,
  logger: Logger,
  claim: Partial<ClaimOptions> = {},
): Promise<StateFile> {
  const { deps } = await runner.exporterOf(tenantId);
  await deps.ensureContainer();
  const stateFile = stateFileOf(deps, logger, { runId: 'other-run', trigger: 'test', ...claim });
  await stateFile.open(() => genesisState(deps.clock.now(), deps.settings));
  return stateFile;
}

/** A run that claimed the tenant and then died: its claim is in the state, and nobody renews or ends it. */
export async function leaveDeadClaim(runner: ProcessTenantRunner, tenantId: string): Promise<void> {
  const { deps } = await runner.exporterOf(tenantId);
  await deps.ensureContainer();
  const store = new StateStore(deps.stateContainer, deps.layout);
  const runClaim = { claimId: 'dead-claim', runId: 'dead-run', trigger: 'test', claimedAt: new Date().toISOString() };
  for (let attempt = 1; ; attempt += 1) {
    const { state, etag } = await store.read();
    const base: ExportState = state ?? genesisState(deps.clock.now(), deps.settings);
    try {
      await store.write({ ...base, runClaim }, etag);
      return;
    } catch (error) {
      // A live holder renewing meanwhile: read again, as a run taking over would.
      if (!(error instanceof StateConflictError) || attempt >= 50) throw error;
    }
  }
}
