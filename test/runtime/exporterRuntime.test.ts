import type { TokenCredential } from '@azure/identity';
import type { Environment } from '../../src/config/loadConfig';
import { getRuntime, resetRuntime } from '../../src/runtime/exporterRuntime';
import type { BuildOptions } from '../../src/runtime/buildDependencies';
import { validSettings } from '../support/configFixtures';

/** No credential lookup and no host.json read: building the runtime only constructs clients (no request is sent). */
const noToken: TokenCredential = { getToken: () => Promise.resolve(null) };
const options: BuildOptions = { azureCredential: noToken, runBudgetMs: 60_000 };
const settings: Environment = { ...validSettings };
const otherSettings: Environment = { ...validSettings, EXPORT_CONTAINER: 'other-incidents' };

describe('getRuntime', () => {
  beforeEach(() => resetRuntime());
  afterAll(() => resetRuntime());

  it('returns the runtime it built for the same settings, however the environment object is built', () => {
    const first = getRuntime(settings, options);

    const again = getRuntime(settings, options);
    const reordered = getRuntime(Object.fromEntries(Object.entries(settings).reverse()), options);

    expect(again).toBe(first);
    expect(reordered).toBe(first);
  });

  it('builds a new runtime when the settings changed, with the new settings', () => {
    const first = getRuntime(settings, options);

    const changed = getRuntime(otherSettings, options);

    expect(changed).not.toBe(first);
    expect(changed.config.container).toBe('other-incidents');
    expect(changed.platform).not.toBe(first.platform);
  });

  it('keeps only the latest runtime: going back to the first settings builds again', () => {
    const first = getRuntime(settings, options);
    getRuntime(otherSettings, options);

    const back = getRuntime(settings, options);

    expect(back).not.toBe(first);
    expect(back.config.container).toBe(first.config.container);
  });

  it('throws a settings error on every call without replacing the runtime it has', () => {
    const first = getRuntime(settings, options);
    const broken: Environment = { ...settings, KEY_VAULT_URI: undefined };

    const calls = [1, 2].map(() => {
      try {
        getRuntime(broken, options);
        return undefined;
      } catch (error) {
        return error;
      }
    });

    expect(calls).toEqual([
      expect.objectContaining({ code: 'InvalidSettings' }),
      expect.objectContaining({ code: 'InvalidSettings' }),
    ]);
    expect(getRuntime(settings, options)).toBe(first);
  });
});
