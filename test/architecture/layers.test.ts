import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';

/**
 * The import graph stays layered: a module imports only from its own layer or lower ones, and there is no
 * cycle. The simulated tenant (src/local/simulator) imports nothing from the exporter: it is an independent
 * reading of Microsoft's contract. Only src/functions imports @azure/functions. The entry points (the Functions
 * app, the CLI, the local host) do not reach into each other, except the local host into src/functions, whose
 * handlers it runs as the Functions host would.
 */
const SRC = resolve(__dirname, '..', '..', 'src');
const RANK: Readonly<Record<string, number>> = {
  common: 0,
  config: 1,
  auth: 2,
  sources: 2,
  export: 3,
  runtime: 4,
  tenants: 5,
  functions: 6,
  cli: 6,
  local: 7,
};

/** Each entry point, and the other entry points it may import. */
const ENTRY_POINTS: Readonly<Record<string, readonly string[]>> = {
  functions: [],
  cli: [],
  local: ['functions'],
};

function modules(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? modules(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^'";]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0] ?? '';
const isSimulator = (file: string): boolean => relative(SRC, file).startsWith('local/simulator/');
const resolveLocal = (from: string, specifier: string): string => `${resolve(dirname(from), specifier)}.ts`;

const files = modules(SRC);
const graph = new Map(
  files.map((file) => [
    file,
    importsOf(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveLocal(file, s)),
  ]),
);

describe('the import graph of src/', () => {
  it('never imports from a higher layer', () => {
    const upward = files.flatMap((file) =>
      (graph.get(file) ?? [])
        .filter((target) => (RANK[layerOf(target)] ?? 99) > (RANK[layerOf(file)] ?? -1))
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`),
    );
    expect(upward).toEqual([]);
  });

  it('keeps the entry points apart: the CLI and the local host never import each other', () => {
    const crossings = files.flatMap((file) => {
      const allowed = ENTRY_POINTS[layerOf(file)];
      if (allowed === undefined) return [];
      return (graph.get(file) ?? [])
        .filter((target) => {
          const layer = layerOf(target);
          return layer !== layerOf(file) && layer in ENTRY_POINTS && !allowed.includes(layer);
        })
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`);
    });
    expect(crossings).toEqual([]);
  });

  it('keeps the simulated tenant independent of the exporter', () => {
    const leaks = files
      .filter(isSimulator)
      .flatMap((file) =>
        (graph.get(file) ?? [])
          .filter((target) => !isSimulator(target))
          .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`),
      );
    expect(leaks).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('lets only src/functions import @azure/functions, and the core never', () => {
    const outside = files
      .filter((file) => layerOf(file) !== 'functions' && importsOf(file).includes('@azure/functions'))
      .map((file) => relative(SRC, file));
    expect(outside).toEqual([]);
  });
});
