import { spawn, spawnSync } from 'child_process';
import { azuriteConnectionString, startAzuriteProcess } from './azuriteProcess';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { cpus, totalmem } from 'os';
import { join } from 'path';
import { fromDate, minusMs } from '../src/common/timestamp';
import type { AzuriteBlob } from '../src/local/azurite';
import { tenantSettings } from '../src/local/embeddedTenant';
import { SimulatedTenant } from '../src/local/simulator';
import type { RateLimit } from '../src/sources/pacer';
import type { ChildResult, ChildTask } from './child';
import { tenantsBench } from './tenants';

/**
 * `npm run bench`: the exporter against a naive reference pull, side by side in one run, each in its own
 * child process, against Azurite and the simulated tenant in this (parent) process. Sizes from BENCH_SIZES
 * (default 1000,10000,100000). Prints a table and writes BENCHMARKS.md.
 */
const ROOT = join(__dirname, '..', '..');
const HEAP_CAP_MB = 128;
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
/**
 * The exporter and the naive pull run this many times each, alternating; ratios use the medians (peak RSS and wall
 * time swing from run to run with garbage collection).
 */
const repeats = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));

interface Row {
  readonly scenario: string;
  readonly n: number;
  readonly result: ChildResult;
  readonly tokenRequests: number;
  readonly vaultReads: number;
  readonly status429: number;
  /** CPU seconds spent meanwhile by the simulated tenant (this process) and by Azurite. */
  readonly simulatorCpuS: number;
  readonly azuriteCpuS: number;
}

/** The blob service in a process of its own (see azuriteProcess.ts), with the connection string the children use. */
async function startAzuriteBlob(): Promise<AzuriteBlob & { pid: number }> {
  const blob = await startAzuriteProcess(ROOT, 'blob');
  return {
    pid: blob.pid,
    blobEndpoint: blob.endpoint,
    queueEndpoint: undefined,
    connectionString: azuriteConnectionString(blob.endpoint),
    close: () => blob.close(),
  };
}

function runChild(task: ChildTask, nodeArgs: readonly string[] = []): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=12000', ...nodeArgs, join(__dirname, 'child.js')], {
      env: { PATH: process.env.PATH ?? '', BENCH_CHILD: JSON.stringify(task) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`child exited ${String(code)}`));
      else resolve(JSON.parse(last) as ChildResult);
    });
  });
}

