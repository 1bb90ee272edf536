import { join } from 'path';
import { describeError } from '../common/errors';
import { EXIT } from '../common/exitCodes';
import { createLogger, registerSensitive, type Logger } from '../common/logger';
import { settingsEnvironment } from '../config/settingsEnvironment';
import { formatSummary } from '../export/runSummary';
import { LOCAL_TENANT_FILE, removeLocalTenant, writeLocalTenant } from '../config/localTenantFile';
import { loadConfig, type Environment } from '../config/loadConfig';
import { parseNcrontab } from '../config/ncrontab';
import { SETTING_TABLE } from '../config/settings';
import { runExport } from '../export/runExport';
import { StateStore } from '../export/stateStore';
import { createRuntime } from '../runtime/exporterRuntime';
import { startAzurite, type AzuriteBlob } from './azurite';
import { formatTenantResult } from '../tenants/tenantResult';
import { singleTenantExporter } from '../tenants/singleTenant';
import { tenantRunnerFor, type TenantEntry } from '../tenants/tenantRunner';
import {
  keptDataNote,
  parseLocalTenants,
  registerLocalTenants,
  startEmbeddedTenant,
  usesSimulatedTenant,
  type EmbeddedTenant,
} from './embeddedTenant';
import { startLocalQueuePath, type LocalQueuePath } from './localQueuePath';

const AZURITE_PORT = 10000;
const AZURITE_QUEUE_PORT = 10001;
const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

function hostLogger(): Logger {
  const line = (level: string) => (text: string) =>
    process.stdout.write(`${new Date().toISOString()} ${level.padEnd(5)} ${text}\n`);
  return createLogger({ info: line('info'), warn: line('warn'), error: line('error') });
}

/**
 * `npm start`: the embedded host. With no tenant configured it starts Azurite (data in .azurite/) and the
 * simulated tenant, and keeps the simulated incidents changing; with local.settings.json filled in it runs
 * against the real tenant. Either way the exporter runs once now and then on EXPORT_SCHEDULE, exactly as
 * the timer would, until Ctrl+C. With LOCAL_TENANTS=<n> the simulated tenant serves n Entra tenants, all in the
 * tenant registry, and each tick takes the function app's queue path on Azurite's queue service: one message per
 * tenant, delivered to exportTenant's handler by a pump with the Functions host's semantics.
 */
