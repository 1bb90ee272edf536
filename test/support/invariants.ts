import { parseTimestamp } from '../../src/common/timestamp';
import type { SimulatedTenant } from '../../src/local/simulator';
import type { ExportedVersion } from './exports';

/** Version key with the time normalised, so '...57.29Z' and '...57.2900000Z' are the same version. */
export function keyOf(id: string | number, lastUpdateTime: string): string {
  return `${String(id)}@${parseTimestamp(lastUpdateTime) ?? lastUpdateTime}`;
}

/** The current version of every incident the tenant holds whose update time is at or after `since`. */
export function currentVersions(tenant: SimulatedTenant, since?: string): string[] {
  const floor = since === undefined ? undefined : parseTimestamp(since);
  return tenant.incidents
    .all()
    .filter((incident) => floor === undefined || (parseTimestamp(incident.lastUpdateTime) ?? '') >= floor)
    .map((incident) => keyOf(incident.id, incident.lastUpdateTime));
}

/** Versions that should have been exported but were not. */
export function missing(expected: readonly string[], exported: readonly ExportedVersion[]): string[] {
  const have = new Set(exported.map((v) => keyOf(v.id, v.lastUpdateTime)));
  return expected.filter((key) => !have.has(key));
}

/** Versions exported more than once. */
export function duplicates(exported: readonly ExportedVersion[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const version of exported) {
    const key = keyOf(version.id, version.lastUpdateTime);
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}
