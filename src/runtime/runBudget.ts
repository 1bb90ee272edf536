import { existsSync, readFileSync } from 'fs';
import { dirname, join } from 'path';
import { stringProperty } from '../common/jsonFields';

/** Consumption plan's maximum, used when host.json cannot be found or read. */
const FALLBACK_TIMEOUT_MS = 10 * 60_000;

/**
 * The run budget: host.json's `functionTimeout` (found by walking up from this file, so it works in the
 * bundle and in the build) minus a margin of 10%, at least 60 s, for committing what the run has.
 */
export function runBudgetFromHostJson(startDirectory: string = __dirname): number {
  const timeoutMs = readFunctionTimeoutMs(startDirectory) ?? FALLBACK_TIMEOUT_MS;
  return Math.max(timeoutMs / 2, timeoutMs - Math.max(60_000, timeoutMs * 0.1));
}

export function readFunctionTimeoutMs(startDirectory: string): number | undefined {
  let directory = startDirectory;
  for (let depth = 0; depth < 5; depth += 1) {
    const file = join(directory, 'host.json');
    if (existsSync(file)) return parseFunctionTimeout(readFileSync(file, 'utf8'));
    directory = dirname(directory);
  }
  return undefined;
}

/** `functionTimeout` as `hh:mm:ss` (or `d.hh:mm:ss`); undefined for -1 (unbounded) or absent. */
export function parseFunctionTimeout(hostJson: string): number | undefined {
  let body: unknown;
  try {
    body = JSON.parse(hostJson);
  } catch {
    return undefined;
  }
  const value = stringProperty(body, 'functionTimeout');
  if (value === undefined) return undefined;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(value.trim());
  if (!match) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}
