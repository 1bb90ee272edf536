import { readFileSync } from 'fs';

/**
 * Peak resident memory of this process since it started (VmHWM). getrusage's maxRSS is not used: on Linux
 * it carries the high-water mark of the forked parent across exec, so a large parent inflates it.
 */
export function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1]) return Number(match[1]) / 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Resident memory of this process now (VmRSS), MB. */
export function rssMb(): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match?.[1] ? Number(match[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}