/** CPU seconds used so far by another process (Linux /proc); 0 where unavailable. */
function processCpuS(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function ownCpuS(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function measure(
  tenant: SimulatedTenant,
  azurite: AzuriteBlob & { pid: number },
  scenario: string,
  mode: ChildTask['mode'],
  n: number,
  container: string,
  rateLimits?: RateLimit[],
  nodeArgs: readonly string[] = [],
): Promise<Row> {
  const since = minusMs(fromDate(new Date()), 49 * 3_600_000);
  const before = tenant.requests.length;
  const cpuBefore = { simulator: ownCpuS(), azurite: processCpuS(azurite.pid) };
  const result = await runChild(
    {
      mode,
      since,
      ca: tenant.caCertPem,
      rateLimits,
      vaultReader: {
        tenantId: tenant.tenantId,
        clientId: tenant.vaultReader.clientId,
        clientSecret: tenant.vaultReader.clientSecret,
        authorityHost: tenant.authorityHost,
      },
      env: {
        ...definedOnly(tenantSettings(tenant)),
        EXPORT_STORAGE: azurite.connectionString,
        EXPORT_CONTAINER: container,
        INITIAL_LOOKBACK_HOURS: '49',
      },
    },
    nodeArgs,
  );
  const simulatorCpuS = ownCpuS() - cpuBefore.simulator;
  const azuriteCpuS = processCpuS(azurite.pid) - cpuBefore.azurite;
  const requests = tenant.requests.slice(before);
  return {
    scenario,
    n,
    result,
    tokenRequests: requests.filter((r) => r.server === 'login' && r.method === 'POST').length,
    vaultReads: requests.filter((r) => r.server === 'vault' && r.status === 200).length,
    status429: requests.filter((r) => r.status === 429).length,
    simulatorCpuS,
    azuriteCpuS,
  };
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

function loadTimeMs(file: string): number {
  const script =
    `const t=process.hrtime.bigint();require(${JSON.stringify(file)}` +
    `);process.stdout.write('\\n'+(Number(process.hrtime.bigint()-t)/1e6)+'\\n')`;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return Number(out.stdout.trim().split('\n').pop());
}

/** Drops the kernel's page cache (root only); false when not allowed. */
function dropPageCache(): boolean {
  try {
    spawnSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The single-tenant sections: exporter against the naive pull, paced runs, module load. */
async function singleTenantReport(): Promise<string> {
  const azurite = await startAzuriteBlob();
  const rows: Row[] = [];
  let containerIndex = 0;
  for (const n of sizes) {
    const tenant = await SimulatedTenant.start({ rateLimits: [], realisticIncidents: true });
    process.stderr.write(`seeding ${n} realistic incidents...\n`);
    tenant.incidents.seed(n, { spreadHours: 47, realistic: true });
    // The simulator enforces no quota here, so the exporter's pacer is opened up to match: these rows measure the exporter itself.
    const unpaced = [{ windowMs: 1000, maxCalls: 1_000_000 }];
    const plan: [string, ChildTask['mode'], string[]][] = [];
    for (let run = 0; run < repeats; run += 1) plan.push(['exporter', 'exporter', []], ['naive', 'naive', []]);
    // The same exporter with V8's old space capped: shows how much of the peak is retained data and how much lazy collection.
    plan.push([`exporter, heap capped ${HEAP_CAP_MB} MB`, 'exporter', [`--max-old-space-size=${HEAP_CAP_MB}`]]);
    for (const [scenario, mode, nodeArgs] of plan) {
      // Once the naive pull has failed at this size (it cannot build a string that large), it is not run again.
      if (
        mode === 'naive' &&
        rows.some((row) => row.n === n && row.scenario === 'naive' && row.result.error !== undefined)
      )
        continue;
      containerIndex += 1;
      process.stderr.write(`${scenario} at ${n}...\n`);
      rows.push(await measure(tenant, azurite, scenario, mode, n, `bench-${containerIndex}`, unpaced, nodeArgs));
    }
    await tenant.close();
  }

  // Paced: the simulator enforces a scaled-down limit and the exporter paces to the same figure.
  const pacedN = Number(process.env.BENCH_PACED_N ?? 30000);
  const pacedRows: {
    row: Row;
    limit: RateLimit;
    calls: number;
    spanMs: number;
    maxInWindow: number;
    utilisation: number;
  }[] = [];
  // 50 calls per 5 s is the documented count with time scaled down 12x, so the reply time stays small against
  // the window as it is against 60 s in Azure; 50 per second shows what one sequential pull can do when the
  // window is about as short as 50 replies.
  for (const limit of [
    { windowMs: 5000, maxCalls: 50 },
    { windowMs: 1000, maxCalls: 50 },
  ]) {
    const tenant = await SimulatedTenant.start({ rateLimits: [limit] });
    tenant.incidents.seed(pacedN, { spreadHours: 47 });
    containerIndex += 1;
    process.stderr.write(`paced exporter at ${pacedN}, ${limit.maxCalls} per ${limit.windowMs} ms...\n`);
    const before = tenant.requests.length;
    const row = await measure(
      tenant,
      azurite,
      `exporter, paced ${limit.maxCalls} per ${limit.windowMs / 1000} s`,
      'exporter',
      pacedN,
      `bench-${containerIndex}`,
      [limit],
    );
    const listCalls = tenant.requests
      .slice(before)
      .filter((r) => r.server === 'defender')
      .map((r) => r.at);
    await tenant.close();
    const spanMs = (listCalls[listCalls.length - 1] ?? 0) - (listCalls[0] ?? 0);
    let maxInWindow = 0;
    for (let i = 0, j = 0; i < listCalls.length; i += 1) {
      while ((listCalls[i] ?? 0) - (listCalls[j] ?? 0) >= limit.windowMs) j += 1;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
    }
    // The fastest schedule the limit allows sends `maxCalls` at once, then `maxCalls` more each window:
    // utilisation is the time that schedule needs for these calls over the time they took.
    const idealSpanMs = Math.floor((listCalls.length - 1) / limit.maxCalls) * limit.windowMs;
    const utilisation = spanMs > 0 ? idealSpanMs / spanMs : 1;
    pacedRows.push({ row, limit, calls: listCalls.length, spanMs, maxInWindow, utilisation });
  }
  await azurite.close();

  // Warm: files in the page cache (a second start on the same disk). Cold: caches dropped before each
  // load (a new instance reading its files for the first time), where bundling matters most; needs root.
  const bundleFile = join(ROOT, 'dist', 'bundle', 'functions', 'index.js');
  const buildFile = join(ROOT, 'dist', 'src', 'functions', 'index.js');
  const loads = {
    bundled: [] as number[],
    unbundled: [] as number[],
    bundledCold: [] as number[],
    unbundledCold: [] as number[],
  };
  for (let i = 0; i < 7; i += 1) {
    loads.bundled.push(loadTimeMs(bundleFile));
    loads.unbundled.push(loadTimeMs(buildFile));
    if (dropPageCache()) loads.bundledCold.push(loadTimeMs(bundleFile));
    if (dropPageCache()) loads.unbundledCold.push(loadTimeMs(buildFile));
  }
  const bundledMs = median(loads.bundled);
  const unbundledMs = median(loads.unbundled);

  const lines: string[] = [];
  lines.push(
    '| scenario | incidents | wall s | incidents/s | CPU s: run / simulator / Azurite | API ' +
      'calls | ceil(N/100)+1 | token req. | vault reads | peak RSS MB | MB written | 429s |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const seen = new Map<string, number>();
  for (const row of [...rows, ...pacedRows.map((p) => p.row)]) {
    const r = row.result;
    const key = `${row.scenario}@${row.n}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const label =
      row.scenario === 'exporter' || row.scenario === 'naive'
        ? `${row.scenario} (run ${seen.get(key) ?? 1})`
        : row.scenario;
    if (r.error !== undefined) {
      lines.push(`| ${label} | ${row.n} | failed: ${r.error} |  |  |  |  |  |  |  | ${r.peakRssMb.toFixed(0)} |  |  |`);
      continue;
    }
    lines.push(
      `| ${label} | ${r.incidents} | ${(r.wallMs / 1000).toFixed(2)} | ` +
        `${Math.round(r.incidents / (r.wallMs / 1000))} | ${((r.cpuMs ?? 0) / 1000).toFixed(1)} / ` +
        `${row.simulatorCpuS.toFixed(1)} / ${row.azuriteCpuS.toFixed(1)} | ${r.apiCalls} | ` +
        `${Math.ceil(row.n / 100) + 1} | ${row.tokenRequests} | ${row.vaultReads} | ` +
        `${r.peakRssMb.toFixed(0)} | ${(r.bytes / 1e6).toFixed(1)} | ${row.status429} |`,
    );
  }
  const runsOf = (scenario: string, n: number): ChildResult[] =>
    rows.filter((r) => r.scenario === scenario && r.n === n).map((r) => r.result);
  const ok = (results: ChildResult[]): ChildResult[] => results.filter((r) => r.error === undefined);
  const listed = (values: number[], digits: number): string => values.map((v) => v.toFixed(digits)).join(', ');
  const ratios: string[] = [];
  const smallest = sizes[0] ?? 0;
  const largest = sizes[sizes.length - 1] ?? 0;
  const smallRss = ok(runsOf('exporter', smallest)).map((r) => r.peakRssMb);
  const largeRss = ok(runsOf('exporter', largest)).map((r) => r.peakRssMb);
  if (smallRss.length > 0 && largeRss.length > 0) {
    ratios.push(
      `- Peak RSS, exporter at ${largest} vs ${smallest} incidents (medians of ${repeats} runs): ` +
        `${median(largeRss).toFixed(0)} / ${median(smallRss).toFixed(0)} MB = **` +
        `${(median(largeRss) / median(smallRss)).toFixed(2)}x** (target at most 1.25; runs: ` +
        `${listed(largeRss, 0)} vs ${listed(smallRss, 0)} MB).`,
    );
  }
  const [smallCapped] = runsOf(`exporter, heap capped ${HEAP_CAP_MB} MB`, smallest);
  const [largeCapped] = runsOf(`exporter, heap capped ${HEAP_CAP_MB} MB`, largest);
  const largeWall = ok(runsOf('exporter', largest)).map((r) => r.wallMs);
  if (smallCapped && largeCapped && largeWall.length > 0) {
    ratios.push(
      `- The same with V8's old space capped at ${HEAP_CAP_MB} MB (one run each): **` +
        `${(largeCapped.peakRssMb / smallCapped.peakRssMb).toFixed(2)}x**, wall time ` +
        `${(largeCapped.wallMs / median(largeWall)).toFixed(2)}x the uncapped median: what the cap ` +
        `removes is garbage V8 had not yet collected, not data the exporter keeps.`,
    );
  }
  for (const n of sizes) {
    const ours = ok(runsOf('exporter', n));
    const naiveRuns = runsOf('naive', n);
    const failed = naiveRuns.find((r) => r.error !== undefined);
    const naive = ok(naiveRuns);
    const oursRss = median(ours.map((r) => r.peakRssMb));
    if (failed?.error !== undefined) {
      ratios.push(
        `- At ${n}: the naive pull failed (${failed.error}) after reaching ` +
          `${failed.peakRssMb.toFixed(0)} MB; the exporter wrote ${ours[0]?.incidents ?? 0}` +
          ` incidents each run with a median peak of ${oursRss.toFixed(0)} MB.`,
      );
    } else if (ours.length > 0 && naive.length > 0) {
      const oursWall = ours.map((r) => r.wallMs / 1000);
      const naiveWall = naive.map((r) => r.wallMs / 1000);
      ratios.push(
        `- At ${n}: wall time exporter/naive **${(median(oursWall) / median(naiveWall)).toFixed(2)}` +
          `** (medians; target at most 1.0 at 10k; runs: ${listed(oursWall, 2)} vs ` +
          `${listed(naiveWall, 2)} s), peak RSS exporter/naive **` +
          `${(oursRss / median(naive.map((r) => r.peakRssMb))).toFixed(2)}**.`,
      );
    }
  }
  for (const p of pacedRows) {
    ratios.push(
      `- Paced at ${p.limit.maxCalls} calls per ${p.limit.windowMs} ms: ${p.calls} list calls in ` +
        `${(p.spanMs / 1000).toFixed(1)} s, at most ${p.maxInWindow} in any window (ceiling ` +
        `${p.limit.maxCalls}), **${(p.utilisation * 100).toFixed(1)}%** of the allowed rate (the ` +
        `fastest schedule the limit allows would take ` +
        `${((Math.floor((p.calls - 1) / p.limit.maxCalls) * p.limit.windowMs) / 1000).toFixed(1)}` +
        ` s), ${p.row.status429} answers 429; ${(p.spanMs / Math.max(1, p.calls - 1)).toFixed(1)}` +
        ` ms per call on average.`,
    );
  }
  ratios.push(
    `- Module load, warm page cache (median of 7 fresh processes): bundled ` +
      `${bundledMs.toFixed(1)} ms, unbundled tsc build ${unbundledMs.toFixed(1)} ms: **` +
      `${(unbundledMs / bundledMs).toFixed(2)}x** faster (target at least 3).`,
  );
  if (loads.bundledCold.length > 0 && loads.unbundledCold.length > 0) {
    const coldBundled = median(loads.bundledCold);
    const coldUnbundled = median(loads.unbundledCold);
    ratios.push(
      `- Module load, cold page cache (caches dropped before each load, as on a new instance; ` +
        `median of ${loads.bundledCold.length}): bundled ${coldBundled.toFixed(1)} ms, unbundled ` +
        `${coldUnbundled.toFixed(1)} ms: **${(coldUnbundled / coldBundled).toFixed(2)}x** faster.`,
    );
  } else {
    ratios.push('- Module load with a cold page cache: not measured (dropping the page cache needs root).');
  }

  const machine =
    `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)}` +
    ` GiB, Node ${process.version}`;
  const report = [
    '# Benchmarks',
    '',
    `Command: \`npm run bench\` (sizes ${sizes.join(', ')}, exporter and naive ${repeats}` +
      ` times each; \`BENCH_SIZES\`, \`BENCH_REPEATS\` and \`BENCH_PACED_N\` change them). ` +
      `Machine: ${machine}. Run ${new Date().toISOString()}.`,
    '',
    'Each row is one child process against Azurite and the simulated tenant (realistic ' +
      'incidents: alerts with entities, devices, comments; about 6-33 KB each, median 19 KB). ' +
      '"naive" is the reference pull of the Hello World scripts: every page into memory with ' +
      '$top/$skip, one JSON.stringify, one upload. CPU s is the CPU time of the measured ' +
      'process, then what the simulated tenant (the parent process) and Azurite used meanwhile: ' +
      'at 100k most of the time goes to the simulator filtering 100k incidents for every list ' +
      "call. Token requests count both the vault identity's token and the app token; vault " +
      'reads count successful secret reads. This machine is shared and noisy: compare ratios ' +
      'within one run, not absolute figures across runs.',
    '',
    ...lines,
    '',
    ...ratios,
    '',
  ].join('\n');
  return report;
}

/** Where the many-tenants section starts in BENCHMARKS.md. */
const TENANTS_HEADING = '## Many tenants';

/**
 * Runs the sections named in BENCH_SECTIONS (default `single,tenants`) and writes BENCHMARKS.md, keeping the
 * section that was not run as it was.
 */
async function main(): Promise<void> {
  const sections = (process.env.BENCH_SECTIONS ?? 'single,tenants').split(',').map((name) => name.trim());
  const file = join(ROOT, 'BENCHMARKS.md');
  const kept = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const keptTenants = kept.includes(TENANTS_HEADING) ? kept.slice(kept.indexOf(TENANTS_HEADING)) : '';
  const keptSingle = kept.includes(TENANTS_HEADING) ? kept.slice(0, kept.indexOf(TENANTS_HEADING)) : kept;
  const single = sections.includes('single') ? `${await singleTenantReport()}\n` : keptSingle;
  const tenants = sections.includes('tenants') ? (await tenantsBench(ROOT)).join('\n') : keptTenants;
  const report = `${single.trimEnd()}\n\n${tenants}`.trimEnd() + '\n';
  writeFileSync(file, report);
  process.stdout.write(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
