import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { cpus, loadavg } from 'os';
import { join } from 'path';
import { tenantSettings } from '../src/local/embeddedTenant';
import { SimulatedTenant } from '../src/local/simulator';
import type { RateLimit } from '../src/sources/pacer';
import { azuriteConnectionString, startAzuriteProcess } from './azuriteProcess';
import { CountingProxy, type CountedRequest } from './countingProxy';
import type { TenantsResult, TenantsTask } from './tenantsChild';

/**
 * The many-tenants section of `npm run bench`: the function app's queue path (timer fan-out, queue, exportTenant's
 * handler under the pump with host.json's concurrency) in a child process, against Azurite (blob and queue in
 * processes of their own, behind counting proxies) and one simulated tenant serving many Entra tenants with a
 * per-tenant quota. Returns the Markdown section for BENCHMARKS.md.
 */
const TENANTS = Number(process.env.BENCH_TENANTS ?? 100);
const INCIDENTS_PER_TENANT = Number(process.env.BENCH_TENANT_INCIDENTS ?? 1000);
const MEMORY_TENANTS = [1, 8, 32];
const MEMORY_INCIDENTS = Number(process.env.BENCH_MEMORY_INCIDENTS ?? 300);
/** Runs of each memory row (fresh processes, alternating): peak RSS here varies by 2-3 MB per tenant between runs. */
const MEMORY_REPEATS = Number(process.env.BENCH_MEMORY_REPEATS ?? 3);
/** The documented 50 calls per minute, time scaled down 12x (as the single-tenant paced rows). */
const QUOTA: RateLimit = { windowMs: 5000, maxCalls: 50 };
/** Single-tenant runs measured alone, for the ideal schedule. */
const ALONE_RUNS = 3;

interface Setup {
  readonly root: string;
  readonly blob: CountingProxy;
  readonly queue: CountingProxy;
}

function runChild(task: TenantsTask): Promise<TenantsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'tenantsChild.js')], {
      env: { PATH: process.env.PATH ?? '', BENCH_TENANTS_CHILD: JSON.stringify(task) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as TenantsResult;
      if (code !== 0 || result.error !== undefined)
        reject(new Error(`tenants child failed (${String(code)}): ${result.error ?? out}`));
      else resolve(result);
    });
  });
}

