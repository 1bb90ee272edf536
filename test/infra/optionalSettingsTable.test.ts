import { SETTINGS } from '../../src/config/settings';
import { readRepoFile } from './templateText';

/** `NAME → default` of every azd variable main.parameters.json reads with a default (`${NAME=default}`). */
function azdDefaults(): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of readRepoFile('infra/main.parameters.json').matchAll(/\$\{([A-Z0-9_]+)=([^}]*)\}/g))
    found.set(match[1] as string, match[2] as string);
  return found;
}

/** The rows of infra/README.md's "Optional settings" table: the variables a row names, and its Default cell. */
function optionalRows(): { readonly names: string[]; readonly defaultCell: string }[] {
  const text = readRepoFile('infra/README.md');
  const start = text.indexOf('Optional settings (`azd env set');
  const lines = text.slice(start).split('\n').slice(1);
  const table = lines.slice(lines.findIndex((line) => line.startsWith('|')));
  const rows = table
    .slice(
      0,
      table.findIndex((line) => !line.startsWith('|')),
    )
    .slice(2);
  return rows.map((row) => {
    const [nameCell = '', defaultCell = ''] = row.split('|').slice(1, 3);
    const names = [...nameCell.matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1] as string);
    return { names: nameCell.trim().startsWith('every other setting') ? [] : names, defaultCell: defaultCell.trim() };
  });
}

describe("infra/README.md's optional settings table", () => {
  const defaults = azdDefaults();
  const rows = optionalRows();
  const contract = new Set(SETTINGS.map((setting) => setting.name));

  it('is found', () => {
    expect(rows.length).toBeGreaterThan(10);
  });

  it('names only azd variables the templates read', () => {
    for (const { names } of rows) for (const name of names) expect([name, defaults.has(name)]).toEqual([name, true]);
  });

  it("gives each variable the templates' default", () => {
    for (const { names, defaultCell } of rows) {
      const given = [...defaultCell.matchAll(/`([^`]*)`/g)].map((match) => match[1]);
      names.forEach((name, index) => {
        const value = defaults.get(name) ?? '';
        if (value === '') return; // documented in words ("empty", "tenant of the subscription")
        expect([name, given[index] ?? defaultCell]).toEqual([name, value]);
      });
    }
  });

  it('has a row for every optional variable, or the row of the settings that are not written when empty', () => {
    const documented = new Set(rows.flatMap((row) => row.names));
    for (const [name, value] of defaults) {
      const covered = documented.has(name) || (value === '' && contract.has(name));
      expect([name, covered]).toEqual([name, true]);
    }
  });
});
