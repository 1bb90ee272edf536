import { readFileSync } from 'fs';
import { join } from 'path';
import { SETTINGS } from '../../src/config/settings';

const root = join(__dirname, '..', '..');

describe('the settings contract is documented', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const sample = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };

  it.each(SETTINGS.map((s) => s.name))('the README settings table lists %s', (name) => {
    expect(readme).toContain(`| \`${name}\` |`);
  });

  it.each(SETTINGS.map((s) => [s.name, s] as const))(
    "the README settings table gives %s the contract's default (or says it is required) and meaning",
    (name, setting) => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      const [, defaultCell, meaningCell] = (row ?? '').split(' | ');

      expect(defaultCell).toBe(setting.required ? 'required' : (setting.defaultValue ?? '—'));
      expect(meaningCell?.replace(/ \|$/, '')).toBe(setting.description);
    },
  );

  it('local.settings.sample.json names only settings of the contract or the platform, and holds no secret', () => {
    const known = new Set([...SETTINGS.map((s) => s.name), 'AzureWebJobsStorage', 'FUNCTIONS_WORKER_RUNTIME']);
    for (const [name, value] of Object.entries(sample.Values)) {
      expect(known.has(name)).toBe(true);
      expect(value).not.toMatch(/AccountKey=|SharedAccessSignature=|client_secret/i);
    }
    for (const setting of SETTINGS.filter((s) => s.required))
      expect(Object.keys(sample.Values)).toContain(setting.name);
  });
});