function taskFor(
  setup: Setup,
  sim: SimulatedTenant,
  mode: TenantsTask['mode'],
  container: string,
  tenantIds: readonly string[],
  rateLimits: RateLimit[],
  ticks = 1,
): TenantsTask {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(tenantSettings(sim))) if (value !== undefined) env[key] = value;
  return {
    mode,
    ticks,
    tenantIds,
    rateLimits,
    ca: sim.caCertPem,
    vaultReader: {
      tenantId: sim.tenantId,
      clientId: sim.vaultReader.clientId,
      clientSecret: sim.vaultReader.clientSecret,
      authorityHost: sim.authorityHost,
    },
    env: {
      ...env,
      EXPORT_STORAGE: azuriteConnectionString(setup.blob.endpoint, setup.queue.endpoint),
      EXPORT_CONTAINER: container,
      EXPORT_QUEUE: `${container}-runs`,
      INITIAL_LOOKBACK_HOURS: '49',
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** CPU ms used so far by another process (Linux /proc); 0 where unavailable. */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export async function tenantsBench(root: string): Promise<string[]> {
  const blobService = await startAzuriteProcess(root, 'blob');
  const queueService = await startAzuriteProcess(root, 'queue');
  const setup: Setup = {
    root,
    blob: await CountingProxy.start(blobService.port),
    queue: await CountingProxy.start(queueService.port),
  };
  const lines: string[] = [];
  const loadBefore = loadavg()[0] ?? 0;
  try {
    // 1. Throughput and quota: TENANTS tenants plus ALONE_RUNS more for the runs alone, each with its own incidents.
    process.stderr.write(`seeding ${TENANTS + ALONE_RUNS} tenants x ${INCIDENTS_PER_TENANT} incidents...\n`);
    const sim = await SimulatedTenant.start({
      tenants: TENANTS + ALONE_RUNS,
      seedIncidents: INCIDENTS_PER_TENANT,
      seedSpreadHours: 47,
      rateLimits: [QUOTA],
    });
    const ids = sim.tenantIds;
    const aloneIds = ids.slice(0, ALONE_RUNS);
    const fleetIds = ids.slice(ALONE_RUNS);
    const aloneMs: number[] = [];
    for (const [index, tenantId] of aloneIds.entries()) {
      process.stderr.write(`one tenant alone (${index + 1}/${ALONE_RUNS})...\n`);
      const alone = await runChild(taskFor(setup, sim, 'queue', `alone-${index}`, [tenantId], [QUOTA]));
      aloneMs.push(alone.ticks[0]?.runMs[0] ?? Number.NaN);
    }
    process.stderr.write(`${fleetIds.length} tenants through the queue, two ticks...\n`);
    const fleetStart = sim.requests.length;
    const cpuBefore = { sim: ownCpuMs(), blob: processCpuMs(blobService.pid), queue: processCpuMs(queueService.pid) };
    // The simulated API's and Azurite's CPU, sampled every 100 ms, to know what they used during the first tick.
    const servicesCpu: { at: number; ms: number }[] = [];
    const sampleServices = (): number =>
      servicesCpu.push({
        at: Date.now(),
        ms: ownCpuMs() + processCpuMs(blobService.pid) + processCpuMs(queueService.pid),
      });
    const sampler = setInterval(sampleServices, 100);
    sampleServices();
    const fleet = await runChild(taskFor(setup, sim, 'queue', 'fleet', fleetIds, [QUOTA], 2)).finally(() =>
      clearInterval(sampler),
    );
    const cpu = {
      sim: ownCpuMs() - cpuBefore.sim,
      blob: processCpuMs(blobService.pid) - cpuBefore.blob,
      queue: processCpuMs(queueService.pid) - cpuBefore.queue,
    };
    const fleetRequests = sim.requests.slice(fleetStart);
    const [first, second] = fleet.ticks;
    await sim.close();
    if (first === undefined || second === undefined) throw new Error('the fleet child reported no ticks');

    const concurrency = fleet.concurrency;
    const aloneMedianMs = median(aloneMs);
    const scheduleMs = Math.ceil(fleetIds.length / concurrency) * aloneMedianMs;
    // The services' CPU at the samples just inside the first tick (so never more than they used during it).
    const servicesAt = (at: number, after: boolean): number =>
      (after
        ? servicesCpu.find((sample) => sample.at >= at)
        : [...servicesCpu].reverse().find((sample) => sample.at <= at)
      )?.ms ?? Number.NaN;
    const firstTickCpuMs = first.cpuMs + Math.max(0, servicesAt(first.endMs, false) - servicesAt(first.startMs, true));
    const cpuBoundMs = firstTickCpuMs / cpus().length;
    const idealMs = Math.max(scheduleMs, cpuBoundMs);
    const firstWallMs = first.endMs - first.startMs;
    const listCallsPerTenant = Math.ceil(INCIDENTS_PER_TENANT / 100) + 1;
    const sharedQuotaMs = Math.floor((fleetIds.length * listCallsPerTenant - 1) / QUOTA.maxCalls) * QUOTA.windowMs;
    const throttled = fleetRequests.filter((request) => request.status === 429).length;

    // 2. The second tick: nothing new anywhere.
    const inTick = (at: number): boolean => at >= second.startMs && at <= second.endMs;
    const tickRequests = fleetRequests.filter((request) => inTick(request.at));
    const vaultReads = tickRequests.filter((r) => r.server === 'vault' && r.method === 'GET' && r.status === 200);
    const tokenRequests = tickRequests.filter((r) => r.server === 'login' && r.method === 'POST');
    const listCalls = tickRequests.filter((r) => r.server === 'defender');
    const storage = setup.blob.between(second.startMs, second.endMs);
    const ofTenant = (request: CountedRequest, tenantId: string): boolean =>
      request.path.includes(`/tenants/${tenantId.toLowerCase()}/`) ||
      (request.prefix ?? '').startsWith(`tenants/${tenantId.toLowerCase()}/`);
    const perTenant = fleetIds.map((tenantId) => storage.filter((request) => ofTenant(request, tenantId)).length);
    const registryReads = storage.filter((request) => request.path.endsWith('/config/tenants.json')).length;
    const queueRequests = setup.queue.between(second.startMs, second.endMs).length;
    const byKind = new Map<string, number>();
    for (const request of storage.filter((r) => ofTenant(r, fleetIds[0] ?? ''))) {
      const kind =
        request.prefix === undefined
          ? `${request.method} ${request.path.split('/').slice(-2).join('/')}`
          : `LIST ${request.prefix.split('/').slice(2).join('/')}`;
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }

    // 3. Memory: one process running 1, 8 and 32 tenants at once (realistic incidents, no quota), each in a fresh child.
    process.stderr.write(`memory: ${MEMORY_TENANTS.join(', ')} tenants at once...\n`);
    const memorySim = await SimulatedTenant.start({
      tenants: Math.max(...MEMORY_TENANTS),
      seedIncidents: MEMORY_INCIDENTS,
      seedSpreadHours: 47,
      realisticIncidents: true,
      rateLimits: [],
    });
    const memory: { tenants: number; result: TenantsResult }[] = [];
    for (let repeat = 1; repeat <= MEMORY_REPEATS; repeat += 1) {
      for (const count of MEMORY_TENANTS) {
        const result = await runChild(
          taskFor(setup, memorySim, 'together', `memory-${count}-${repeat}`, memorySim.tenantIds.slice(0, count), [
            { windowMs: 1000, maxCalls: 1_000_000 },
          ]),
        );
        memory.push({ tenants: count, result });
      }
    }
    await memorySim.close();
    const runsOf = (count: number): TenantsResult[] => memory.filter((m) => m.tenants === count).map((m) => m.result);
    const medianOf = (count: number, pick: (result: TenantsResult) => number): number =>
      median(runsOf(count).map(pick));
    const peakOf = (count: number): number => medianOf(count, (result) => result.peakRssMb);
    const perExtra = (count: number): number => (peakOf(count) - peakOf(1)) / (count - 1);
    const perExtraRuns = runsOf(32).map((result, index) =>
      ((result.peakRssMb - (runsOf(1)[index]?.peakRssMb ?? Number.NaN)) / 31).toFixed(1),
    );
    const perExtraOf = (pick: (result: TenantsResult) => number | undefined): string =>
      (
        (medianOf(32, (result) => pick(result) ?? Number.NaN) - medianOf(1, (result) => pick(result) ?? Number.NaN)) /
        31
      ).toFixed(1);

    lines.push(
      '## Many tenants: the queue path',
      '',
      `Command: \`npm run bench\` (\`BENCH_SECTIONS=tenants npm run bench\` runs only this ` +
        `section; \`BENCH_TENANTS\`, \`BENCH_TENANT_INCIDENTS\`, \`BENCH_MEMORY_INCIDENTS\` change ` +
        `the sizes). Run ${new Date().toISOString()}. One child process plays one Flex Consumption ` +
        `instance: the timer's fan-out puts one message per tenant on the runs queue (Azurite's ` +
        `queue service), and the local queue pump delivers them, with host.json's \`batchSize\` + ` +
        `\`newBatchThreshold\` = **${concurrency}** runs at once, to the handler \`exportTenant\` ` +
        `runs in Azure. The simulated tenant (this process) serves every Entra tenant and enforces ` +
        `a quota per tenant and app of ${QUOTA.maxCalls} list calls per ${QUOTA.windowMs / 1000} s ` +
        `(the documented 50 per minute, time scaled down 12x); each tenant's exporter paces to the ` +
        `same figure. Small incidents here (the memory rows use realistic ones). Load average of ` +
        `this shared ${cpus().length}-core machine (other work included): ${loadBefore.toFixed(1)}` +
        ` at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end: wall times are inflated by ` +
        `whatever else ran, the counts are not.`,
      '',
      '| measure | value |',
      '|---|---:|',
      `| tenants x incidents | ${fleetIds.length} x ${INCIDENTS_PER_TENANT} |`,
      `| incidents exported (first tick) | ${first.incidents} of ${fleetIds.length * INCIDENTS_PER_TENANT} |`,
      `| runs failed / busy (first tick) | ${first.failed} / ${first.busy} |`,
      `| answers 429 (both ticks) | ${throttled} |`,
      `| one tenant alone, runs of ${INCIDENTS_PER_TENANT} (s) | ` +
        `${aloneMs.map((ms) => seconds(ms)).join(', ')} (median ${seconds(aloneMedianMs)}) |`,
      `| schedule bound for ${concurrency} at once: ceil(${fleetIds.length} / ${concurrency}) x ` +
        `${seconds(aloneMedianMs)} s | ${seconds(scheduleMs)} s |`,
      `| CPU bound on this machine: the first tick's CPU, all processes, ` +
        `${seconds(firstTickCpuMs)} s / ${cpus().length} cores | ${seconds(cpuBoundMs)} s |`,
      `| ideal: the larger of the two | ${seconds(idealMs)} s |`,
      `| wall time, first tick (queued to last run done) | ${seconds(firstWallMs)} s = **` +
        `${(firstWallMs / idealMs).toFixed(2)}x** the ideal (` +
        `${(firstWallMs / scheduleMs).toFixed(2)}x the schedule bound alone) |`,
      `| a tenant's run in the fleet: median / max | ${seconds(median(first.runMs))} / ` +
        `${seconds(Math.max(...first.runMs))} s |`,
      `| one quota shared by all tenants would need at least | ${seconds(sharedQuotaMs)} s |`,
      `| CPU of the instance, first tick | ${seconds(first.cpuMs)} s |`,
      `| CPU over both ticks: instance / simulated API / Azurite blob + queue | ` +
        `${seconds(fleet.cpuMs)} / ${seconds(cpu.sim)} / ${seconds(cpu.blob)} + ` +
        `${seconds(cpu.queue)} s, in ${seconds(fleet.wallMs)} s on ${cpus().length} cores |`,
      '',
      `The ideal: a tenant's ${listCallsPerTenant} list calls fit in its own quota window (` +
        `${listCallsPerTenant} ≤ ${QUOTA.maxCalls}), so no tenant ever waits on a quota, and with ` +
        `the quota out of the way two things bound the fleet. The schedule: with ${concurrency}` +
        ` runs at once, no schedule finishes ${fleetIds.length} runs before ceil(${fleetIds.length}` +
        ` / ${concurrency}) runs of a tenant alone have run back to back. The machine: here the ` +
        `instance, the simulated API and Azurite share ${cpus().length} cores, so the tick cannot ` +
        `take less wall time than the CPU all three used during it, spread over the ` +
        `${cpus().length} cores (the services' share sampled every 100 ms inside the tick, so it ` +
        `is if anything low); the ratio against it says how well the fleet kept the cores busy. In ` +
        `Azure the API and storage are not on the instance's cores, and the schedule bound is what ` +
        `remains. The ideal is the larger bound; the fleet's CPU over both ticks was ` +
        `${seconds(fleet.cpuMs + cpu.sim + cpu.blob + cpu.queue)} s in all. Had all tenants shared ` +
        `one quota (one pacer per app and process, as before the registry), ` +
        `${fleetIds.length * listCallsPerTenant} calls at ${QUOTA.maxCalls} per ` +
        `${QUOTA.windowMs / 1000} s would take at least the time in the 'one quota shared by all ` +
        `tenants' row.`,
      '',
      `A second tick with nothing new across the ${fleetIds.length} tenants (the first warmed the caches):`,
      '',
      '| per tick | total | per tenant |',
      '|---|---:|---:|',
      `| Key Vault reads | ${vaultReads.length} | ${(vaultReads.length / fleetIds.length).toFixed(2)} |`,
      `| token requests (Entra) | ${tokenRequests.length} | ${(tokenRequests.length / fleetIds.length).toFixed(2)} |`,
      `| list calls | ${listCalls.length} | ${(listCalls.length / fleetIds.length).toFixed(2)} |`,
      `| blob requests for the tenant (its folder, and listings of it) | ` +
        `${perTenant.reduce((a, b) => a + b, 0)} | ` +
        `${(perTenant.reduce((a, b) => a + b, 0) / fleetIds.length).toFixed(2)} (min ` +
        `${Math.min(...perTenant)}, max ${Math.max(...perTenant)}) |`,
      `| registry reads (config/tenants.json) | ${registryReads} | ${(registryReads / fleetIds.length).toFixed(2)} |`,
      `| all blob requests | ${storage.length} | ${(storage.length / fleetIds.length).toFixed(2)} |`,
      `| queue requests (send, receive, delete) | ${queueRequests} | ${(queueRequests / fleetIds.length).toFixed(2)} |`,
      `| CPU of the instance | ${second.cpuMs.toFixed(0)} ms | ${(second.cpuMs / fleetIds.length).toFixed(1)} ms |`,
      `| wall time | ${seconds(second.endMs - second.startMs)} s | |`,
      '',
      `One tenant's blob requests in that tick: ` +
        `${[...byKind].map(([kind, count]) => `${kind} x${count}`).join(', ')}. Against the ` +
        `targets: Key Vault reads ${vaultReads.length} per tick for the one secret all tenants ` +
        `share (target 1 per secret), ${tokenRequests.length} token requests while the cached ` +
        `tokens are valid (target 0), ${(listCalls.length / fleetIds.length).toFixed(2)} list ` +
        `calls per tenant (target 1), ${(storage.length / fleetIds.length).toFixed(2)} blob ` +
        `requests per tenant, all counted (target at most 3): the tenant's state read, the write ` +
        `that claims the tenant for the run (with the ETag just read), and the run's last write, ` +
        `which records it and ends the claim, are what a tick with nothing new still costs; backfill ` +
        `jobs are listed only when the state counts a request not seen yet, and the registry is ` +
        `read once per tick and instance, not per run.`,
      '',
      `Peak RSS of one process running N tenants at once (${MEMORY_INCIDENTS} realistic ` +
        `incidents each, about 19 KB each, no quota; each N in a fresh process, ${MEMORY_REPEATS}` +
        ` runs each, alternating; medians):`,
      '',
      '| tenants at once | peak RSS MB (runs) | RSS before the runs MB | peak JS heap used MB | ' +
        'peak Buffer memory MB | incidents |',
      '|---:|---:|---:|---:|---:|---:|',
      ...MEMORY_TENANTS.map((count) => {
        const runs = runsOf(count)
          .map((result) => result.peakRssMb.toFixed(0))
          .join(', ');
        const cells = [
          count,
          `${peakOf(count).toFixed(0)} (${runs})`,
          medianOf(count, (result) => result.baselineRssMb).toFixed(0),
          medianOf(count, (result) => result.peakHeapUsedMb ?? Number.NaN).toFixed(0),
          medianOf(count, (result) => result.peakArrayBuffersMb ?? Number.NaN).toFixed(0),
          runsOf(count)[0]?.incidents ?? 0,
        ];
        return `| ${cells.join(' | ')} |`;
      }),
      '',
      `Each extra concurrent tenant costs **${perExtra(32).toFixed(1)} MB** of peak RSS ` +
        `(medians, from 1 to 32; run by run: ${perExtraRuns.join(', ')} MB; ` +
        `${perExtra(8).toFixed(1)} MB from 1 to 8; target at most 12), of which JS heap ` +
        `${perExtraOf((result) => result.peakHeapUsedMb)} MB and Buffers ` +
        `${perExtraOf((result) => result.peakArrayBuffersMb)} MB at their own peaks. At ` +
        `host.json's ${concurrency} runs at once an instance needs about ` +
        `${(peakOf(1) + (concurrency - 1) * perExtra(32)).toFixed(0)} MB, against the 2,048 MB of ` +
        `a Flex Consumption instance.`,
      '',
    );
  } finally {
    await setup.blob.close();
    await setup.queue.close();
    await blobService.close();
    await queueService.close();
  }
  return lines;
}