async function main(): Promise<void> {
  const logger = hostLogger();
  const projectRoot = join(__dirname, '..', '..', '..');
  let env: Environment = settingsEnvironment(process.env, projectRoot);
  const embedded = usesSimulatedTenant(env);
  const localTenants = parseLocalTenants(env.LOCAL_TENANTS);
  if (localTenants !== undefined && !embedded)
    throw new Error(
      'LOCAL_TENANTS runs the simulated tenants, but DEFENDER_TENANT_ID or DEFENDER_CLIENT_ID is ' +
        'set (local.settings.json or the environment): remove them, or LOCAL_TENANTS.',
    );
  let azurite: AzuriteBlob | undefined;
  let tenant: EmbeddedTenant | undefined;
  let activity: NodeJS.Timeout | undefined;

  const storageSetting = env[SETTING_TABLE.storage.name] ?? env.AzureWebJobsStorage;
  if (embedded || storageSetting === undefined || storageSetting.trim() === DEVELOPMENT_STORAGE) {
    try {
      azurite = await startAzurite({
        port: AZURITE_PORT,
        location: join(projectRoot, '.azurite'),
        ...(localTenants === undefined ? {} : { queuePort: AZURITE_QUEUE_PORT }),
      });
    } catch (error) {
      const ports = localTenants === undefined ? `${AZURITE_PORT}` : `${AZURITE_PORT} and ${AZURITE_QUEUE_PORT}`;
      throw new Error(
        `Could not start Azurite on 127.0.0.1:${ports} (${describeError(error)}). Is another ` +
          `Azurite or storage emulator running? Stop it, or point EXPORT_STORAGE at it and set ` +
          `DEFENDER_TENANT_ID to skip the embedded tenant.`,
      );
    }
    logger.info(
      `Azurite blob service on ${azurite.blobEndpoint}` +
        `${azurite.queueEndpoint === undefined ? '' : `, queue service on ${azurite.queueEndpoint}`}` +
        ` (data in .azurite/; Storage Explorer: "Local storage emulator")`,
    );
    env = { ...env, [SETTING_TABLE.storage.name]: DEVELOPMENT_STORAGE };
  }
  if (embedded) {
    // LOCAL_TENANTS plays a deployment that exports only its registry's tenants: no DEFENDER_TENANT_ID.
    tenant = await startEmbeddedTenant({
      seedIncidents: 250,
      tenants: localTenants ?? 1,
      env,
      registryOnly: localTenants !== undefined,
    });
    registerSensitive(tenant.tenant.exporterApp.clientSecret);
    registerSensitive(tenant.tenant.vaultReader.clientSecret);
    const scheduleName = SETTING_TABLE.schedule.name;
    env = { ...env, ...tenant.settings, [scheduleName]: env[scheduleName] ?? '0 * * * * *' };
    logger.info(
      `No DEFENDER_TENANT_ID or DEFENDER_CLIENT_ID configured: using the simulated tenant (Entra ` +
        `${tenant.tenant.authorityHost}, Key Vault ${tenant.tenant.vaultUrl}, Defender API ` +
        `${tenant.tenant.defenderUrl}) with 250 incidents from the last 72 hours` +
        `${localTenants === undefined ? '' : ` in each of its ${localTenants} Entra tenants`}.`,
    );
    logger.info(
      'Fill in local.settings.json (copy local.settings.sample.json) to export from your real tenant instead.',
    );
    const retirement = tenant.tenant.defenderRetirement;
    if (retirement)
      logger.info(
        `LOCAL_DEFENDER_END: the simulated Defender API retires at ` +
          `${new Date(retirement.at).toISOString()} (answering ${retirement.reply}); with ` +
          `INCIDENTS_API=auto the exporter then moves to Microsoft Graph by itself.`,
      );
    const sim = tenant.tenant;
    activity = setInterval(() => {
      const { incidents } = sim.tenants[Math.floor(Math.random() * sim.tenants.length)] ?? sim;
      const all = incidents.all();
      const pick = all[Math.floor(Math.random() * all.length)];
      if (pick !== undefined && Math.random() < 0.7) incidents.update(pick.id);
      else incidents.add();
    }, 7_000);
  }

  const config = loadConfig(env);
  const runtime = createRuntime(config, tenant ? { tlsCa: tenant.tenant.caCertPem } : {});
  const { stateContainer } = runtime.platform;
  const runner = tenantRunnerFor(runtime);
  const schedule = parseNcrontab(config.schedule);
  let queuePath: LocalQueuePath | undefined;
  if (localTenants !== undefined && tenant !== undefined && azurite !== undefined) {
    await runtime.platform.ensureContainers();
    await registerLocalTenants(stateContainer, tenant.tenant.tenantIds);
    queuePath = await startLocalQueuePath({
      runtime,
      connectionString: azurite.connectionString,
      projectRoot,
      logger,
    });
    logger.info(
      `LOCAL_TENANTS=${localTenants}: the simulated tenant serves ${localTenants} Entra ` +
        `tenant(s) (${tenant.tenant.tenantIds.join(', ')}), all in the tenant registry ` +
        `(config/tenants.json in '${stateContainer.containerName}'), no DEFENDER_TENANT_ID. Each ` +
        `tick queues one run per tenant on '${config.exportQueue}' and a local pump delivers them ` +
        `to exportTenant's handler with host.json's queue settings; failed runs retry, then land ` +
        `in '${config.exportQueue}-poison'.`,
    );
  }
  if (tenant) {
    // What a second terminal needs to reach this simulated tenant: only `--local` (npm run local -- <command>) reads it.
    writeLocalTenant(projectRoot, {
      pid: process.pid,
      settings: {
        ...tenant.settings,
        [SETTING_TABLE.storage.name]: DEVELOPMENT_STORAGE,
        [SETTING_TABLE.container.name]: config.container,
      },
      caCertPem: tenant.tenant.caCertPem,
    });
    // The note is about the single tenant's watermark; with LOCAL_TENANTS each tenant's run says where it starts.
    const kept =
      azurite && localTenants === undefined
        ? (await new StateStore(stateContainer).read().catch(() => undefined))?.state?.watermark
        : undefined;
    const note = keptDataNote(kept);
    if (note !== undefined) logger.info(note);
    logger.info(
      `Exporter scheduled '${config.schedule}' (UTC) into container '${config.container}'. From ` +
        `another terminal in this folder: 'npm run local -- list' (or run, show latest, status, ` +
        `backfill; settings in ${LOCAL_TENANT_FILE}), or Storage Explorer. Ctrl+C stops.`,
    );
  } else {
    logger.info(`Exporter scheduled '${config.schedule}' (UTC) into container '${config.container}'. Ctrl+C stops.`);
  }

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const runOnce = async (trigger: string): Promise<void> => {
    try {
      // With the registry the tick only queues, as the timer does in Azure; the pump runs the tenants.
      if (queuePath !== undefined && (await queuePath.tick())) return;
      runner.beginTick();
      const tenants = queuePath === undefined ? await runner.enabledTenants() : undefined;
      if (tenants !== undefined) {
        // A registry on real storage (no queue service here): its enabled tenants, one after the other.
        for (const entry of tenants) await runTenant(entry, trigger);
        return;
      }
      const summary = await runExport(singleTenantExporter(runtime), { trigger, logger });
      logger.info(formatSummary(summary));
    } catch (error) {
      logger.error(`Run failed: ${describeError(error)}`);
    }
  };
  const runTenant = async (tenant: TenantEntry, trigger: string): Promise<void> => {
    try {
      const outcome = await runner.runTenant(tenant.tenantId, { trigger, logger });
      logger.info(formatTenantResult({ tenant, outcome }));
    } catch (error) {
      logger.error(formatTenantResult({ tenant, error }));
    }
  };
  const scheduleNext = (): void => {
    if (stopping) return;
    const next = schedule.next(new Date());
    if (!next) return;
    timer = setTimeout(() => {
      void runOnce('timer').then(scheduleNext);
    }, next.getTime() - Date.now());
  };
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (timer) clearTimeout(timer);
    if (activity) clearInterval(activity);
    logger.info('Stopping');
    await queuePath?.stop();
    if (tenant) removeLocalTenant(projectRoot);
    await tenant?.tenant.close();
    await azurite?.close();
    process.exit(EXIT.ok);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  await runOnce('startup');
  scheduleNext();
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${describeError(error)}\n`);
  process.exit(EXIT.failed);
});
