import { createLogger, redact, registerSensitive, SensitiveValues, type OwnerTracker } from '../../src/common/logger';

/** A tracker the test drives: `collect(owner)` plays the garbage collector reclaiming that owner. */
function fakeCollector(): { track: OwnerTracker; collect(owner: object): void } {
  const watchers = new Map<object, (() => void)[]>();
  return {
    track: (owner, onGone) => watchers.set(owner, [...(watchers.get(owner) ?? []), onGone]),
    collect: (owner) => {
      for (const onGone of watchers.get(owner) ?? []) onGone();
      watchers.delete(owner);
    },
  };
}

describe('redaction', () => {
  it('removes registered secrets, bearer tokens, JWTs and account keys from every line', () => {
    registerSensitive('s3cr3t-value-xyz');
    const lines: string[] = [];
    const logger = createLogger({
      info: (l) => lines.push(l),
      warn: (l) => lines.push(l),
      error: (l) => lines.push(l),
    });
    logger.error('failed with s3cr3t-value-xyz', {
      header: 'Bearer abc.def-ghi',
      jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
      cs: 'AccountName=a;AccountKey=Zm9vYmFy==;',
    });
    expect(lines[0]).not.toMatch(/s3cr3t|abc\.def|eyJhbGci|Zm9vYmFy/);
    expect(redact('client_secret=hunter22&scope=x')).toBe('client_secret=[REDACTED]&scope=x');
  });
});

describe('the list of values to redact', () => {
  it('keeps a run token while the run that uses it is alive, and lets it go after', () => {
    // Prepare
    const collector = fakeCollector();
    const values = new SensitiveValues(4, collector.track);
    const run = {};
    values.holdWhileAlive('token-of-run-one', run);

    // Act
    const whileAlive = redact('sent token-of-run-one', values);
    collector.collect(run);

    // Assess
    expect(whileAlive).toBe('sent [REDACTED]');
    expect(values.size).toBe(0);
  });

  it('keeps redacting a value for one overlapping run after another run that shared it ended', () => {
    // Prepare
    const collector = fakeCollector();
    const values = new SensitiveValues(4, collector.track);
    const first = {};
    const second = {};
    values.holdWhileAlive('shared-secret-value', first);
    values.holdWhileAlive('token-of-second-run', second);
    values.holdWhileAlive('shared-secret-value', second);

    // Act
    collector.collect(first);

    // Assess
    expect(values.scrub('shared-secret-value token-of-second-run')).toBe('[REDACTED] [REDACTED]');
    collector.collect(second);
    expect(values.size).toBe(0);
  });

  it('stays the same size over a month of runs, each with a new token', () => {
    // Prepare
    const collector = fakeCollector();
    const values = new SensitiveValues(4, collector.track);

    // Act: 8,640 runs, five minutes apart, each reading the same secret and getting a new token.
    for (let run = 0; run < 8640; run += 1) {
      const tokens = {};
      values.pin('the-client-secret');
      values.holdWhileAlive(`token-number-${run}`, tokens);
      values.holdWhileAlive('the-client-secret', tokens);
      collector.collect(tokens);
    }

    // Assess
    expect(values.size).toBe(1);
    expect(values.scrub('the-client-secret')).toBe('[REDACTED]');
  });

  it('pins the most recent secrets, a bounded number of them, the secret registered again staying first', () => {
    // Prepare
    const values = new SensitiveValues(2, fakeCollector().track);

    // Act
    values.pin('secret-before-rotation');
    values.pin('secret-after-rotation');
    values.pin('secret-before-rotation');
    values.pin('secret-of-a-third-app');

    // Assess
    expect(values.scrub('secret-before-rotation secret-after-rotation secret-of-a-third-app')).toBe(
      '[REDACTED] secret-after-rotation [REDACTED]',
    );
    expect(values.size).toBe(2);
  });

  it('ignores values too short to be secrets', () => {
    // Prepare
    const values = new SensitiveValues(4, fakeCollector().track);

    // Act
    values.pin('abc');
    values.holdWhileAlive(undefined, {});

    // Assess
    expect(values.size).toBe(0);
    expect(values.scrub('abc')).toBe('abc');
  });

  // Runs only under `node --expose-gc node_modules/.bin/jest -i`; the driven collector above covers the logic.
  const gc = (globalThis as { gc?: () => void }).gc;
  (gc === undefined ? it.skip : it)('lets a token go once the garbage collector reclaims its owner', async () => {
    // Prepare
    const values = new SensitiveValues();
    (() => values.holdWhileAlive('token-of-a-finished-run', {}))();

    // Act
    for (let round = 0; round < 10 && values.size > 0; round += 1) {
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    // Assess
    expect(values.size).toBe(0);
  });
});
