import { readFileSync } from 'fs';
import { join } from 'path';

/**
 * README's Node policy: `npm ci` is clean on Node 20.19+ and 22.13+ (no EBADENGINE). A dependency that moves to
 * a newer Node (as @azure/storage-queue 12.31 and @azure/storage-common 12.5 did: node >= 22) fails this test,
 * not only the warning nobody reads.
 */
const SUPPORTED = ['20.19.0', '22.13.0', '24.0.0'];

type Version = readonly [number, number, number];

function parse(text: string): { version: Version; parts: number } {
  const pieces = text.replace(/^v/, '').split('.');
  const numbers = pieces.map((piece) => (/^\d+$/.test(piece) ? Number(piece) : Number.NaN));
  const parts = numbers.findIndex((value) => Number.isNaN(value));
  const known = parts === -1 ? numbers.length : parts;
  return {
    version: [numbers[0] ?? 0, known > 1 ? (numbers[1] ?? 0) : 0, known > 2 ? (numbers[2] ?? 0) : 0],
    parts: known,
  };
}

function compare(a: Version, b: Version): number {
  for (let index = 0; index < 3; index += 1) if (a[index] !== b[index]) return (a[index] ?? 0) - (b[index] ?? 0);
  return 0;
}

/** Whether `version` meets one comparator of an npm range (the forms the lock file uses). */
function meets(version: Version, comparator: string): boolean {
  if (comparator === '*' || comparator === '') return true;
  const match = /^(>=|<=|>|<|\^|~|=)?(.*)$/.exec(comparator);
  const operator = match?.[1] ?? '';
  const { version: bound, parts } = parse(match?.[2] ?? '');
  const order = compare(version, bound);
  const upper = (level: number): Version =>
    level === 0 ? [bound[0] + 1, 0, 0] : level === 1 ? [bound[0], bound[1] + 1, 0] : [bound[0], bound[1], bound[2] + 1];
  switch (operator) {
    case '>=':
      return order >= 0;
    case '>':
      return parts >= 3 ? order > 0 : compare(version, upper(parts - 1)) >= 0;
    case '<=':
      return parts >= 3 ? order <= 0 : compare(version, upper(parts - 1)) < 0;
    case '<':
      return order < 0;
    case '^':
      return order >= 0 && compare(version, upper(bound[0] > 0 || parts < 2 ? 0 : 1)) < 0;
    case '~':
      return order >= 0 && compare(version, upper(parts >= 2 ? 1 : 0)) < 0;
    default:
      return parts >= 3 ? order === 0 : order >= 0 && compare(version, upper(Math.max(parts - 1, 0))) < 0;
  }
}

export function satisfies(versionText: string, range: string): boolean {
  const version = parse(versionText).version;
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => meets(version, comparator)),
  );
}

describe('Node versions of the dependencies', () => {
  it('reads npm ranges as npm does (the forms the lock file uses)', () => {
    expect(satisfies('20.19.0', '>=22.0.0')).toBe(false);
    expect(satisfies('22.13.0', '>=22.0.0')).toBe(true);
    expect(satisfies('20.19.0', '^18.19.0 || >=20.6.0')).toBe(true);
    expect(satisfies('20.19.0', '^12.22.0 || ^14.17.0 || >=16.0.0')).toBe(true);
    expect(satisfies('20.19.0', '18 || 20 || >=22')).toBe(true);
    expect(satisfies('21.0.0', '18 || 20 || >=22')).toBe(false);
    expect(satisfies('20.19.0', '>=0.6.11 <=0.7.0 || >=0.7.3')).toBe(true);
    expect(satisfies('20.19.0', '>=9.3.0 || >=8.10.0 <9.0.0')).toBe(true);
    expect(satisfies('20.19.0', '6.* || 8.* || >= 10.*')).toBe(true);
    expect(satisfies('20.19.0', '^20.19.0 || ^22.13.0 || >=24')).toBe(true);
    expect(satisfies('20.18.0', '^20.19.0 || ^22.13.0 || >=24')).toBe(false);
    expect(satisfies('20.19.0', '*')).toBe(true);
  });

  it('every package the lock file installs runs on each supported Node (npm ci prints no EBADENGINE)', () => {
    const lock = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: unknown; optional?: boolean }>;
    };
    const refused: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const engines = entry.engines;
      const range =
        typeof engines === 'object' && engines !== null && !Array.isArray(engines)
          ? (engines as Record<string, unknown>).node
          : undefined;
      if (typeof range !== 'string') continue;
      for (const node of SUPPORTED)
        if (!satisfies(node, range)) refused.push(`${path || 'this package'}: node ${range} (not ${node})`);
    }
    expect(refused).toEqual([]);
  });
});
