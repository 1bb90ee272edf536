/** Which incidents `show` prints: by id (Defender's `incidentId` or Graph's `id`) and by severity. */
export interface IncidentFilter {
  readonly id?: string;
  readonly severity?: string;
}

/** True when `incident` passes every criterion given; ids compare as text, severities ignore case. */
export function matchesFilter(incident: unknown, filter: IncidentFilter): boolean {
  if (typeof incident !== 'object' || incident === null)
    return filter.id === undefined && filter.severity === undefined;
  if (filter.id !== undefined) {
    const ids = [Reflect.get(incident, 'incidentId'), Reflect.get(incident, 'id')]
      .filter((value) => typeof value === 'string' || typeof value === 'number')
      .map(String);
    if (!ids.includes(filter.id)) return false;
  }
  if (filter.severity !== undefined) {
    const severity: unknown = Reflect.get(incident, 'severity');
    if (typeof severity !== 'string' || severity.toLowerCase() !== filter.severity.toLowerCase()) return false;
  }
  return true;
}
